package ui

import (
	"fmt"
	"path/filepath"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
	"hooklab/server/hub"
)

// The header's banners, each a line of its own between the title line and
// the filter line, shown for as long as what they say is true:
//
//   - langgraph.json does not load (a reload or a save found it broken):
//     hooklab keeps the last good config in force until the file is fixed,
//     so edits on disk seem to do nothing. config.Runtime.Problem says so,
//     on two lines (what it means, then where and what is wrong); the
//     config event of the reload that fixes it clears it.
//   - hooklab forwards to the developer's own LangGraph server: its URL,
//     its version, the pid of the command hooklab started, and a red badge
//     while it does not answer.

// banner is one line of a header banner.
type banner struct {
	problem  *config.Problem
	detail   bool // the problem's second line: where and what
	upstream *hub.UpstreamInfo
}

// bannerLines lists the banners to show now. Config and Info never block,
// so this is cheap enough to ask after every message.
func (m *Model) bannerLines() []banner {
	var out []banner
	if rt := m.b.Config(); rt != nil && rt.Problem != nil {
		out = append(out, banner{problem: rt.Problem}, banner{problem: rt.Problem, detail: true})
	}
	if m.info.Upstream != nil {
		out = append(out, banner{upstream: m.info.Upstream})
	}
	return out
}

// Banner is the text of the header's banners, one per line ("" when none).
func (m *Model) Banner() string {
	var lines []string
	for _, b := range m.bannerLines() {
		lines = append(lines, ansi.Strip(m.bannerView(b)))
	}
	return strings.Join(lines, "\n")
}

// bannerView renders b on one line of the screen's width.
func (m *Model) bannerView(b banner) string {
	h := &m.st.Header
	if p := b.problem; p != nil {
		name := filepath.Base(p.Path)
		if p.Path == "" {
			name = "langgraph.json"
		}
		where := ""
		if p.Line > 0 {
			where = fmt.Sprintf("at line %d, column %d: ", p.Line, p.Column)
		}
		since := ""
		if !p.Since.IsZero() {
			since = " since " + p.Since.Local().Format("15:04:05")
		}
		if b.detail {
			return ansi.Truncate(h.Err.Render("  "+where+oneLine(problemText(p))), m.w, "…")
		}
		badge := h.Alert.Render("⚠ " + oneLine(name) + " does not load" + since)
		rest := h.Err.Render(" · the last good config stays in force until it is fixed")
		return ansi.Truncate(badge+rest, m.w, "…")
	}
	u := b.upstream
	left := h.Label.Render("upstream ") + h.Value.Render(oneLine(u.URL))
	if u.Version != "" {
		left += h.Label.Render(" · ") + h.Value.Render(oneLine(u.Version))
	}
	if u.PID != 0 {
		left += h.Label.Render(" · pid ") + h.Value.Render(fmt.Sprint(u.PID))
	}
	right := h.OK.Render("✓ up")
	if !u.Reachable {
		right = h.Alert.Render("✗ unreachable")
		if u.Detail != "" {
			left += h.Err.Render(" " + oneLine(strings.TrimPrefix(u.Detail, "unreachable: ")))
		}
	}
	if u.PID != 0 {
		right += h.Label.Render(" · ") + h.Value.Render("L") + h.Label.Render(" log")
	}
	return joinEnds(left, right, m.w)
}

// problemText is the problem without the file's name and position,
// which the banner gives already, and without its fix.
func problemText(p *config.Problem) string {
	msg := strings.TrimPrefix(p.Message, "config: ")
	if rest, ok := strings.CutPrefix(msg, p.Path+":"); ok {
		msg = rest
		if p.Line > 0 {
			msg = strings.TrimPrefix(msg, fmt.Sprintf("%d:%d:", p.Line, p.Column))
		}
		msg = strings.TrimSpace(msg)
	}
	msg, _, _ = strings.Cut(msg, "; fix: ")
	return msg
}

// upstreamChanged takes an upstream event from the feed: the header reads
// the state again, and the status bar says when the upstream went away or
// came back.
func (m *Model) upstreamChanged(e hub.Event) tea.Cmd {
	was := m.info.Upstream
	m.info = m.b.Info()
	var u hub.UpstreamInfo
	if e.Decode(&u) != nil || was == nil || was.Reachable == u.Reachable {
		return nil
	}
	if !u.Reachable {
		return m.setStatus("upstream "+u.URL+" unreachable: "+strings.TrimPrefix(u.Detail, "unreachable: "), statusErr, 2*defaultTTL)
	}
	return m.setStatus("upstream "+u.URL+" answers again", statusOK, defaultTTL)
}
