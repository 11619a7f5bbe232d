package client

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"hooklab/config"
	"hooklab/sender"
)

// maxDataRaw is the largest body put on the command line with --data-raw.
// Linux caps one argument at 128 KiB (MAX_ARG_STRLEN); larger bodies go
// through a here-document, which adds one trailing newline.
const maxDataRaw = 64 << 10

// envRef is one `${{ env.NAME }}` template whose NAME is also a valid
// shell variable name, so it can become `${NAME}`.
var envRef = regexp.MustCompile(`\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// headerTemplates reads the header templates of the config at path (else
// ./langgraph.json when it exists), keyed by lower-case header name. No
// config file is not an error: the result is then empty.
func headerTemplates(path string) (map[string]string, error) {
	f, err := config.LoadOrDefault(path)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(f.Webhooks.Headers))
	for _, h := range f.Webhooks.Headers {
		out[strings.ToLower(h.Name)] = h.Template
	}
	return out, nil
}

// CurlCommand renders d as a runnable shell command that sends its request
// again. A relative URL is sent to http://<addr>. Secret headers (stored
// masked) become shell references to the variables their template names,
// when templates (lower-case header name to template) has them; otherwise
// they keep the masked value and the command says so. A resolved secret
// is never printed: it is not in the store, and templates are not resolved.
func CurlCommand(d sender.Delivery, addr string, templates map[string]string) string {
	target := d.URL
	if strings.HasPrefix(target, "/") {
		target = "http://" + addr + target
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# delivery %s (run %s): %s", d.ID, d.RunID, d.Outcome)
	if d.Status != 0 {
		fmt.Fprintf(&b, ", HTTP %d", d.Status)
	}
	if d.ReplayOf != "" {
		fmt.Fprintf(&b, ", replay of %s", d.ReplayOf)
	}
	b.WriteString("\n")
	lines := []string{"curl -X POST " + shellQuote(target)}
	var masked []string
	for _, h := range d.Headers {
		secret := slices.ContainsFunc(d.SecretHeaders, func(n string) bool { return strings.EqualFold(n, h.Name) })
		if !secret {
			lines = append(lines, "-H "+shellQuote(h.Name+": "+h.Value))
			continue
		}
		if ref, ok := shellTemplate(templates[strings.ToLower(h.Name)]); ok {
			lines = append(lines, "-H "+`"`+dquoteEscape(h.Name+": ")+ref+`"`)
			continue
		}
		lines = append(lines, "-H "+shellQuote(h.Name+": "+h.Value))
		masked = append(masked, h.Name)
	}
	body := bytes.TrimSpace(d.Body)
	note := ""
	if len(masked) > 0 {
		note = "  # secret masked: " + strings.Join(masked, ", ") + " (hooklab never stores it; put the real value in before running)"
	}
	heredoc := ""
	switch {
	case len(body) == 0 || string(body) == "null":
	case len(body) <= maxDataRaw:
		lines = append(lines, "--data-raw "+shellQuote(string(body)))
	default:
		delim := hereDelimiter(body)
		lines = append(lines, "--data-binary @- <<'"+delim+"'")
		heredoc = string(body) + "\n" + delim + "\n"
	}
	b.WriteString(strings.Join(lines, " \\\n  "))
	b.WriteString(note + "\n" + heredoc)
	return b.String()
}

// shellTemplate turns a header template into the inside of a double-quoted
// shell word: literal text escaped, `${{ env.NAME }}` as `${NAME}`. It
// fails when the template has no env reference (then the value was not a
// secret from it) or one that is not a shell variable name.
func shellTemplate(tmpl string) (string, bool) {
	if tmpl == "" {
		return "", false
	}
	idx := envRef.FindAllStringSubmatchIndex(tmpl, -1)
	if len(idx) == 0 {
		return "", false
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		lit := tmpl[last:m[0]]
		if strings.Contains(lit, "${{") {
			return "", false
		}
		b.WriteString(dquoteEscape(lit))
		b.WriteString("${" + tmpl[m[2]:m[3]] + "}")
		last = m[1]
	}
	rest := tmpl[last:]
	if strings.Contains(rest, "${{") {
		return "", false
	}
	b.WriteString(dquoteEscape(rest))
	return b.String(), true
}

// shellQuote single-quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// dquoteEscape escapes the characters a POSIX shell interprets inside
// double quotes.
func dquoteEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`").Replace(s)
}

// hereDelimiter picks a here-document delimiter that is not a line of body.
func hereDelimiter(body []byte) string {
	delim := "EOF"
	for i := 0; i < 100; i++ {
		if !bytes.Contains(body, []byte(delim)) {
			return delim
		}
		delim = fmt.Sprintf("EOF_%d", i)
	}
	return delim
}
