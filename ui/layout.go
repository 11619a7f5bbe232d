package ui

import (
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Minimum usable terminal size; below it the dashboard says so.
const (
	minWidth  = 60
	minHeight = 15
	// wideWidth is where the detail moves beside the list instead of below.
	wideWidth = 110
	// minBodyHelp is the feed height kept when the full help is open.
	minBodyHelp = 5
)

type rect struct{ x, y, w, h int }

// layout is computed once per resize (or help toggle) from known sizes,
// never measured from rendered output.
type layout struct {
	small        bool
	wide         bool
	header       rect // title/counts, the banners, filter/search
	list, detail rect
	body         rect // list + separator + detail
	helpSep      bool // a rule above the full help (when there is room)
	help         rect // the full help, above the status line; h 0 when closed
	status       rect
}

// computeLayout splits a w x h screen. banners is how many lines the
// header adds between its two (a config that does not load, the
// upstream). helpH is the height of the open full help (0 when closed):
// like bubbles/help it takes the bottom rows and the feed shrinks, so
// events stay in view while the keys are read.
func computeLayout(w, h, banners, helpH int) layout {
	l := layout{small: w < minWidth || h < minHeight}
	if l.small {
		return l
	}
	top := 2 + banners
	l.header = rect{0, 0, w, top}
	l.status = rect{0, h - 1, w, 1}
	foot := 1
	if helpH > 0 {
		helpH = min(helpH, max(0, h-1-top-minBodyHelp))
		l.helpSep = h >= 20
		foot += helpH
		if l.helpSep {
			foot++
		}
		l.help = rect{0, h - 1 - helpH, w, helpH}
	}
	l.body = rect{0, top, w, max(0, h-top-foot)}
	if w >= wideWidth {
		l.wide = true
		lw := w * 55 / 100
		l.list = rect{0, top, lw, l.body.h}
		l.detail = rect{lw + 1, top, max(0, w-lw-1), l.body.h}
		return l
	}
	lh := max(3, l.body.h*45/100)
	l.list = rect{0, top, w, lh}
	l.detail = rect{0, top + lh + 1, w, max(0, l.body.h-lh-1)}
	return l
}

func (m *Model) tooSmall() bool { return m.w == 0 || m.lay.small }

// fit makes s exactly h lines of at most w cells: the invariant every
// region of the screen keeps.
func fit(s string, w, h int) []string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		l = cleanStyled(l) // the last guard: nothing but our styles reaches the terminal
		lines[i] = l
		if cellWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return lines
}

// cellWidth is ansi.StringWidth, quicker for the lines the dashboard
// draws most: ASCII, our SGR styles, and the few narrow symbols it uses
// (box drawing, arrows, blocks, marks). Anything else is measured by
// ansi.StringWidth, which knows every grapheme cluster.
func cellWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			k := sgrLen(s[i:])
			if k == 0 {
				return ansi.StringWidth(s)
			}
			i += k
			continue
		case c >= 0x20 && c < 0x7f:
			n++
			i++
			continue
		case c < 0x80:
			return ansi.StringWidth(s)
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !narrowSymbol(r) {
			return ansi.StringWidth(s)
		}
		n++
		i += size
	}
	return n
}

// narrowSymbol reports whether r is one of the one-cell symbols the
// dashboard draws itself (and that combine with nothing).
func narrowSymbol(r rune) bool {
	switch {
	case r >= 0x2500 && r <= 0x259f: // box drawing, blocks
		return true
	case r >= 0x2190 && r <= 0x21ff: // arrows
		return true
	}
	switch r {
	case '…', '•', '·', '✓', '✗', '⊘', '▲', '▼', '▶', '◀', '›', '⚠', '␛', '↵':
		return true
	}
	return false
}

// cutLeft drops the first n cells of s. ansi.TruncateLeft keeps a wide
// character that straddles the cut, which would shift everything after it
// one cell right (past the screen edge, behind a dialog); here the
// straddling character goes and a space keeps the columns.
func cutLeft(s string, n int) string {
	want := ansi.StringWidth(s) - n
	r := ansi.TruncateLeft(s, n, "")
	if ansi.StringWidth(r) <= want {
		return r
	}
	r = ansi.TruncateLeft(s, n+1, "")
	return strings.Repeat(" ", max(0, want-ansi.StringWidth(r))) + r
}

// overlay draws box centred over base (both as lines), cutting base around
// it so wide characters and styles stay intact.
func overlay(base []string, box string, w int) []string {
	bl := strings.Split(box, "\n")
	bw := 0
	for _, l := range bl {
		bw = max(bw, ansi.StringWidth(l))
	}
	bw = min(bw, w)
	y0 := max(0, (len(base)-len(bl))/2)
	x0 := max(0, (w-bw)/2)
	out := make([]string, len(base))
	copy(out, base)
	for i, l := range bl {
		y := y0 + i
		if y >= len(out) {
			break
		}
		l = padRight(ansi.Truncate(l, bw, ""), bw)
		left := padRight(ansi.Truncate(out[y], x0, ""), x0)
		right := cutLeft(out[y], x0+bw)
		out[y] = left + "\x1b[m" + l + "\x1b[m" + right
	}
	return out
}
