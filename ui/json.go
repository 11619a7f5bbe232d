package ui

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The detail pane shows the head of a body: a 1 MB payload pretty-prints
// to ~150k lines, and styling and wrapping all of them took half a second
// on every re-render (a resize, each tick of a retry countdown), for a
// document nobody scrolls through in a pane.
const (
	maxBodyLines     = 2000
	maxBodyBytes     = 256 << 10
	maxBodyLineBytes = 8 << 10
)

// highlightJSON pretty-prints raw (when it is JSON) and colours keys,
// strings, numbers and literals. Anything else is shown as text. It
// returns at most maxBodyLines lines (maxBodyBytes in all, each cut at
// maxBodyLineBytes) and how many lines it left out.
func highlightJSON(st *Styles, raw []byte) (lines []string, more int) {
	var buf bytes.Buffer
	text, isJSON := "", true
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		text, isJSON = cleanText(strings.ToValidUTF8(string(raw), "�")), false
	} else {
		text = buf.String()
	}
	size := 0
	for len(lines) < maxBodyLines && size < maxBodyBytes {
		l, rest, found := strings.Cut(text, "\n")
		l = capBytes(l, maxBodyLineBytes)
		size += len(l)
		if isJSON {
			l = highlightLine(st, l)
		}
		lines = append(lines, l)
		if !found {
			return lines, 0
		}
		text = rest
	}
	return lines, strings.Count(text, "\n") + 1
}

// capBytes cuts s to about n bytes on a rune boundary, marking the cut.
func capBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// highlightLine colours one line of indented JSON. json.Indent puts at most
// one key and one scalar on a line, so a small scanner is enough.
func highlightLine(st *Styles, l string) string {
	var b strings.Builder
	i := 0
	for i < len(l) {
		c := l[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(l) && l[j] != '"' {
				if l[j] == '\\' {
					j++
				}
				j++
			}
			j = min(j+1, len(l))
			tok := l[i:j]
			rest := strings.TrimLeft(l[j:], " ")
			if strings.HasPrefix(rest, ":") {
				b.WriteString(st.Detail.JSONKey.Render(tok))
			} else {
				b.WriteString(st.Detail.JSONString.Render(tok))
			}
			i = j
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(l) && strings.IndexByte("+-.eE0123456789", l[j]) >= 0 {
				j++
			}
			b.WriteString(st.Detail.JSONNumber.Render(l[i:j]))
			i = j
		case strings.HasPrefix(l[i:], "true"), strings.HasPrefix(l[i:], "null"):
			b.WriteString(st.Detail.JSONLiteral.Render(l[i : i+4]))
			i += 4
		case strings.HasPrefix(l[i:], "false"):
			b.WriteString(st.Detail.JSONLiteral.Render(l[i : i+5]))
			i += 5
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}
