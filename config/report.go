package config

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
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
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range d.Checks {
		value := formatValue(c.Value)
		if name := settingOf(c, d); name != "" {
			value = name + "=" + value
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s", mark[c.Passed], c.Rule, value, c.Source)
		if c.Detail != "" {
			// Only a cell followed by a tab is padded: no trailing blanks.
			fmt.Fprintf(tw, "\t(%s)", c.Detail)
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
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
