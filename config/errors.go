package config

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
)

// Error is a langgraph.json problem: the file, the key path, what is wrong and
// how to fix it. Error() always renders on one line so a CLI can print it as
// is and a dashboard can show it in a status bar.
type Error struct {
	File    string `json:"file"`             // the file that holds the problem ("embedded default" for Default())
	Key     string `json:"key,omitempty"`    // dotted key path, e.g. webhooks.url.allowed_ports[1]; "" for syntax errors
	Message string `json:"message"`          // what is wrong; platform messages are kept verbatim
	Fix     string `json:"fix,omitempty"`    // how to fix it
	Line    int    `json:"line,omitempty"`   // 1-based line for syntax errors, else 0
	Column  int    `json:"column,omitempty"` // 1-based column (in characters) for syntax errors, else 0
}

// Error renders "file[:line:col]: key: message; fix: fix" on one line. The
// key is left out when the message already starts with it, so the platform's
// own messages ("webhooks.allowed_fields contains ...") do not stutter.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteString(":" + strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.Key != "" && !strings.HasPrefix(e.Message, e.Key) {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Message)
	if e.Fix != "" {
		b.WriteString("; fix: " + e.Fix)
	}
	return oneLine(b.String())
}

// oneLine folds line breaks so an error never spans several lines.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

// Resolver looks up host names; *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// fileLabel names f in error messages.
func fileLabel(path string) string {
	if path == "" {
		return "embedded default"
	}
	return path
}
