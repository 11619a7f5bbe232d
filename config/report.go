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

// writeText renders one decision as a small table of checks. An
// explained decision adds the checks the platform skips, every failure
// with the setting behind it, and a note when the address check did not
// run.
func writeText(w io.Writer, d Decision) {
	verdict := "allowed"
	switch {
	case !d.Allowed:
		verdict = "refused"
	case d.AddressNotRun:
		verdict = "allowed (offline: the address check was not run)"
	}
	mark := map[bool]string{true: "✓", false: "✗"}
	fmt.Fprintf(w, "%s %s  %s\n", mark[d.Allowed], d.URL, verdict)
	// A table of checks: rule, value (named by its setting), source and
	// the detail, columns two spaces apart, no trailing blanks.
	all := append(append([]Check(nil), d.Checks...), d.Rest...)
	rows := make([][4]string, len(all))
	var wRule, wValue, wSource int
	for i, c := range all {
		value := formatValue(c.Value)
		if name := settingOf(c, d, i >= len(d.Checks)); name != "" {
			value = name + "=" + value
		}
		m := mark[c.Passed]
		if c.Rule == RuleAddress && d.AddressNotRun || c.Rule == RuleLoopback && loopbackHostRefused(d) {
			m = "·" // not run, or not the check that judges an absolute URL's loopback host
		}
		rows[i] = [4]string{"  " + m + " " + c.Rule, value, c.Source, c.Detail}
		wRule, wValue = max(wRule, width(rows[i][0])), max(wValue, width(rows[i][1]))
		if c.Detail != "" {
			wSource = max(wSource, width(c.Source))
		}
	}
	for i, r := range rows {
		if i == len(d.Checks) {
			fmt.Fprintln(w, "    (the platform stops at the first failure; the checks below ran anyway)")
		}
		line := pad(r[0], wRule) + pad(r[1], wValue) + r[2]
		if r[3] != "" {
			line = pad(line, wRule+2+wValue+2+wSource) + "(" + r[3] + ")"
		}
		fmt.Fprintln(w, line)
	}
	switch {
	case !d.Allowed:
		fmt.Fprintf(w, "  → %s\n", d.Message)
		if len(d.Failed) > 0 {
			fmt.Fprintf(w, "    refused by the %s check: %s\n", d.Failed[0].Rule, d.Failed[0].Because)
		}
		if d.Hint != "" {
			fmt.Fprintf(w, "    hint: %s\n", d.Hint)
		}
		for _, f := range d.Failed[min(1, len(d.Failed)):] {
			fmt.Fprintf(w, "  → also: %s (%s check: %s)\n", f.Message, f.Rule, f.Because)
		}
	case d.Relative:
		fmt.Fprintln(w, "  → relative URL: dispatched to hooklab's own server (in-process)")
	}
}

// loopbackHostRefused reports an explained refusal of an absolute URL's
// loopback host by the address check, under disable_loopback.
func loopbackHostRefused(d Decision) bool {
	for _, f := range d.Failed {
		if f.Rule == RuleAddress && f.Setting == "webhooks.url.disable_loopback" {
			return true
		}
	}
	return false
}

// width is the number of characters in s, as a terminal shows these.
func width(s string) int { return utf8.RuneCountInString(s) }

// pad is s followed by spaces up to w characters, and two more.
func pad(s string, w int) string { return s + strings.Repeat(" ", w-width(s)+2) }

// settingOf names the webhooks.url setting a check shows, so a bare
// "false" in the report is not a riddle. rest is set for a check after
// the first failure.
func settingOf(c Check, d Decision, rest bool) string {
	if c.Rule == RuleAddress && !c.Passed {
		// The setting that refused, as Policy.addressSetting chose it.
		msg := d.Message
		if rest && len(d.Failed) > 0 {
			msg = d.Failed[len(d.Failed)-1].Message // the address check runs last
		}
		if why := strings.TrimPrefix(msg, "Webhook host blocked: "); why != msg {
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
