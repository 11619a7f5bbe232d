package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/server/hub"
)

// kindFilters is the cycle `f` walks through; "" shows every kind. A
// function, not a package variable, so nothing global is mutable.
func kindFilters() [11]hub.Kind {
	return [...]hub.Kind{"", hub.KindRequest, hub.KindDecision, hub.KindAttempt,
		hub.KindDelivery, hub.KindRun, hub.KindSink, hub.KindCron, hub.KindConfig, hub.KindNotice, hub.KindUpstream}
}

// outcomeFilters names the outcome filter cycle `F` walks through.
func outcomeFilters() [4]string { return [...]string{"all", "ok", "warn", "error"} }

// eventList is the virtualised feed: it holds indices into the feed's rows
// that pass the filter and renders only the rows on screen.
type eventList struct {
	cursor  // over f.rows
	f       *feed
	st      *Styles
	kindF   int // index into kindFilters
	outF    int // index into outcomeFilters
	query   string
	w, h    int
	focused bool
}

func newEventList(f *feed, st *Styles) eventList {
	return eventList{f: f, st: st, cursor: cursor{follow: true}, focused: true}
}

// SetSize sets the area the list renders into.
func (l *eventList) SetSize(w, h int) {
	l.w, l.h, l.rows = w, h, h
	l.clamp()
}

func (l *eventList) matches(r *row) bool {
	if l.kindF != 0 && int(r.kind) != l.kindF { // kind codes are kindFilters() indices
		return false
	}
	if !passes(l.outF, r.out) {
		return false
	}
	return l.query == "" || containsFold(r.text, l.query) || containsFold(r.delivery, l.query)
}

// listMark is the selection before the feed changes. After a merge the
// index's positions mean nothing (rows moved and some were cut), so the
// list finds its selection again by key.
type listMark struct {
	key rowKey
	ok  bool
}

func (l *eventList) mark() listMark {
	if r := l.selected(); r != nil {
		return listMark{r.key, true}
	}
	return listMark{}
}

// rebuild recomputes the filter index, keeping the selected event selected
// when it still passes.
func (l *eventList) rebuild() { l.rebuildFrom(l.mark()) }

func (l *eventList) rebuildFrom(mk listMark) {
	selKey, hadSel := mk.key, mk.ok
	l.idx = l.idx[:0]
	for i := range l.f.rows {
		if l.matches(&l.f.rows[i]) {
			l.idx = append(l.idx, i)
		}
	}
	l.reselect(hadSel, func(i int) int { return l.f.rows[i].key.cmp(selKey) })
}

// appended updates the index after feed.add; before is the mark taken
// before it.
func (l *eventList) appended(res appendResult, before listMark) {
	if res.reindex {
		l.rebuildFrom(before)
		return
	}
	if res.cut > 0 {
		l.cut(res.cut)
	}
	for i := res.from; i < len(l.f.rows); i++ {
		if l.matches(&l.f.rows[i]) {
			l.idx = append(l.idx, i)
		}
	}
	if l.follow {
		l.sel = len(l.idx) - 1
	}
	l.clamp()
}

// selected is the selected row, nil when the list is empty.
func (l *eventList) selected() *row {
	if p, ok := l.pos(); ok && p < len(l.f.rows) {
		return &l.f.rows[p]
	}
	return nil
}

// Update handles the list's navigation and filter keys.
func (l eventList) Update(msg tea.Msg, k *KeyMap) (eventList, tea.Cmd) {
	if l.navigate(msg, k) {
		return l, nil
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(msg, k.List.Filter):
			l.kindF = (l.kindF + 1) % len(kindFilters())
			l.rebuild()
		case key.Matches(msg, k.List.Outcome):
			l.outF = (l.outF + 1) % len(outcomeFilters())
			l.rebuild()
		}
	}
	return l, nil
}

// View renders exactly h lines of at most w cells.
func (l *eventList) View() string {
	var b strings.Builder
	end := min(l.top+l.h, len(l.idx))
	n := 0
	for p := l.top; p < end; p++ {
		if n > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l.renderRow(&l.f.rows[l.idx[p]], p == l.sel))
		n++
	}
	empty := "waiting for events…"
	if len(l.f.rows) > 0 {
		empty = "no events match the filter"
	}
	return finishList(&b, n, l.h, l.st.List.Dim.Render(ansi.Truncate(empty, l.w, "…")))
}

// finishList pads a list's n lines in b to h; an empty list says why
// (empty) on its first line.
func finishList(b *strings.Builder, n, h int, empty string) string {
	if n == 0 && h > 0 {
		b.WriteString(empty)
		n++
	}
	for ; n < h; n++ {
		b.WriteByte('\n')
	}
	return b.String()
}

func (l *eventList) renderRow(r *row, selected bool) string {
	t := r.time().Local()
	ts := t.Format("15:04:05.000")
	if l.w < 80 {
		ts = t.Format("15:04:05")
	}
	status := "   "
	if r.status != 0 {
		status = fmt.Sprintf("%3d", r.status)
	}
	dur := "       "
	if r.durMS > 0 {
		dur = fmtDur(float64(r.durMS))
	}
	k := l.f.kindOf(r)
	kind := fmt.Sprintf(" %-8s ", oneLine(string(k)))
	fixed := len(ts) + 1 + len(kind) + 1 + len(status) + 1 + len(dur) + 1
	text := ansi.Truncate(r.text, max(l.w-fixed, 0), "…")
	if selected && l.focused {
		line := ts + " " + kind + " " + status + " " + dur + " " + text
		return l.st.List.Selected.Render(padRight(line, l.w))
	}
	oc := l.st.List.Outcome[r.out]
	badge, ok := l.st.Badge[string(k)]
	if !ok {
		badge = l.st.List.Dim
	}
	mark := " "
	if selected {
		mark = "›"
	}
	line := l.st.List.Time.Render(ts) + mark + badge.Render(kind) + " " + oc.Render(status) + " " +
		l.st.List.Dim.Render(dur) + " " + oc.Render(text)
	return ansi.Truncate(line, l.w, "")
}

// fmtDur renders milliseconds in a fixed 7 cells.
func fmtDur(ms float64) string {
	switch {
	case ms < 10:
		return fmt.Sprintf("%5.1fms", ms)
	case ms < 10_000:
		return fmt.Sprintf("%5.0fms", ms)
	}
	return fmt.Sprintf("%6.1fs", ms/1000)
}

func padRight(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return ansi.Truncate(s, w, "")
}

// containsFold is an allocation-free ASCII case-insensitive Contains, so a
// search over 100k rows stays fast.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	n := len(sub)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			if lower(s[i+j]) != lower(sub[j]) {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
