package ui

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// contIndent is how far a continuation line is indented past the line it
// continues, so a wrapped line reads as one.
const contIndent = 2

// wrapBreaks are the characters, besides spaces and hyphens, after which a
// line may break: URL and query separators, so a long URL breaks between
// its parts rather than anywhere.
const wrapBreaks = "/?&"

// wrapIndent wraps one styled line to width w at word boundaries; a word
// longer than the line (a token, a long JSON string without spaces) is the
// only thing ever cut. Continuation lines are indented past the line's own
// indentation. Styles carry over to every piece (lipgloss.Wrap).
func wrapIndent(s string, w int) []string {
	if w < 1 || ansi.StringWidth(s) <= w {
		return []string{s}
	}
	plain := ansi.Strip(s)
	ind := min(len(plain)-len(strings.TrimLeft(plain, " "))+contIndent, w/2)
	first, _, _ := strings.Cut(lipgloss.Wrap(s, w, wrapBreaks), "\n")
	if ansi.StringWidth(first) == 0 { // only spaces before the break: cut instead
		first = ansi.Truncate(s, w, "")
	}
	out := fitPieces(nil, first, w)[:1] // a clamped overhang stays in the rest
	rest := ansi.TruncateLeft(s, ansi.StringWidth(out[0]), "")
	rp := ansi.Strip(rest)
	if n := len(rp) - len(strings.TrimLeft(rp, " ")); n > 0 {
		rest = ansi.TruncateLeft(rest, n, "")
	}
	if ansi.StringWidth(rest) == 0 {
		return out
	}
	pad := strings.Repeat(" ", ind)
	for _, l := range strings.Split(lipgloss.Wrap(rest, w-ind, wrapBreaks), "\n") {
		// Wrap keeps the space it broke at (before a "/" breakpoint, say)
		// at the end of the line, one cell past the limit: fitPieces would
		// cut that space off as a piece of its own, a blank line inside the
		// text. A space at a break is the break itself, so it goes.
		l = trimRightSpaces(l)
		if ansi.StringWidth(l) == 0 {
			continue
		}
		for _, p := range fitPieces(nil, l, w-ind) {
			out = append(out, pad+p)
		}
	}
	return out
}

// trimRightSpaces drops trailing spaces from a styled line, keeping its
// styles.
func trimRightSpaces(s string) string {
	plain := ansi.Strip(s)
	t := strings.TrimRight(plain, " ")
	if len(t) == len(plain) {
		return s
	}
	return ansi.Truncate(s, ansi.StringWidth(t), "")
}

// fitPieces appends s cut into pieces of at most w cells. x/ansi's Wrap can
// let a breakpoint (a "-" after a space) overhang the limit by a cell or
// two; this keeps the width invariant regardless.
func fitPieces(out []string, s string, w int) []string {
	for ansi.StringWidth(s) > w {
		out = append(out, ansi.Truncate(s, w, ""))
		s = ansi.TruncateLeft(s, w, "")
	}
	return append(out, s)
}

// packSegments lays out segments joined by sep, starting a new
// (indented) line only between segments, so a pair like "total 12ms" is
// never split. A segment wider than a line is wrapped by wrapIndent.
func packSegments(segs []string, sep string, w int) []string {
	var out []string
	cur, curW := "", 0
	sepW := ansi.StringWidth(sep)
	pad := strings.Repeat(" ", min(contIndent, w/2))
	for _, s := range segs {
		sw := ansi.StringWidth(s)
		switch {
		case curW == 0:
			cur, curW = s, sw
		case curW+sepW+sw <= w:
			cur += sep + s
			curW += sepW + sw
		default:
			out = append(out, wrapIndent(cur, w)...)
			cur, curW = pad+s, len(pad)+sw
		}
	}
	if curW > 0 {
		out = append(out, wrapIndent(cur, w)...)
	}
	return out
}
