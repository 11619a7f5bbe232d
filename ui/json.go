package ui

import (
	"bytes"
	"encoding/json"
	"strings"
)

// highlightJSON pretty-prints raw (when it is JSON) and colours keys,
// strings, numbers and literals. Anything else is shown as text.
func highlightJSON(st *Styles, raw []byte) []string {
	var buf bytes.Buffer
	if err := json.Indent(&buf, bytes.TrimSpace(raw), "", "  "); err != nil {
		return strings.Split(strings.ToValidUTF8(string(raw), "�"), "\n")
	}
	lines := strings.Split(buf.String(), "\n")
	for i, l := range lines {
		lines[i] = highlightLine(st, l)
	}
	return lines
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
