package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// dialog is a modal drawn over the body. The root holds at most one and
// owns opening and closing it: a dialog never sees the root. It is built
// with the few things it uses (a dialogKit) and answers each message with
// an action the root carries out, as crush's dialogs do.
type dialog interface {
	name() string
	// update handles a message the root routed to the dialog.
	update(msg tea.Msg) action
	// view renders the dialog's content in at most w x h cells.
	view(w, h int) string
	// help is what the status bar offers while the dialog is open.
	help() []key.Binding
}

// action is what a dialog asks of the root after a message; nil is
// nothing.
type action any

// closeDialog asks the root to close the dialog.
type closeDialog struct{}

// cmdAction asks the root to run a command (a Backend call made by the kit).
type cmdAction struct{ cmd tea.Cmd }

// showStatus asks the root to show text in the status bar for ttl.
type showStatus struct {
	text string
	kind statusKind
	ttl  time.Duration
}

// replayRequest asks the root to close the dialog and replay delivery id to
// url.
type replayRequest struct{ id, url string }

// dialogKit is everything a dialog may use: the shared styles (rebuilt in
// place when the theme changes), the keymap, the clock, and the Backend
// behind commands that run off the update loop.
type dialogKit struct {
	st   *Styles
	keys *KeyMap
	now  func() time.Time
	cmds commands
}

// withCmd adds cmd to what a dialog asks: a dialog that closes or shows a
// status does not need it.
func withCmd(a action, cmd tea.Cmd) action {
	switch a := a.(type) {
	case nil:
		if cmd != nil {
			return cmdAction{cmd}
		}
	case cmdAction:
		return cmdAction{tea.Batch(a.cmd, cmd)}
	}
	return a
}

// kit is the dialogKit of m.
func (m *Model) kit() dialogKit {
	return dialogKit{st: m.st, keys: &m.keys, now: m.now, cmds: commands{b: m.b, ctx: m.ctx}}
}

// updateDialog routes msg to the open dialog and carries out its action.
func (m *Model) updateDialog(msg tea.Msg) tea.Cmd {
	switch a := m.dialog.update(msg).(type) {
	case closeDialog:
		m.dialog = nil
	case cmdAction:
		return a.cmd
	case showStatus:
		return m.setStatus(a.text, a.kind, a.ttl)
	case replayRequest:
		m.dialog = nil
		return m.replayCmd(a.id, a.url, nil)
	}
	return nil
}

// lineInput is a one-line text field. It is deliberately tiny (append,
// backspace, clear): no blinking cursor, so screens are deterministic.
type lineInput struct{ value string }

// edit applies a key; it reports whether the value changed.
func (in *lineInput) edit(msg tea.KeyPressMsg) bool {
	switch msg.String() {
	case "backspace":
		if r := []rune(in.value); len(r) > 0 {
			in.value = string(r[:len(r)-1])
			return true
		}
		return false
	case "ctrl+u":
		in.value = ""
		return true
	case "space":
		in.value += " "
		return true
	}
	if msg.Text == "" || msg.Mod&^tea.ModShift != 0 {
		return false
	}
	in.value += msg.Text
	return true
}

// paste appends pasted text (bracketed paste arrives as one tea.PasteMsg,
// not as keys). A field is one line: a trailing newline, as copied from a
// terminal, is dropped and any other control is made visible.
func (in *lineInput) paste(s string) bool {
	s = oneLine(strings.TrimRight(s, "\r\n"))
	in.value += s
	return s != ""
}

// view shows the end of the value (where the cursor is) in w cells,
// measured in cells so wide characters do not push the cursor out.
func (in *lineInput) view(focused bool, w int) string {
	v := in.value
	if focused {
		v += "█"
	}
	if n := ansi.StringWidth(v); n > w && w > 1 {
		v = "…" + cutLeft(v, n-w+1)
	}
	return v
}

// wrapLines joins lines for a dialog body, cutting at h lines.
func wrapLines(lines []string, h int) string {
	if len(lines) > h {
		lines = append(lines[:h-1], "…")
	}
	return strings.Join(lines, "\n")
}
