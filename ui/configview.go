package ui

import (
	"fmt"
	"os"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
)

func (e *configEditor) view(m *Model, w, h int) string {
	st := m.st
	w = min(w, 96)
	pol := config.EffectivePolicy(e.f.Webhooks)
	file := e.f.Path
	if e.f.Embedded || file == "" {
		file = "embedded default (saving writes ./langgraph.json)"
	}
	lines := []string{st.Dialog.Title.Render("Config") + st.Dialog.Hint.Render("  "+file)}
	rows := e.rows()
	selLine := 0
	for i, r := range rows {
		label := strings.TrimPrefix(r.key, "webhooks.")
		if r.kind == rowHeader {
			label = "header"
		}
		val := e.display(r, pol)
		if i == e.sel && e.editing {
			val = e.in.view(true, max(10, w-28))
		}
		if i == e.sel {
			selLine = len(lines)
		}
		line := fmt.Sprintf("%-24s %s", ansi.Truncate(label, 24, "…"), val)
		line = padRight(ansi.Truncate(line, w, "…"), w)
		if i == e.sel {
			line = st.Dialog.Focus.Render(line)
		}
		lines = append(lines, line)
		if r.kind == rowHeader {
			lines = append(lines, wrapStyled(st.Dialog.Hint, "  "+e.preview(r), w)...)
		} else if pe := e.problem(); pe != nil && pe.Key != "" && (pe.Key == r.key || strings.HasPrefix(pe.Key, r.key+".") || strings.HasPrefix(pe.Key, r.key+"[")) {
			lines = append(lines, wrapStyled(st.Dialog.Error, "  ✗ "+pe.Message, w)...)
		}
		if i == e.sel && e.inputEr != "" {
			lines = append(lines, wrapStyled(st.Dialog.Error, "  ✗ "+e.inputEr, w)...)
		}
	}
	body := lines[1:]
	var foot []string
	switch {
	case e.busy:
		foot = append(foot, st.Dialog.Hint.Render("applying…"))
	case e.problem() != nil:
		pe := e.problem()
		msg := "✗ " + pe.Message
		if e.err == nil {
			msg = "✗ refused: " + pe.Message
		}
		if pe.Fix != "" {
			msg += " — fix: " + pe.Fix
		}
		foot = append(foot, wrapStyled(st.Dialog.Error, msg, w)...)
	default:
		foot = append(foot, st.Detail.OK.Render("✓ valid"))
	}
	foot = append(foot, wrapStyled(st.Dialog.Hint, `env_prefix: empty = absent (default), "" = no prefix check; lists are comma separated`, w)...)
	// Scroll the rows so the selected one stays in view; the title and the
	// verdict stay put.
	avail := max(3, h-2)
	if len(foot) > avail/3 {
		foot = foot[:max(1, avail/3)]
	}
	room := max(1, avail-1-len(foot))
	start := min(max(0, selLine-1-room/2), max(0, len(body)-room))
	body = body[start:min(len(body), start+room)]
	out := append([]string{lines[0]}, body...)
	out = append(out, foot...)
	return strings.Join(padLines(out, w), "\n")
}

func (e *configEditor) display(r cfgRow, pol config.Policy) string {
	tri := func(p *bool, s config.Setting[bool]) string {
		if p == nil {
			return fmt.Sprintf("unset → %v (%s)", s.Value, s.Source)
		}
		return fmt.Sprint(*p)
	}
	w := e.f.Webhooks
	switch r.key {
	case "http.disable_webhooks":
		return fmt.Sprint(e.f.HTTP.DisableWebhooks)
	case "webhooks.env_prefix":
		if w.EnvPrefix == nil {
			return "absent → " + config.DefaultEnvPrefix
		}
	case "webhooks.url":
		if w.URL == nil {
			return "absent (platform defaults)"
		}
		return "present (schema defaults for unset fields)"
	case "webhooks.url.require_https":
		return tri(w.URL.RequireHTTPS, pol.RequireHTTPS)
	case "webhooks.url.disable_loopback":
		return tri(w.URL.DisableLoopback, pol.DisableLoopback)
	case "webhooks.url.disable_private_ips":
		return tri(w.URL.DisablePrivateIPs, pol.DisablePrivateIPs)
	case "webhooks.url.max_url_length":
		if w.URL.MaxURLLength == nil {
			return fmt.Sprintf("unset → %d (%s)", pol.MaxURLLength.Value, pol.MaxURLLength.Source)
		}
	}
	if t := e.text(r); t != "" {
		return t
	}
	return "(none)"
}

// preview shows a header's resolved value, masked, or why it cannot be
// resolved. Each header is resolved on its own so one bad header does not
// hide the others' previews.
func (e *configEditor) preview(r cfgRow) string {
	one := e.f.Clone()
	one.Webhooks.Headers = []config.Header{e.f.Webhooks.Headers[r.hdr]}
	one.Webhooks.AllowedFields = nil
	one.Webhooks.URL = nil
	rt, err := config.Resolve(one, os.LookupEnv)
	if err != nil {
		msg := err.Error()
		if ce, ok := err.(*config.Error); ok {
			msg = ce.Message
		}
		return "✗ " + msg
	}
	if len(rt.Headers) == 0 {
		return ""
	}
	return "→ " + rt.Headers[0].Masked
}

// wrapStyled word-wraps plain text to w cells and styles each line, so
// platform messages are shown whole rather than cut.
func wrapStyled(s lipgloss.Style, text string, w int) []string {
	lines := strings.Split(ansi.Wrap(text, max(w, 10), ""), "\n")
	for i, l := range lines {
		lines[i] = s.Render(l)
	}
	return lines
}
