package ui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
)

// urlDebounce is how long the URL must stay unchanged before its host
// name is resolved.
const urlDebounce = 300 * time.Millisecond

// urlTester explains the policy decision for a URL as it is typed. Each
// change is tested at once offline (nothing is resolved, so this is
// cheap and says everything but the address check); once the URL has
// stayed unchanged for urlDebounce, and only if the address check needs
// a host name resolved, it is tested again with resolving, through the
// session the tester opened (Backend.NewURLTester), which resolves each
// name once. With the offline toggle on, nothing is ever resolved.
type urlTester struct {
	kit     dialogKit
	session URLTester
	in      lineInput
	offline bool
	seq     int              // bumped by every change of the URL or the toggle
	dec     *config.Decision // the newest answer (for seq, or older while it is tested)
	decSeq  int              // the seq dec answers
	full    bool             // dec is the online test of decSeq, not its offline pre-test
	busy    bool             // an answer for seq is still to come
	due     bool             // the online test of seq waits for the debounce
	off     int              // the first line of the decision shown (↑/↓ scroll it)
}

func newURLTester(kit dialogKit, session URLTester) *urlTester {
	return &urlTester{kit: kit, session: session}
}

func (u *urlTester) name() string { return "urltest" }

func (u *urlTester) help() []key.Binding {
	k := u.kit.keys
	return []key.Binding{k.Dialog.Offline, k.Dialog.Close}
}

func (u *urlTester) update(msg tea.Msg) action {
	switch msg := msg.(type) {
	case urlCheckedMsg:
		u.answered(msg)
	case urlDueMsg:
		return u.resolveDue(msg)
	case tea.PasteMsg:
		if u.in.paste(msg.Content) {
			return u.changed()
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, u.kit.keys.Dialog.Close):
			return closeDialog{}
		case key.Matches(msg, u.kit.keys.Dialog.Offline):
			u.offline = !u.offline
			return u.changed()
		case msg.String() == "up":
			u.off = max(0, u.off-1)
		case msg.String() == "down":
			u.off++
		case u.in.edit(msg):
			return u.changed()
		}
	}
	return nil
}

// raw is the URL as tested.
func (u *urlTester) raw() string { return strings.TrimSpace(u.in.value) }

// changed starts the test of the new input: offline at once, and with
// resolving after the debounce (unless the toggle says offline).
func (u *urlTester) changed() action {
	u.seq++
	u.due, u.off = false, 0
	if u.raw() == "" {
		u.dec, u.busy = nil, false
		return nil
	}
	u.busy = true
	cmds := []tea.Cmd{u.kit.cmds.testURL(u.session, u.seq, u.raw(), true)}
	if !u.offline {
		seq := u.seq
		u.due = true
		cmds = append(cmds, tea.Tick(urlDebounce, func(time.Time) tea.Msg { return urlDueMsg{seq: seq} }))
	}
	return cmdAction{tea.Batch(cmds...)}
}

// answered takes a decision. An offline pre-test never replaces the
// online answer of the same input.
func (u *urlTester) answered(msg urlCheckedMsg) {
	if msg.seq != u.seq || (u.full && u.decSeq == msg.seq && msg.offline) {
		return
	}
	d := msg.d
	u.dec, u.decSeq, u.full = &d, msg.seq, !msg.offline
	u.busy = !u.complete()
}

// complete reports whether dec is the whole answer for the current input:
// the online test, an offline test with the toggle on, or an offline test
// that needed nothing resolved.
func (u *urlTester) complete() bool {
	if u.dec == nil || u.decSeq != u.seq {
		return false
	}
	return u.full || u.offline || !u.dec.AddressNotRun
}

// resolveDue runs the online test once the URL stayed unchanged, unless
// the offline answer needed no resolving.
func (u *urlTester) resolveDue(msg urlDueMsg) action {
	if msg.seq != u.seq || !u.due {
		return nil
	}
	u.due = false
	if u.complete() {
		return nil
	}
	u.busy = true
	return cmdAction{u.kit.cmds.testURL(u.session, u.seq, u.raw(), false)}
}

// waiting says what the tester is doing for the current input, "" when
// it has its answer.
func (u *urlTester) waiting() string {
	switch {
	case !u.busy:
		return ""
	case u.dec != nil && u.decSeq == u.seq && u.dec.AddressNotRun:
		return "resolving the host name once you stop typing…"
	}
	return "checking…"
}

func (u *urlTester) view(w, h int) string {
	st := u.kit.st
	w = min(w, 96)
	mode := st.Dialog.Hint.Render("host names resolved once you pause")
	if u.offline {
		mode = st.Dialog.Error.Render("offline: host names not resolved")
	}
	head := []string{st.Dialog.Title.Render("URL tester") + "  " + mode, "> " + u.in.view(true, w-4), ""}
	var body []string
	switch {
	case u.dec == nil && u.busy:
		body = append(body, st.Dialog.Hint.Render("checking…"))
	case u.dec == nil:
		body = wrapStyled(st.Dialog.Hint, "type a webhook URL: every check, and why it passes or fails, shows here", w)
	default:
		body = decisionLines(st, u.dec, u.offline || u.full, w)
		if s := u.waiting(); s != "" {
			body = append(body, st.Dialog.Hint.Render(s))
		}
	}
	// The body scrolls (↑/↓) when it does not fit; the field stays.
	room := max(1, h-2-len(head))
	if len(body) > room {
		room--
		u.off = min(u.off, len(body)-room)
		more := fmt.Sprintf("↑/↓ scroll (%d–%d of %d lines)", u.off+1, u.off+room, len(body))
		body = append(body[u.off:u.off+room], st.Dialog.Hint.Render(more))
	} else {
		u.off = 0
	}
	lines := append(head, body...)
	for len(lines) < 12 && len(lines) < h-2 {
		lines = append(lines, "")
	}
	return wrapLines(padLines(lines, w), h-2)
}

// decisionLines renders an explained decision: the verdict; every
// failure, the one the platform reports first and marked, each with the
// setting behind it and the fix; then every check (those the platform
// skips after its first failure too) with the value in force, the
// setting it comes from and its source. final says the address check was
// skipped on purpose (offline), not yet to come.
func decisionLines(st *Styles, d *config.Decision, final bool, w int) []string {
	var out []string
	switch {
	case !d.Allowed && len(d.Failed) > 1:
		out = append(out, st.Detail.Err.Render(fmt.Sprintf("✗ refused: %d checks fail", len(d.Failed))))
	case !d.Allowed && len(d.Failed) == 1:
		out = append(out, st.Detail.Err.Render("✗ refused"))
	case !d.Allowed:
		out = append(out, hang(st.Detail.Err, oneLine("✗ refused: "+d.Message), w)...)
	case d.AddressNotRun && final:
		out = append(out, st.Detail.OK.Render("✓ allowed")+st.Dialog.Hint.Render(" (offline: the address check was not run)"))
	case d.AddressNotRun:
		out = append(out, st.Dialog.Hint.Render("✓ allowed so far: the address check waits for the host name"))
	default:
		out = append(out, st.Detail.OK.Render("✓ allowed"))
	}
	if d.Relative {
		out = append(out, st.Dialog.Hint.Render("relative URL: dispatched to hooklab's own server (in-process)"))
	}
	for i, f := range d.Failed {
		which := " (the one the platform reports)"
		if i > 0 {
			which = " (fails too)"
		}
		out = append(out, hang(st.Dialog.Error, oneLine("✗ "+f.Rule+which+": "+f.Message), w)...)
		why := "because " + f.Because
		if f.Hint != "" {
			why += "; fix: " + f.Hint
		}
		out = append(out, hang(st.Dialog.Hint, oneLine("  "+why), w)...)
	}
	if len(d.Failed) == 0 && d.Hint != "" {
		out = append(out, wrapStyled(st.Dialog.Hint, oneLine("hint: "+d.Hint), w)...)
	}
	out = append(out, st.Dialog.Hint.Render("checks, in the platform's order:"))
	reported := ""
	if len(d.Failed) > 0 {
		reported = d.Failed[0].Rule
	}
	all := append(append([]config.Check(nil), d.Checks...), d.Rest...)
	for i, c := range all {
		if i == len(d.Checks) && len(d.Rest) > 0 {
			out = append(out, st.Dialog.Hint.Render("  the platform stops at its first failure; these ran anyway:"))
		}
		mark := st.Detail.OK.Render("✓")
		switch {
		case c.Rule == config.RuleAddress && d.AddressNotRun:
			mark = st.Dialog.Hint.Render("·")
		case c.Rule == config.RuleLoopback && loopbackHostRefused(d):
			mark = st.Dialog.Hint.Render("·") // judges relative URLs only: the address check refused the host
		case !c.Passed:
			mark = st.Detail.Err.Render("✗")
		}
		value := oneLine(valueString(c.Value))
		if name := checkSetting(c, d); name != "" {
			value = name + "=" + value
		}
		detail := c.Detail
		if c.Rule == config.RuleAddress && d.AddressNotRun && !final {
			detail = "not run yet: resolved once you pause"
		}
		text := fmt.Sprintf("%-8s %-22s", c.Rule, value)
		if !c.Passed && c.Rule == reported {
			text += " " + st.Detail.Err.Render("◀ reported")
		}
		if detail != "" {
			text += " " + st.Dialog.Hint.Render(oneLine(detail))
		}
		text += st.Dialog.Hint.Render(" · " + oneLine(c.Source))
		out = append(out, ansi.Truncate(mark+" "+text, w, "…"))
	}
	return out
}

// hang word-wraps plain text to w cells with a hanging indent (the
// continuation lines two cells past the first's own indent), breaking
// only at spaces, and styles each line.
func hang(s lipgloss.Style, text string, w int) []string {
	w = max(w, 12)
	ind := len(text) - len(strings.TrimLeft(text, " ")) + contIndent
	first, rest, _ := strings.Cut(ansi.Wrap(text, w, ""), "\n")
	out := []string{s.Render(first)}
	if rest == "" {
		return out
	}
	pad := strings.Repeat(" ", ind)
	for _, l := range strings.Split(ansi.Wrap(strings.ReplaceAll(rest, "\n", " "), w-ind, ""), "\n") {
		out = append(out, s.Render(pad+l))
	}
	return out
}

// loopbackHostRefused reports a refusal of an absolute URL's loopback
// host: the address check refused it under disable_loopback, which the
// loopback check (relative URLs only) passed.
func loopbackHostRefused(d *config.Decision) bool {
	for _, f := range d.Failed {
		if f.Rule == config.RuleAddress && f.Setting == "webhooks.url.disable_loopback" {
			return true
		}
	}
	return false
}

// checkSetting names the webhooks.url setting a check's value is, so a
// bare "true" is not a riddle; the address check names the setting that
// refused it (disable_loopback for a loopback host).
func checkSetting(c config.Check, d *config.Decision) string {
	switch c.Rule {
	case config.RuleLength:
		return "max_url_length"
	case config.RuleLoopback:
		return "disable_loopback"
	case config.RuleHTTPS:
		return "require_https"
	case config.RulePort:
		return "allowed_ports"
	case config.RuleDomain:
		return "allowed_domains"
	case config.RuleAddress:
		if !c.Passed {
			for _, f := range d.Failed {
				if f.Rule == config.RuleAddress {
					return strings.TrimPrefix(f.Setting, "webhooks.url.")
				}
			}
		}
		return "disable_private_ips"
	}
	return ""
}

func valueString(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case []string:
		if len(v) == 0 {
			return "[]"
		}
		return strings.Join(v, ",")
	case []int:
		if len(v) == 0 {
			return "[]"
		}
		return strings.Trim(fmt.Sprint(v), "[]")
	case []any: // a decision read back from JSON
		if len(v) == 0 {
			return "[]"
		}
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = fmt.Sprint(x)
		}
		return strings.Join(parts, ",")
	}
	return fmt.Sprint(v)
}

// padLines pads each line to w so the dialog box has a stable width.
func padLines(lines []string, w int) []string {
	for i, l := range lines {
		lines[i] = padRight(l, w)
	}
	return lines
}
