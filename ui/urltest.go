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
	in   lineInput
	seq  int
	dec  *config.Decision
	busy bool
}

func (m *Model) openURLTest() tea.Cmd {
	m.dialog = &urlTester{}
	return nil
}

func (u *urlTester) name() string { return "urltest" }

func (u *urlTester) help(k *KeyMap) []key.Binding { return nil }

// checkCmd runs the policy (which may resolve DNS) off the update loop.
func checkCmd(b Backend, m *Model, seq int, raw string) tea.Cmd {
	ctx := m.ctx
	return func() tea.Msg { return urlCheckedMsg{seq: seq, d: b.CheckURL(ctx, raw)} }
}

func (u *urlTester) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case urlCheckedMsg:
		if msg.seq == u.seq {
			d := msg.d
			u.dec, u.busy = &d, false
		}
	case tea.PasteMsg:
		if u.in.paste(msg.Content) {
			return u.changed(m)
		}
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.Dialog.Close) {
			m.dialog = nil
			return nil
		}
		if u.in.edit(msg) {
			return u.changed(m)
		}
	}
	return nil
}

// changed starts a check of the new input (or clears the verdict).
func (u *urlTester) changed(m *Model) tea.Cmd {
	u.seq++
	if strings.TrimSpace(u.in.value) == "" {
		u.dec, u.busy = nil, false
		return nil
	}
	u.busy = true
	return checkCmd(m.b, m, u.seq, strings.TrimSpace(u.in.value))
}

func (u *urlTester) view(m *Model, w, h int) string {
	st := m.st
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
