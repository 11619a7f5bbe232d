package ui

import (
	"strings"
	"unicode/utf8"
)

// Text shown on screen comes from the outside: request paths (decoded, so
// "%0a" is a newline and "%1b" an escape), receivers' response bodies,
// notice texts, kinds from a newer remote. A newline there would split a
// feed row or the header into two lines and shift the whole frame; a tab
// or carriage return moves the terminal's cursor in ways no width count
// sees; an escape sequence could clear the screen or set the title. So
// every such control is made visible instead of obeyed.

// tabWidth is how many spaces a tab in a body becomes.
const tabWidth = 4

// needsClean reports whether s holds a byte that oneLine or cleanText
// would change: any C0 control, DEL, invalid UTF-8 or a C1 control.
func needsClean(s string, keepNewline, keepSGR bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' && keepNewline:
		case c == 0x1b && keepSGR:
			if n := sgrLen(s[i:]); n > 0 {
				i += n - 1
				continue
			}
			return true
		case c < 0x20 || c == 0x7f:
			return true
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r >= 0x80 && r <= 0x9f {
				return true
			}
			i += n - 1
		}
	}
	return false
}

// sgrLen is the length of the SGR sequence ("\x1b[…m") s starts with, or
// 0 when it starts with anything else.
func sgrLen(s string) int {
	if len(s) < 3 || s[0] != 0x1b || s[1] != '[' {
		return 0
	}
	for j := 2; j < len(s); j++ {
		switch c := s[j]; {
		case c == 'm':
			return j + 1
		case c >= '0' && c <= '9', c == ';', c == ':':
		default:
			return 0
		}
	}
	return 0
}

// oneLine makes s safe for a single screen line: newlines become "↵",
// tabs a space, other controls their visible Control Pictures form ("␛").
// Text without controls is returned as is, without allocating.
func oneLine(s string) string {
	if !needsClean(s, false, false) {
		return s
	}
	return clean(s, false, false)
}

// cleanText is oneLine for multi-line text: it keeps newlines (a CRLF
// becomes one) and turns tabs into spaces.
func cleanText(s string) string {
	if !needsClean(s, true, false) {
		return s
	}
	return clean(s, true, false)
}

// cleanStyled is cleanText for a line we styled ourselves: our SGR
// sequences stay, every other control is made visible. It is the last
// guard before a line reaches the terminal.
func cleanStyled(s string) string {
	if !needsClean(s, true, true) {
		return s
	}
	return clean(s, true, true)
}

func clean(s string, multiLine, keepSGR bool) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b && keepSGR && sgrLen(s[i:]) > 0:
			n := sgrLen(s[i:])
			b.WriteString(s[i : i+n])
			i += n
			continue
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// CRLF: the newline that follows is handled on its own.
		case c == '\n':
			if multiLine {
				b.WriteByte('\n')
			} else {
				b.WriteString("↵")
			}
		case c == '\t':
			if multiLine {
				b.WriteString(strings.Repeat(" ", tabWidth))
			} else {
				b.WriteByte(' ')
			}
		case c < 0x20:
			b.WriteRune(rune(0x2400 + int(c))) // ␀…␟, e.g. ␛ for ESC, ␍ for CR
		case c == 0x7f:
			b.WriteString("␡")
		case c >= 0x80:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r >= 0x80 && r <= 0x9f {
				b.WriteString("�")
			} else {
				b.WriteString(s[i : i+n])
			}
			i += n
			continue
		default:
			b.WriteByte(c)
		}
		i++
	}
	return b.String()
}
