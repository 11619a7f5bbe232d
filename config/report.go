package config

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// WriteDecisions prints decisions for `hooklab check-url`. With asJSON it
// writes one compact object per line per URL: url, allowed, rule (the failing
// check, "" when allowed), message, hint, relative and checks (rule, passed,
// value, source, detail). Otherwise it writes a check-by-check report.
func WriteDecisions(w io.Writer, ds []Decision, asJSON bool) error {
	bw := bufio.NewWriter(w)
	if asJSON {
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false) // URLs keep their & and < as typed
		for _, d := range ds {
			if d.Checks == nil {
				d.Checks = []Check{}
			}
			if err := enc.Encode(d); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	for i, d := range ds {
		if i > 0 {
			fmt.Fprintln(bw)
		}
		writeText(bw, d)
	}
	return bw.Flush()
}

// writeText renders one decision as a small table of checks.
func writeText(w io.Writer, d Decision) {
	verdict := "allowed"
	if !d.Allowed {
		verdict = "refused"
	}
	mark := map[bool]string{true: "✓", false: "✗"}
	fmt.Fprintf(w, "%s %s  %s\n", mark[d.Allowed], d.URL, verdict)
	// A table of checks: rule, value (named by its setting), source and
	// the detail, columns two spaces apart, no trailing blanks.
	rows := make([][4]string, len(d.Checks))
	var wRule, wValue, wSource int
	for i, c := range d.Checks {
		value := formatValue(c.Value)
		if name := settingOf(c, d); name != "" {
			value = name + "=" + value
		}
		rows[i] = [4]string{"  " + mark[c.Passed] + " " + c.Rule, value, c.Source, c.Detail}
		wRule, wValue = max(wRule, width(rows[i][0])), max(wValue, width(rows[i][1]))
		if c.Detail != "" {
			wSource = max(wSource, width(c.Source))
		}
	}
	for _, r := range rows {
		line := pad(r[0], wRule) + pad(r[1], wValue) + r[2]
		if r[3] != "" {
			line = pad(line, wRule+2+wValue+2+wSource) + "(" + r[3] + ")"
		}
		fmt.Fprintln(w, line)
	}
	switch {
	case !d.Allowed:
		fmt.Fprintf(w, "  → %s\n", d.Message)
		if d.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", d.Hint)
		}
	case d.Relative:
		fmt.Fprintln(w, "  → relative URL: dispatched to hooklab's own server (in-process)")
	}
}

// width is the number of characters in s, as a terminal shows these.
func width(s string) int { return utf8.RuneCountInString(s) }

// pad is s followed by spaces up to w characters, and two more.
func pad(s string, w int) string { return s + strings.Repeat(" ", w-width(s)+2) }

// settingOf names the webhooks.url setting a check shows, so a bare
// "false" in the report is not a riddle.
func settingOf(c Check, d Decision) string {
	if c.Rule == RuleAddress && !c.Passed {
		// The setting that refused, as Policy.addressSetting chose it.
		if why := strings.TrimPrefix(d.Message, "Webhook host blocked: "); why != d.Message {
			return Policy{}.addressSettingName(why)
		}
	}
	switch c.Rule {
	case RuleLength:
		return "max_url_length"
	case RuleLoopback:
		return "disable_loopback"
	case RuleHTTPS:
		return "require_https"
	case RulePort:
		return "allowed_ports"
	case RuleDomain:
		return "allowed_domains"
	case RuleAddress:
		return "disable_private_ips"
	}
	return ""
}

// formatValue prints a check value the way it would be written in
// langgraph.json, so the user can copy it.
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []string:
		if len(x) == 0 {
			return "[] (no limit)"
		}
		return "[" + strings.Join(x, ",") + "]"
	case []int:
		if len(x) == 0 {
			return "[] (no limit)"
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
