package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/config"
)

// urlTester shows the policy decision for a URL as it is typed. Each
// keystroke starts a check; answers for older input are dropped by seq.
type urlTester struct {
	kit  dialogKit
	in   lineInput
	seq  int
	dec  *config.Decision
	busy bool
}

func newURLTester(kit dialogKit) *urlTester { return &urlTester{kit: kit} }

func (u *urlTester) name() string { return "urltest" }

func (u *urlTester) help() []key.Binding { return []key.Binding{u.kit.keys.Dialog.Close} }

func (u *urlTester) update(msg tea.Msg) action {
	switch msg := msg.(type) {
	case urlCheckedMsg:
		if msg.seq == u.seq {
			d := msg.d
			u.dec, u.busy = &d, false
		}
	case tea.PasteMsg:
		if u.in.paste(msg.Content) {
			return u.changed()
		}
	case tea.KeyPressMsg:
		if key.Matches(msg, u.kit.keys.Dialog.Close) {
			return closeDialog{}
		}
		if u.in.edit(msg) {
			return u.changed()
		}
	}
	return nil
}

// changed starts a check of the new input (or clears the verdict). The
// policy may resolve DNS, so the check runs off the update loop.
func (u *urlTester) changed() action {
	u.seq++
	if strings.TrimSpace(u.in.value) == "" {
		u.dec, u.busy = nil, false
		return nil
	}
	u.busy = true
	return cmdAction{u.kit.cmds.checkURL(u.seq, strings.TrimSpace(u.in.value))}
}

func (u *urlTester) view(w, h int) string {
	st := u.kit.st
	w = min(w, 90)
	lines := []string{st.Dialog.Title.Render("URL tester") + st.Dialog.Hint.Render("  type a webhook URL · esc close"),
		"> " + u.in.view(true, w-4), ""}
	switch {
	case u.dec == nil && u.busy:
		lines = append(lines, st.Dialog.Hint.Render("checking…"))
	case u.dec == nil:
		lines = append(lines, st.Dialog.Hint.Render("the decision appears here as you type"))
	default:
		lines = append(lines, decisionLines(st, u.dec, w)...)
		if u.busy {
			lines = append(lines, st.Dialog.Hint.Render("checking…"))
		}
	}
	for len(lines) < 12 && len(lines) < h-2 {
		lines = append(lines, "")
	}
	return wrapLines(padLines(lines, w), h-2)
}

// decisionLines renders a decision check by check: value in force and where
// it came from.
func decisionLines(st *Styles, d *config.Decision, w int) []string {
	var out []string
	if d.Allowed {
		out = append(out, st.Detail.OK.Render("✓ allowed"))
	} else {
		out = append(out, st.Detail.Err.Render(oneLine(fmt.Sprintf("✗ refused (%s): %s", d.Rule, d.Message))))
	}
	if d.Relative {
		out = append(out, st.Dialog.Hint.Render("relative URL: dispatched in-process"))
	}
	for _, c := range d.Checks {
		mark := st.Detail.OK.Render("✓")
		if !c.Passed {
			mark = st.Detail.Err.Render("✗")
		}
		out = append(out, fmt.Sprintf("%s %-9s %-14s %s", mark, c.Rule, oneLine(valueString(c.Value)), st.Dialog.Hint.Render(oneLine(c.Source))))
	}
	if d.Hint != "" {
		out = append(out, st.Dialog.Hint.Render(oneLine("hint: "+d.Hint)))
	}
	return out
}

func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case []string:
		return strings.Join(v, ",")
	case []int:
		return strings.Trim(fmt.Sprint(v), "[]")
	}
	return fmt.Sprint(v)
}

// padLines pads each line to w so the dialog box has a stable width.
func padLines(lines []string, w int) []string {
	for i, l := range lines {
		lines[i] = padRight(l, w)
	}
	return lines
}
