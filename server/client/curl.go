package client

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"net/url"
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

// envRef is one `${{ env.NAME }}` template reference.
var envRef = regexp.MustCompile(`\$\{\{\s*env\.([^\s.}]+)\s*\}\}`)

// shellName is a name a POSIX shell can expand as ${NAME}.
var shellName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// headerTemplates reads the header templates of the config at path,
// keyed by lower-case header name: the fallback for deliveries recorded
// before hooklab kept their templates with them. No path, no fallback:
// the current directory's langgraph.json says nothing about a delivery
// made under another one.
func headerTemplates(path string) (map[string]string, error) {
	if path == "" {
		return nil, nil
	}
	f, err := config.Load(path)
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
// again. A relative URL is sent to the hooklab that sent it (d.Origin),
// else to http://<addr>. Secret headers (stored masked) are printed from
// the templates in force when d was made (d.HeaderTemplates), else from
// fallback (lower-case header name to template), with every
// `${{ env.NAME }}` as the shell's ${NAME} (or $(printenv NAME) for a name
// the shell cannot expand). A secret with no template at hand becomes a
// variable of its own, named in a note. A masked or resolved secret is
// never printed.
func CurlCommand(d sender.Delivery, addr string, fallback map[string]string) string {
	target, note := d.URL, ""
	if strings.HasPrefix(target, "/") {
		base := originBase(d.Origin)
		if base == "" {
			base = "http://" + addr
			note = "# relative URL: the hooklab that sent it kept no address; sending to " + base + "\n"
		}
		target = base + target
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# delivery %s (run %s): %s", d.ID, d.RunID, d.Outcome)
	if d.Status != 0 {
		fmt.Fprintf(&b, ", HTTP %d", d.Status)
	}
	if d.ReplayOf != "" {
		fmt.Fprintf(&b, ", replay of %s", d.ReplayOf)
	}
	b.WriteString("\n" + note)
	lines := []string{"curl -X POST " + shellQuote(target)}
	for _, h := range d.Headers {
		secret := slices.ContainsFunc(d.SecretHeaders, func(n string) bool { return strings.EqualFold(n, h.Name) })
		if !secret {
			lines = append(lines, "-H "+shellQuote(h.Name+": "+h.Value))
			continue
		}
		if ref, ok := shellTemplate(templateOf(d, h.Name, fallback)); ok {
			lines = append(lines, "-H "+`"`+dquoteEscape(h.Name+": ")+ref+`"`)
			continue
		}
		v := unknownSecretVar(h.Name)
		fmt.Fprintf(&b, "# %s: its template was not kept with this delivery; set %s to the whole header value (or pass --config with the langgraph.json it was sent under)\n", h.Name, v)
		lines = append(lines, "-H "+`"`+dquoteEscape(h.Name+": ")+"${"+v+"}"+`"`)
	}
	body := bytes.TrimSpace(d.Body)
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
	b.WriteString("\n" + heredoc)
	return b.String()
}

// templateOf is the template the secret header name came from: the one
// kept with d, else the fallback's.
func templateOf(d sender.Delivery, name string, fallback map[string]string) string {
	for _, h := range d.HeaderTemplates {
		if strings.EqualFold(h.Name, name) {
			return h.Template
		}
	}
	return fallback[strings.ToLower(name)]
}

// originBase is the origin as a URL base a shell on this machine can
// reach: an unspecified listen address (0.0.0.0, ::) becomes loopback.
func originBase(origin string) string {
	u, err := url.Parse(origin)
	if origin == "" || err != nil || u.Host == "" {
		return ""
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.IsUnspecified() {
		lo := "127.0.0.1"
		if ip.Is6() {
			lo = "::1"
		}
		u.Host = net.JoinHostPort(lo, u.Port())
	}
	return strings.TrimSuffix(u.String(), "/")
}

// unknownSecretVar names the variable that stands in for a secret header
// whose template is unknown: HOOKLAB_HEADER_ and the name, upper case.
func unknownSecretVar(name string) string {
	var b strings.Builder
	b.WriteString("HOOKLAB_HEADER_")
	for _, c := range strings.ToUpper(name) {
		if c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// shellTemplate turns a header template into the inside of a double-quoted
// shell word: literal text escaped, `${{ env.NAME }}` as `${NAME}`, or as
// `$(printenv 'NAME')` when NAME is no shell variable name. It fails when
// the template has no env reference (then the value was not a secret
// from it) or a malformed one.
func shellTemplate(tmpl string) (string, bool) {
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
		if name := tmpl[m[2]:m[3]]; shellName.MatchString(name) {
			b.WriteString("${" + name + "}")
		} else {
			b.WriteString("$(printenv " + shellQuote(name) + ")")
		}
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
