package ui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"
)

// The root keeps two lists over the same feed: the run list (the default:
// one row per run) and the raw event list (one row per event). These
// methods act on the one on screen.

// updateList gives a navigation or filter key (or the wheel) to the list
// on screen.
func (m *Model) updateList(msg tea.Msg) {
	if m.raw {
		m.list, _ = m.list.Update(msg, &m.keys)
		return
	}
	m.runs.Update(msg, &m.keys)
}

// toggleView switches between the run list and the raw events. The
// selection follows what it was about when it can: the run of the
// selected event, or the first event of the selected run.
func (m *Model) toggleView() {
	sub := m.subject()
	m.raw = !m.raw
	if m.raw {
		m.list.rebuild()
		if sub.e != nil {
			m.selectRaw(sub.e.first)
		}
	} else {
		m.runs.rebuild()
		if sub.r != nil {
			m.selectRun(sub.r.key)
		}
	}
	m.setFocus(m.focus)
}

// selectRaw selects the raw row k, if the filter shows it.
func (m *Model) selectRaw(k rowKey) {
	for p, i := range m.list.idx {
		if m.feed.rows[i].key == k {
			m.list.sel, m.list.follow = p, p == len(m.list.idx)-1
			m.list.clamp()
			return
		}
	}
}

// selectRun selects the run-list entry that holds event k, if the filter
// shows it.
func (m *Model) selectRun(k rowKey) {
	for p, i := range m.runs.idx {
		e := m.feed.runs.entries[i]
		if e.first.cmp(k) > 0 || e.last.cmp(k) < 0 {
			continue
		}
		if _, ok := slicesContainsKey(e.keys, k); ok {
			m.runs.sel, m.runs.follow = p, p == len(m.runs.idx)-1
			m.runs.clamp()
			return
		}
	}
}

// inDetail reports whether screen cell x, y is in the detail pane.
func (m *Model) inDetail(x, y int) bool {
	if m.lay.wide {
		return x >= m.lay.detail.x
	}
	return y >= m.lay.detail.y
}

// handleClick selects the clicked row (the list takes the keyboard), or
// gives the keyboard to the detail when it is clicked.
func (m *Model) handleClick(msg tea.MouseClickMsg) {
	if m.dialog != nil || m.tooSmall() || msg.Button != tea.MouseLeft {
		return
	}
	l := m.lay.list
	switch {
	case m.inDetail(msg.X, msg.Y) && msg.Y >= m.lay.detail.y && msg.Y < m.lay.detail.y+m.lay.detail.h:
		m.setFocus(focusDetail)
	case msg.X >= l.x && msg.X < l.x+l.w && msg.Y >= l.y && msg.Y < l.y+l.h:
		line := msg.Y - l.y
		rowH := 1
		if !m.raw {
			rowH = m.runs.rowH
		}
		if m.cur().selectRow(line / rowH) {
			m.setFocus(focusList)
		}
	}
}

// listView renders the list on screen.
func (m *Model) listView() string {
	if m.raw {
		return m.list.View()
	}
	return m.runs.View()
}

// setQuery searches both lists, so switching views keeps the search.
func (m *Model) setQuery(q string) {
	m.list.query, m.runs.query = q, q
	m.list.rebuild()
	m.runs.rebuild()
}

// filterBar is the header's second line, left part: the view, its
// filters and the search.
func (m *Model) filterBar() string {
	view, kind, out, q := "runs  ", m.runs.kindName(), m.runs.outF, m.runs.query
	if m.raw {
		view, kind, out, q = "events  ", string(kindFilters()[m.list.kindF]), m.list.outF, m.list.query
		if kind == "" {
			kind = "all"
		}
	}
	bar := fmt.Sprintf("%skind:%s  outcome:%s  ", view, kind, outcomeFilters()[out])
	switch {
	case m.search.active:
		bar += "/" + m.search.value + "█"
	case q != "":
		bar += "search:" + q
	}
	return bar
}

// slicesContainsKey finds k in the ordered keys.
func slicesContainsKey(keys []rowKey, k rowKey) (int, bool) {
	for i, x := range keys {
		if x == k {
			return i, true
		}
	}
	return 0, false
}
