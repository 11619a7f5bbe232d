package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// View implements tea.Model: header, list and detail (side by side or
// stacked), status bar; dialogs and help drawn over the body.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "hooklab"
	return v
}

func (m *Model) render() string {
	if m.w == 0 {
		return ""
	}
	if m.tooSmall() {
		msg := fmt.Sprintf("terminal too small (need %dx%d, have %dx%d)", minWidth, minHeight, m.w, m.h)
		lines := make([]string, max(m.h, 1))
		lines[len(lines)/2] = padRight(strings.Repeat(" ", max(0, (m.w-len(msg))/2))+msg, m.w)
		return strings.Join(fit(strings.Join(lines, "\n"), m.w, m.h), "\n")
	}
	l := m.lay
	out := make([]string, 0, m.h)
	out = append(out, fit(m.headerView(), m.w, l.header.h)...)
	var body []string
	list := fit(m.listView(), l.list.w, l.list.h)
	det := fit(m.detail.View(), l.detail.w, l.detail.h)
	if l.wide {
		sep := m.st.Border.Render("│")
		body = make([]string, l.body.h)
		for i := range body {
			s := sep
			if i == 0 {
				s = m.focusMark()
			}
			body[i] = padRight(list[i], l.list.w) + s + det[i]
		}
	} else {
		body = append(body, list...)
		body = append(body, m.separator(l.body.w))
		body = append(body, det...)
	}
	if m.dialog != nil {
		box := m.dialog.view(max(20, l.body.w-4), max(5, l.body.h))
		body = overlay(body, m.st.Dialog.Box.Render(box), l.body.w)
	}
	out = append(out, fit(strings.Join(body, "\n"), l.body.w, l.body.h)...)
	if l.help.h > 0 {
		if l.helpSep {
			out = append(out, m.st.Border.Render(strings.Repeat("─", m.w)))
		}
		out = append(out, fit(m.fullHelpView(), m.w, l.help.h)...)
	}
	out = append(out, fit(m.statusView(), m.w, 1)...)
	return strings.Join(out, "\n")
}

// focusMark tops the separator of the side-by-side layout: it points at
// the pane that has the keyboard.
func (m *Model) focusMark() string {
	if m.focus == focusDetail {
		return m.st.Focus.Render("▶")
	}
	return m.st.Focus.Render("◀")
}

// separator is the rule between the stacked list and detail; it names the
// pane that has the keyboard, pointing at it.
func (m *Model) separator(w int) string {
	label := " ▲ list "
	if m.focus == focusDetail {
		label = " ▼ detail "
	}
	return m.st.Border.Render("──") + m.st.Focus.Render(label) + m.st.Border.Render(strings.Repeat("─", max(0, w-2-len([]rune(label)))))
}

// headerView is the title line (address, config, counts, sparkline), the
// banners (see bannerLines) and the filter/search line.
func (m *Model) headerView() string {
	h := &m.st.Header
	cfg := oneLine(m.info.ConfigPath)
	if m.info.Embedded || cfg == "" {
		cfg = "embedded default"
	}
	addr := oneLine(m.info.Addr)
	if m.info.Remote {
		addr += " (remote)"
	}
	c := m.feed.counts
	counts := h.OK.Render(fmt.Sprintf("✓%d", c.delivered)) + " " + h.Err.Render(fmt.Sprintf("✗%d", c.failed)) + " " +
		h.Warn.Render(fmt.Sprintf("⊘%d", c.refused))
	left := h.Title.Render("hooklab") + " "
	if m.alert.text != "" {
		// The badge comes before the address so joinEnds cuts the address
		// first; it keeps at least half the line.
		left += h.Alert.Render(ansi.Truncate("⚠ "+m.alert.text, max(12, m.w/2), "…")) + " "
	}
	left += h.Value.Render(addr) + h.Label.Render(" · ") + h.Value.Render(cfg)
	right := counts + " " + h.Spark.Render(sparkline(m.feed.lat, 16))
	line1 := joinEnds(left, right, m.w)

	cur := m.cur()
	follow := ""
	if cur.follow {
		follow = "follow "
	}
	pos := fmt.Sprintf("%s%d/%d", follow, min(cur.sel+1, len(cur.idx)), len(cur.idx))
	line2 := joinEnds(m.st.Bar.Render(m.filterBar()), m.st.Bar.Render(pos), m.w)
	lines := []string{line1}
	// The config may change between the layout and this frame (another
	// goroutine swaps it): draw as many banners as were laid out.
	bs := m.bannerLines()
	for i := range m.banners {
		if i < len(bs) {
			lines = append(lines, m.bannerView(bs[i]))
		} else {
			lines = append(lines, "")
		}
	}
	return strings.Join(append(lines, line2), "\n")
}

// joinEnds puts left and right on one line of width w, cutting left first.
func joinEnds(left, right string, w int) string {
	rw := ansi.StringWidth(right)
	if rw >= w {
		return ansi.Truncate(right, w, "")
	}
	left = ansi.Truncate(left, max(0, w-rw-1), "…")
	gap := max(1, w-ansi.StringWidth(left)-rw)
	return left + strings.Repeat(" ", gap) + right
}

// sparkline renders the newest n values scaled to their maximum.
func sparkline(vals []float64, n int) string {
	if len(vals) > n {
		vals = vals[len(vals)-n:]
	}
	if len(vals) == 0 {
		return ""
	}
	const ticks = "▁▂▃▄▅▆▇█"
	tr := []rune(ticks)
	hi := 0.0
	for _, v := range vals {
		hi = max(hi, v)
	}
	var b strings.Builder
	for _, v := range vals {
		i := 0
		if hi > 0 {
			i = int(v / hi * float64(len(tr)-1))
		}
		b.WriteRune(tr[min(max(i, 0), len(tr)-1)])
	}
	return b.String()
}

// statusLine is the bottom bar's message state.
type statusLine struct {
	text string
	kind statusKind
	id   int
}

func (m *Model) statusView() string {
	if m.status.text != "" {
		s := m.st.Status.Info
		switch m.status.kind {
		case statusOK:
			s = m.st.Status.OK
		case statusWarn:
			s = m.st.Status.Warn
		case statusErr:
			s = m.st.Status.Err
		}
		return s.Render(ansi.Truncate(m.status.text, m.w, "…"))
	}
	if m.showHelp {
		if n := len(m.helpLay); n > 1 && m.helpPage+1 < n {
			return m.st.Status.Desc.Render(fmt.Sprintf("? more keys (page %d/%d) · esc closes the help", m.helpPage+1, n))
		}
		return m.st.Status.Desc.Render("? or esc closes the help")
	}
	return m.shortHelpView(m.ShortHelp())
}

// shortHelpView is the one-line help. ? and q end it and stay in view
// however narrow the terminal is: the keys before them are cut instead.
func (m *Model) shortHelpView(bs []key.Binding) string {
	var head, tail []key.Binding
	for _, b := range bs {
		if b.Help() == m.keys.Global.Help.Help() || b.Help() == m.keys.Global.Quit.Help() {
			tail = append(tail, b)
		} else {
			head = append(head, b)
		}
	}
	h := m.help
	h.SetWidth(0)
	tv := h.ShortHelpView(tail)
	if ansi.StringWidth(tv) > m.w && len(tail) > 1 {
		tail = tail[:1]
		tv = h.ShortHelpView(tail)
	}
	if len(tail) == 0 {
		h.SetWidth(m.w)
		return h.ShortHelpView(head)
	}
	sep := h.Styles.ShortSeparator.Inline(true).Render(h.ShortSeparator)
	room := m.w - ansi.StringWidth(tv) - ansi.StringWidth(sep)
	// bubbles/help cuts with "…" only while the "…" fits, and otherwise
	// lets the line run over; fewer keys are tried until the line fits.
	for n := len(head); n > 0; n-- {
		hv := h.ShortHelpView(head[:n])
		if n < len(head) {
			hv += " " + h.Styles.Ellipsis.Inline(true).Render(h.Ellipsis)
		}
		if ansi.StringWidth(hv) <= room {
			return hv + sep + tv
		}
	}
	return tv
}

// searchBar is the `/` input on the filter line; the filter follows each
// keystroke.
type searchBar struct {
	active bool
	value  string
	prev   string
}

func (s *searchBar) start(cur string) { s.active, s.value, s.prev = true, cur, cur }

// handlePaste gives pasted text to the field that has the keyboard: the
// open dialog's, else the search bar. Elsewhere a paste means nothing (it
// must not run as a string of commands).
func (m *Model) handlePaste(msg tea.PasteMsg) tea.Cmd {
	switch {
	case m.tooSmall():
	case m.dialog != nil:
		return m.updateDialog(msg)
	case m.search.active:
		in := lineInput{value: m.search.value}
		if in.paste(msg.Content) {
			m.search.value = in.value
			m.setQuery(in.value)
		}
	}
	return nil
}

func (m *Model) updateSearch(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.search.active = false
		return nil
	case "esc":
		m.search.active = false
		m.search.value = ""
	default: // typing, backspace, ctrl+u clears
		in := lineInput{value: m.search.value}
		if !in.edit(msg) {
			return nil
		}
		m.search.value = in.value
	}
	m.setQuery(m.search.value)
	return nil
}
