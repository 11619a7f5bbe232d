package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/sender"
)

// replayCmd fetches the original (for the diff) and sends it again, to url
// when set. Both calls run off the update loop, with the id captured when
// the key was pressed: whatever is selected by the time they finish, the
// diff compares this delivery with its replay.
func (m *Model) replayCmd(id, url string, edit *sender.Replay) tea.Cmd {
	if id == "" {
		return m.setStatus("select a delivery to replay", statusWarn, defaultTTL)
	}
	b, ctx := m.b, m.ctx
	r := sender.Replay{ID: id, URL: url}
	if edit != nil {
		r = *edit
	}
	status := m.setStatus("replaying "+short(id)+"…", statusInfo, 0)
	return tea.Batch(status, func() tea.Msg {
		orig, err := b.Delivery(ctx, id)
		if err != nil {
			orig = sender.Delivery{ID: id} // the diff still names what was replayed
		}
		d, err := b.Replay(ctx, r)
		return replayDoneMsg{orig: orig, d: d, err: err}
	})
}

// pinSelection stops follow mode: the user acted on the selected row (a
// replay), so the rows that action produces must not take the selection,
// or a second r would replay the replay.
func (m *Model) pinSelection() { m.cur().follow = false }

func (m *Model) handleReplayDone(msg replayDoneMsg) tea.Cmd {
	if msg.err != nil {
		what := "replay"
		if msg.orig.ID != "" {
			what += " of " + short(msg.orig.ID)
		}
		return m.setStatus(what+" failed: "+msg.err.Error(), statusErr, 2*defaultTTL)
	}
	text := fmt.Sprintf("replay %s → %s: %s", short(msg.orig.ID), short(msg.d.ID), msg.d.Outcome)
	if msg.d.Reason != "" && msg.d.Outcome != sender.OutcomeDelivered {
		text += " (" + msg.d.Reason + ")"
	}
	text += m.openDiff(newDiffView(m.kit(), msg.orig, msg.d))
	kind := statusOK
	if msg.d.Outcome != sender.OutcomeDelivered {
		kind = statusWarn
	}
	return m.setStatus(text, kind, defaultTTL)
}

// openDiff shows a diff, or queues it behind the open dialog; it returns
// what to add to the status to say so.
func (m *Model) openDiff(v *diffView) string {
	switch {
	case m.dialog == nil:
		m.dialog = v
	case m.dialog.name() == "diff":
		// Another replay's diff is open: this one waits its turn rather
		// than replacing it.
		m.diffQueue = append(m.diffQueue, v)
		return " (diff queued: esc shows it)"
	default:
		// Never replace a dialog the user is typing in (config edits, a
		// URL): the diff waits until it closes.
		m.diffQueue = append(m.diffQueue, v)
		return " (the diff opens when this dialog closes)"
	}
	return ""
}

// diffCmd reopens the diff of the selected replay: the replay and its
// original are read back from the store.
func (m *Model) diffCmd() tea.Cmd {
	id, ok := m.selectedReplay()
	if !ok {
		return m.setStatus("select a replay to see its diff", statusWarn, defaultTTL)
	}
	orig := m.feed.runs.byDlv[id].replayOf
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		d, err := b.Delivery(ctx, id)
		if err != nil {
			return diffMsg{id: id, err: err}
		}
		o, err := b.Delivery(ctx, orig)
		if err != nil {
			o = sender.Delivery{ID: orig} // the diff still names what was replayed
		}
		return diffMsg{id: id, orig: o, d: d}
	}
}

// handleDiff opens a diff read back from the store.
func (m *Model) handleDiff(msg diffMsg) tea.Cmd {
	if msg.err != nil {
		return m.setStatus("diff of "+short(msg.id)+": "+msg.err.Error(), statusErr, defaultTTL)
	}
	if note := m.openDiff(newDiffView(m.kit(), msg.orig, msg.d)); note != "" {
		return m.setStatus("replay "+short(msg.id)+note, statusInfo, defaultTTL)
	}
	return nil
}

// replayTo asks for the URL to replay a delivery to.
type replayTo struct {
	kit dialogKit
	id  string
	in  lineInput
}

// newReplayTo opens the field prefilled with the original URL (when the
// detail has loaded it), so a replay to a nearby URL is a small edit.
func newReplayTo(kit dialogKit, id, url string) *replayTo {
	return &replayTo{kit: kit, id: id, in: lineInput{value: url}}
}

func (r *replayTo) name() string { return "replay-to" }

func (r *replayTo) help() []key.Binding {
	return []key.Binding{r.kit.keys.Dialog.Submit, r.kit.keys.Dialog.Close}
}

func (r *replayTo) update(msg tea.Msg) action {
	if p, ok := msg.(tea.PasteMsg); ok {
		r.in.paste(p.Content)
		return nil
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	switch {
	case key.Matches(k, r.kit.keys.Dialog.Close):
		return closeDialog{}
	case k.String() == "enter":
		if u := strings.TrimSpace(r.in.value); u != "" {
			return replayRequest{id: r.id, url: u}
		}
		return closeDialog{}
	default:
		r.in.edit(k)
	}
	return nil
}

func (r *replayTo) view(w, h int) string {
	st := r.kit.st
	w = min(w, 70)
	return strings.Join(padLines([]string{
		st.Dialog.Title.Render("Replay " + short(r.id) + " to URL"),
		"> " + r.in.view(true, w-4),
		st.Dialog.Hint.Render("enter send · ctrl+u clear · esc cancel"),
	}, w), "\n")
}
