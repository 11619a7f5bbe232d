package ui

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
)

func (e *configEditor) view(w, h int) string {
	st := e.kit.st
	w = min(w, 96)
	if e.loosen != nil {
		return strings.Join(padLines(e.loosenView(w, max(3, h-2)), w), "\n")
	}
	if e.conflict != nil {
		return strings.Join(padLines(e.conflictView(w, max(3, h-2)), w), "\n")
	}
	pol := config.EffectivePolicy(e.f.Webhooks)
	file := e.f.Path
	if e.f.Embedded || file == "" {
		file = "embedded default (saving writes ./langgraph.json)"
	}
	lines := []string{st.Dialog.Title.Render("Config") + st.Dialog.Hint.Render("  "+file)}
	rows := e.rows()
	errRow := e.problemRow(rows)
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
		if r.kind == rowHeader && r.hdr == e.dupHdr && e.err != nil {
			lines = append(lines, wrapStyled(st.Dialog.Error, "  ✗ "+e.err.Message, w)...)
		} else if r.kind == rowHeader {
			lines = append(lines, wrapStyled(st.Dialog.Hint, "  "+e.preview(r), w)...)
		} else if i == errRow {
			lines = append(lines, wrapStyled(st.Dialog.Error, "  ✗ "+e.problem().Message, w)...)
		}
		if i == e.sel && e.inputEr != "" {
			lines = append(lines, wrapStyled(st.Dialog.Error, "  ✗ "+e.inputEr, w)...)
		}
	}
	body := lines[1:]
	var verdict []string
	switch {
	case e.busy:
		verdict = append(verdict, st.Dialog.Hint.Render("applying…"))
	case e.check.pending():
		verdict = append(verdict, st.Dialog.Hint.Render("resolving the header templates where hooklab runs…"))
	case e.problem() != nil:
		pe := e.problem()
		msg := "✗ " + pe.Message
		if e.err == nil {
			msg = "✗ refused: " + pe.Message
		}
		if pe.Fix != "" {
			msg += " — fix: " + pe.Fix
		}
		verdict = append(verdict, wrapStyled(st.Dialog.Error, msg, w)...)
	case e.dirty():
		verdict = append(verdict, st.Detail.OK.Render("✓ valid")+st.Dialog.Hint.Render(" · not applied yet (a applies, w also saves)"))
	default:
		verdict = append(verdict, st.Detail.OK.Render("✓ valid"))
	}
	if f := e.check.failed; f != "" && !e.check.pending() {
		verdict = append(verdict, wrapStyled(st.Dialog.Hint, "could not resolve the header templates: "+f, w)...)
	}
	// Every key is listed here, wrapped: the status bar has one line and
	// cut the last ones (w, esc) at 80 columns.
	var keys []string
	if e.confirm {
		keys = wrapStyled(st.Dialog.Error, "Discard the changes not applied? y discard · n/esc keep editing", w)
	} else {
		var segs []string
		for _, b := range e.keys(e.kit.keys) {
			segs = append(segs, st.Dialog.Hint.Render(b.Help().Key+" "+b.Help().Desc))
		}
		keys = packSegments(segs, st.Dialog.Hint.Render(" · "), w)
	}
	note := wrapStyled(st.Dialog.Hint, `env_prefix: empty = absent (default), "" = no prefix check; lists are comma separated`, w)
	// Scroll the rows so the selected one stays in view; the title, the
	// verdict and the keys stay put, the note only when there is room.
	avail := max(3, h-2)
	verdict = verdict[:min(len(verdict), max(1, avail/4))]
	foot := append(verdict, keys...)
	if avail-1-len(foot)-len(note) >= 6 {
		foot = append(foot, note...)
	}
	room := max(1, avail-1-len(foot))
	start := min(max(0, selLine-1-room/2), max(0, len(body)-room))
	body = body[start:min(len(body), start+room)]
	out := append([]string{lines[0]}, body...)
	out = append(out, foot...)
	return strings.Join(padLines(out, w), "\n")
}

// problemRow is the row the problem's key names: the most specific one
// (url.allowed_ports for webhooks.url.allowed_ports[1], not url), so the
// message shows once, next to the field to fix; -1 when none does.
func (e *configEditor) problemRow(rows []cfgRow) int {
	pe := e.problem()
	if pe == nil || pe.Key == "" {
		return -1
	}
	row, best := -1, 0
	for i, r := range rows {
		if r.kind != rowHeader && len(r.key) > best &&
			(pe.Key == r.key || strings.HasPrefix(pe.Key, r.key+".") || strings.HasPrefix(pe.Key, r.key+"[")) {
			row, best = i, len(r.key)
		}
	}
	return row
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

// wrapStyled word-wraps plain text to w cells and styles each line, so
// platform messages are shown whole rather than cut.
func wrapStyled(s lipgloss.Style, text string, w int) []string {
	lines := strings.Split(ansi.Wrap(text, max(w, 10), ""), "\n")
	for i, l := range lines {
		lines[i] = s.Render(l)
	}
	return lines
}
