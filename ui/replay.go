package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/sender"
	"hooklab/server/hub"
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

// editDoc is what $EDITOR sees: the request as one JSON document.
type editDoc struct {
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func writeEditDoc(d sender.Delivery) ([]byte, error) {
	var b bytes.Buffer
	u, _ := json.Marshal(d.URL)
	fmt.Fprintf(&b, "{\n  \"url\": %s,\n  \"headers\": {", u)
	for i, h := range d.Headers { // written by hand to keep header order
		k, _ := json.Marshal(h.Name)
		v, _ := json.Marshal(h.Value)
		sep := ","
		if i == len(d.Headers)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "\n    %s: %s%s", k, v, sep)
	}
	b.WriteString("\n  },\n  \"body\": ")
	body := d.Body
	if len(bytes.TrimSpace(body)) == 0 {
		body = json.RawMessage("null")
	}
	var ind bytes.Buffer
	if err := json.Indent(&ind, body, "  ", "  "); err != nil {
		return nil, fmt.Errorf("stored body is not JSON: %w", err)
	}
	b.Write(ind.Bytes())
	b.WriteString("\n}\n")
	return b.Bytes(), nil
}

// editCmd writes the edit document to a temp file; $EDITOR runs next.
func (m *Model) editCmd(id string) tea.Cmd {
	if id == "" {
		return m.setStatus("select a delivery to edit", statusWarn, defaultTTL)
	}
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		orig, err := b.Delivery(ctx, id)
		if err != nil {
			return editReadyMsg{err: err}
		}
		doc, err := writeEditDoc(orig)
		if err != nil {
			return editReadyMsg{err: err}
		}
		f, err := os.CreateTemp("", "hooklab-replay-*.json")
		if err != nil {
			return editReadyMsg{err: err}
		}
		_, err = f.Write(doc)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return editReadyMsg{path: f.Name(), orig: orig, err: err}
	}
}

func (m *Model) handleEditReady(msg editReadyMsg) tea.Cmd {
	if msg.err != nil {
		if msg.path != "" {
			_ = os.Remove(msg.path)
		}
		return m.setStatus("edit: "+msg.err.Error(), statusErr, defaultTTL)
	}
	args := strings.Fields(m.editor)
	if len(args) == 0 {
		args = []string{"vi"}
	}
	c := exec.Command(args[0], append(args[1:], msg.path)...)
	path, orig := msg.path, msg.orig
	return tea.ExecProcess(c, func(err error) tea.Msg { return editDoneMsg{path: path, orig: orig, err: err} })
}

func (m *Model) handleEditDone(msg editDoneMsg) tea.Cmd {
	if msg.err != nil {
		_ = os.Remove(msg.path)
		return m.setStatus("editor: "+msg.err.Error(), statusErr, defaultTTL)
	}
	b, ctx, path, orig := m.b, m.ctx, msg.path, msg.orig
	return func() tea.Msg {
		data, err := os.ReadFile(path)
		_ = os.Remove(path)
		if err != nil {
			return replayDoneMsg{err: err}
		}
		r, err := replayFromDoc(orig, data)
		if err != nil {
			return replayDoneMsg{err: err}
		}
		d, err := b.Replay(ctx, r)
		return replayDoneMsg{orig: orig, d: d, err: err}
	}
}

// replayFromDoc turns the edited document into a Replay carrying only what
// changed. A header deleted in the editor cannot be expressed (the sender
// only replaces headers), so it is kept.
func replayFromDoc(orig sender.Delivery, data []byte) (sender.Replay, error) {
	var doc editDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return sender.Replay{}, fmt.Errorf("edited document is not valid JSON: %w", err)
	}
	r := sender.Replay{ID: orig.ID}
	if doc.URL != "" && doc.URL != orig.URL {
		r.URL = doc.URL
	}
	// A deleted "body" key means no change, and an empty original body was
	// written as null: neither may turn into a replay with body "null".
	origBody := orig.Body
	if len(bytes.TrimSpace(origBody)) == 0 {
		origBody = json.RawMessage("null")
	}
	var a, b bytes.Buffer
	_ = json.Compact(&a, origBody)
	if doc.Body != nil {
		if err := json.Compact(&b, doc.Body); err != nil {
			return sender.Replay{}, errors.New("edited body is not valid JSON")
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			r.Body = json.RawMessage(b.Bytes())
		}
	}
	// Only changed or added headers go in: the sender replaces headers of
	// the same name, so unchanged (possibly masked) secrets are re-resolved.
	orig0 := map[string]string{}
	for _, h := range orig.Headers {
		orig0[h.Name] = h.Value
	}
	for _, k := range sortedKeys(doc.Headers) {
		if v, ok := orig0[k]; !ok || v != doc.Headers[k] {
			r.Headers = append(r.Headers, hub.HeaderKV{Name: k, Value: doc.Headers[k]})
		}
	}
	return r, nil
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
