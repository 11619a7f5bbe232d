package ui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/aymanbagabas/go-udiff"

	"hooklab/config"
)

// ConfigConflict is how a backend refuses to save over a langgraph.json
// that is no longer the file the config in force was read from: it
// changed on disk, or it no longer parses. Any error with this method
// will do (the backend need not import ui): the editor then says why and
// offers to reload the file or to show the difference.
type ConfigConflict interface {
	error
	// FileOnDisk is the file's bytes as they are now.
	FileOnDisk() []byte
}

// conflict is a refused save the editor is asking about.
type conflict struct {
	why    string
	onDisk []byte
	parsed *config.File // the file on disk, when it parses
	bad    error        // why it does not
	diff   []string     // the difference, while it is shown
	off    int
	// reloadErr is why the reload the user asked for failed.
	reloadErr string
}

// newConflict reads a refusal; nil when err is not a ConfigConflict.
func newConflict(err error, path string) *conflict {
	var cc ConfigConflict
	if !errors.As(err, &cc) {
		return nil
	}
	c := &conflict{why: cc.Error(), onDisk: cc.FileOnDisk()}
	c.parsed, c.bad = config.Parse(path, c.onDisk)
	return c
}

// conflictKey answers the question a refused save asks: reload the file
// from disk (the backend puts it in force; the edits are dropped), show
// the difference, or keep editing.
func (e *configEditor) conflictKey(msg tea.KeyPressMsg) action {
	k, c := e.kit.keys, e.conflict
	switch {
	case c.diff != nil:
		switch {
		case key.Matches(msg, k.Dialog.Close), key.Matches(msg, k.Dialog.Diff):
			c.diff = nil
		case key.Matches(msg, k.Dialog.Up):
			c.off = max(0, c.off-1)
		case key.Matches(msg, k.Dialog.Down):
			c.off++
		}
	case key.Matches(msg, k.Dialog.Reload) && c.parsed != nil && !e.busy:
		return e.reload()
	case key.Matches(msg, k.Dialog.Diff):
		mine, err := e.f.Marshal()
		if err != nil {
			mine = []byte("(cannot render the edited file: " + err.Error() + ")\n")
		}
		u := udiff.Unified("on disk", "edited", cleanText(string(c.onDisk)), cleanText(string(mine)))
		if u == "" {
			u = "(no difference)"
		}
		c.diff, c.off = strings.Split(strings.TrimRight(u, "\n"), "\n"), 0
	case key.Matches(msg, k.Dialog.Close):
		e.conflict = nil
	}
	return nil
}

// conflictView is the question, or the difference, in w x h cells.
func (e *configEditor) conflictView(w, h int) []string {
	st, c := e.kit.st, e.conflict
	if c.diff != nil {
		body := max(1, h-3)
		c.off = min(c.off, max(0, len(c.diff)-body))
		lines := []string{st.Dialog.Title.Render("langgraph.json: on disk → edited")}
		for _, l := range c.diff[c.off:min(len(c.diff), c.off+body)] {
			lines = append(lines, diffLine(st, l))
		}
		return append(lines, st.Dialog.Hint.Render("j/k scroll · d or esc back"))
	}
	lines := []string{st.Dialog.Title.Render("Not saved")}
	lines = append(lines, wrapStyled(st.Dialog.Error, "✗ "+c.why, w)...)
	choices := "r reload it (your edits are dropped) · d show the difference · esc keep editing"
	if c.parsed == nil {
		lines = append(lines, wrapStyled(st.Dialog.Error, "the file on disk does not parse: "+oneLine(errString(c.bad)), w)...)
		choices = "d show the difference · esc keep editing"
	}
	if c.reloadErr != "" {
		lines = append(lines, wrapStyled(st.Dialog.Error, "reload failed: "+c.reloadErr, w)...)
	}
	return append(lines, wrapStyled(st.Dialog.Hint, choices, w)...)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
