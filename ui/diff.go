package ui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/sender"
)

// diffView compares a replay's request and response with the original's,
// unified or side by side.
type diffView struct {
	kit     dialogKit
	orig, d sender.Delivery
	a, b    string // the two documents
	unified []string
	sideBy  bool
	off     int
	queued  int // diffs waiting behind this one (the root says)
}

// newDiffView shows sender.DiffReplay's diff: the very one `hooklab
// replay --diff` prints.
func newDiffView(kit dialogKit, orig, d sender.Delivery) *diffView {
	r := sender.DiffReplay(orig, d)
	v := &diffView{kit: kit, orig: orig, d: d, a: cleanText(r.Original), b: cleanText(r.Replay)}
	v.unified = strings.Split(strings.TrimRight(cleanText(r.Text()), "\n"), "\n")
	return v
}

func (v *diffView) name() string { return "diff" }

func (v *diffView) help() []key.Binding {
	k := v.kit.keys
	return []key.Binding{k.Dialog.Up, k.Dialog.Down, k.Dialog.Mode, k.Dialog.Close}
}

func (v *diffView) update(msg tea.Msg) action {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	keys := v.kit.keys
	switch {
	case key.Matches(k, keys.Dialog.Close), key.Matches(k, keys.Global.Quit):
		return closeDialog{}
	case key.Matches(k, keys.Dialog.Mode):
		v.sideBy, v.off = !v.sideBy, 0
	case key.Matches(k, keys.Dialog.Up):
		v.off = max(0, v.off-1)
	case key.Matches(k, keys.Dialog.Down):
		v.off++
	}
	return nil
}

func (v *diffView) view(w, h int) string {
	st := v.kit.st
	mode := "unified"
	if v.sideBy {
		mode = "side by side"
	}
	title := st.Dialog.Title.Render(fmt.Sprintf("Replay %s → %s (%s)", short(v.orig.ID), v.d.Outcome, mode))
	var lines []string
	if v.sideBy {
		lines = sideBySide(st, v.a, v.b, w)
	} else {
		for _, l := range v.unified {
			lines = append(lines, diffLine(st, ansi.Truncate(l, w, "…")))
		}
	}
	body := max(1, h-4)
	v.off = min(v.off, max(0, len(lines)-body))
	lines = lines[v.off:min(len(lines), v.off+body)]
	out := append([]string{title}, lines...)
	hint := "s split/unified · j/k scroll · esc close"
	if v.queued > 0 {
		hint = fmt.Sprintf("s split/unified · j/k scroll · esc next diff (%d queued)", v.queued)
	}
	out = append(out, st.Dialog.Hint.Render(hint))
	return strings.Join(padLines(out, w), "\n")
}

// diffLine colours a line of a unified diff.
func diffLine(st *Styles, l string) string {
	switch {
	case strings.HasPrefix(l, "@@"):
		return st.Diff.Hunk.Render(l)
	case strings.HasPrefix(l, "+"):
		return st.Diff.Add.Render(l)
	case strings.HasPrefix(l, "-"):
		return st.Diff.Del.Render(l)
	}
	return l
}

// sideBySide puts the two documents in columns, marking lines that differ.
func sideBySide(st *Styles, a, b string, w int) []string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	col := max(5, (w-3)/2)
	out := make([]string, 0, max(len(al), len(bl)))
	for i := range max(len(al), len(bl)) {
		var l, r string
		if i < len(al) {
			l = al[i]
		}
		if i < len(bl) {
			r = bl[i]
		}
		mark := " │ "
		ls, rs := padRight(ansi.Truncate(l, col, "…"), col), ansi.Truncate(r, col, "…")
		if l != r && !slices.Contains(bl, l) {
			ls = st.Diff.Del.Render(ls)
		}
		if l != r && !slices.Contains(al, r) {
			rs = st.Diff.Add.Render(rs)
		}
		out = append(out, ls+mark+rs)
	}
	return out
}
