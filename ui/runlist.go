package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/server/hub"
)

// upstreamMark leads the row of a run that ran on the developer's own
// LangGraph server (hooklab dev --upstream).
const upstreamMark = "⇄ "

// runKinds names the kind filter cycle of the run list; "" shows all.
func runKinds() [4]string { return [...]string{"", "runs", "requests", "other"} }

// minURLCells is the narrowest the URL may get on a row's first line
// before it moves to a second line of its own (when the list is tall
// enough for two-line rows).
const minURLCells = 40

// runList is the default list: one row per run, its events folded in as
// they arrive. Like the event list it renders only the rows on screen.
type runList struct {
	cursor  // over f.runs.entries
	f       *feed
	st      *Styles
	kindF   int // index into runKinds
	outF    int // index into outcomeFilters
	query   string
	w, h    int
	rowH    int // lines per row: 2 when the URL needs a line of its own
	focused bool
}

func newRunList(f *feed, st *Styles) runList {
	return runList{f: f, st: st, cursor: cursor{follow: true}, focused: true, rowH: 1}
}

// SetSize sets the area the list renders into and picks the row height.
func (l *runList) SetSize(w, h int) {
	l.w, l.h, l.rowH = w, h, 1
	if w-l.fixedWidth() < minURLCells && h >= 10 {
		l.rowH = 2
	}
	l.rows = max(1, h/l.rowH)
	l.clamp()
}

// timeFormat is the row's clock: milliseconds when there is room.
func (l *runList) timeFormat() string {
	if l.w < 80 {
		return "15:04:05"
	}
	return "15:04:05.000"
}

// fixedWidth is the width of the columns before the URL: time, mark,
// outcome, status, attempts, duration and their gaps.
func (l *runList) fixedWidth() int { return len(l.timeFormat()) + 1 + 9 + 1 + 3 + 1 + 3 + 1 + 7 + 1 }

// selected is the selected entry, nil when the list is empty.
func (l *runList) selected() *entry {
	if p, ok := l.pos(); ok && p < len(l.f.runs.entries) {
		return l.f.runs.entries[p]
	}
	return nil
}

// eventRow is the feed row of an entry that stands for one event.
func (l *runList) eventRow(e *entry) (row, bool) {
	if e.kind != entryEvent {
		return row{}, false
	}
	return l.f.byKey(e.first)
}

func (l *runList) matches(e *entry) bool {
	r, isEvent := l.eventRow(e)
	switch runKinds()[l.kindF] {
	case "runs":
		if e.kind == entryEvent {
			return false
		}
	case "requests":
		if !isEvent || l.f.kindOf(&r) != hub.KindRequest {
			return false
		}
	case "other":
		if e.kind != entryEvent || isEvent && l.f.kindOf(&r) == hub.KindRequest {
			return false
		}
	}
	out := e.result()
	if isEvent {
		out = r.out
	}
	if !passes(l.outF, out) {
		return false
	}
	if l.query == "" {
		return true
	}
	for _, s := range []string{e.run, e.thread, e.delivery, e.replayOf, e.url, e.reason, r.text, r.delivery} {
		if containsFold(s, l.query) {
			return true
		}
	}
	return false
}

// runMark is the selected entry before the entries change.
type runMark struct {
	e *entry
}

func (l *runList) mark() runMark { return runMark{l.selected()} }

// rebuild recomputes the filter index, keeping the selected entry
// selected when it still passes.
func (l *runList) rebuild() { l.rebuildFrom(l.mark()) }

func (l *runList) rebuildFrom(mk runMark) {
	l.idx = l.idx[:0]
	for i, e := range l.f.runs.entries {
		e.shown = l.matches(e)
		if e.shown {
			l.idx = append(l.idx, i)
		}
	}
	l.reselect(mk.e != nil, func(i int) int { return l.f.runs.entries[i].first.cmp(mk.e.first) })
}

// appended updates the index after feed.add; before is the mark taken
// before it. Entries changed in place only need a look when a filter is
// on: a change can move them in or out of it.
func (l *runList) appended(res appendResult, before runMark) {
	if res.runsReindex {
		l.rebuildFrom(before)
		return
	}
	if l.kindF != 0 || l.outF != 0 || l.query != "" {
		for _, e := range res.touched {
			if e.shown != l.matches(e) {
				l.rebuildFrom(before)
				return
			}
		}
	}
	for i := res.runsFrom; i < len(l.f.runs.entries); i++ {
		if e := l.f.runs.entries[i]; l.matches(e) {
			e.shown = true
			l.idx = append(l.idx, i)
		}
	}
	if l.follow {
		l.sel = len(l.idx) - 1
	}
	l.clamp()
}

// Update handles the list's navigation and filter keys.
func (l *runList) Update(msg tea.Msg, k *KeyMap) {
	if l.navigate(msg, k) {
		return
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(msg, k.List.Filter):
			l.kindF = (l.kindF + 1) % len(runKinds())
			l.rebuild()
		case key.Matches(msg, k.List.Outcome):
			l.outF = (l.outF + 1) % len(outcomeFilters())
			l.rebuild()
		}
	}
}

// kindName is the kind filter in force, for the header.
func (l *runList) kindName() string {
	if k := runKinds()[l.kindF]; k != "" {
		return k
	}
	return "all"
}

// View renders exactly h lines of at most w cells.
func (l *runList) View() string {
	var b strings.Builder
	end := min(l.top+l.rows, len(l.idx))
	n := 0
	for p := l.top; p < end; p++ {
		for _, line := range l.renderRow(l.f.runs.entries[l.idx[p]], p == l.sel) {
			if n > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(line)
			n++
		}
	}
	empty := "waiting for runs and requests…"
	if len(l.f.runs.entries) > 0 {
		empty = "nothing matches the filter"
	}
	return finishList(&b, n, l.h, l.st.List.Dim.Render(ansi.Truncate(empty, l.w, "…")))
}

// renderRow renders an entry as rowH lines: time, outcome, the
// receiver's status, attempts, duration, then the webhook URL cut in the
// middle (its host and its end, where the path's last segment and the
// query are, stay readable).
func (l *runList) renderRow(e *entry, selected bool) []string {
	ts := l.timeFormat()
	t := e.atTime().Local().Format(ts)
	word, out, status, dur, attempts := e.word(), e.result(), e.status, e.durMS, ""
	var text, more string
	if r, ok := l.eventRow(e); ok {
		word, out, status, dur, text = string(l.f.kindOf(&r)), r.out, r.status, r.durMS, r.text
	} else {
		if e.attempts > 0 {
			attempts = fmt.Sprintf("%d×", e.attempts)
		}
		text = e.url
		switch {
		case e.kind == entryReplay:
			text = "↻ " + text
			more = "replay of " + short(e.replayOf)
		case e.url == "":
			text = "run " + short(e.run) + " (no webhook)"
		case e.run == "":
			more = "delivery " + short(e.delivery)
		default:
			more = "run " + short(e.run)
			if e.thread != "" {
				more += " · thread " + short(e.thread)
			}
		}
		if e.upstream {
			text, more = upstreamMark+text, upstreamMark+"upstream "+more
		}
		if e.refused {
			more = "refused at creation"
		}
		if e.reason != "" {
			more += ": " + e.reason
		}
	}
	st, ds := "   ", "       "
	if status != 0 {
		st = fmt.Sprintf("%3d", status)
	}
	if dur > 0 {
		ds = fmtDur(float64(dur))
	}
	cols := fmt.Sprintf("%-9s %s %-3s %s ", ansi.Truncate(oneLine(word), 9, "…"), st, attempts, ds)
	room := max(0, l.w-l.fixedWidth())
	var lines []string
	switch {
	case l.rowH == 1:
		lines = []string{cutMiddle(text, room)}
		if e.reason != "" {
			if left := room - ansi.StringWidth(lines[0]) - 2; left >= 12 {
				lines[0] += "  " + ansi.Truncate(e.reason, left, "…")
			}
		}
	case e.kind == entryEvent && ansi.StringWidth(oneLine(text)) <= room:
		lines = []string{oneLine(text), "    " + ansi.Truncate(oneLine(e.reason), max(0, l.w-4), "…")}
	case e.kind == entryEvent:
		lines = []string{ansi.Truncate(oneLine(e.reason), room, "…"), "    " + cutMiddle(text, max(0, l.w-4))}
	default:
		lines = []string{ansi.Truncate(oneLine(more), room, "…"), "    " + cutMiddle(text, max(0, l.w-4))}
	}
	return l.style(t, cols, lines, out, selected)
}

// style colours a row's lines; the selected row is highlighted while the
// list has the keyboard and marked › while the detail has it.
func (l *runList) style(t, cols string, lines []string, out outcome, selected bool) []string {
	oc := l.st.List.Outcome[out]
	res := make([]string, len(lines))
	for i, text := range lines {
		lead := t + " " + cols
		if i > 0 {
			lead = ""
		}
		if selected && l.focused {
			res[i] = l.st.List.Selected.Render(padRight(lead+text, l.w))
			continue
		}
		mark := " "
		if selected && i == 0 {
			mark = "›"
		}
		if i == 0 {
			res[i] = ansi.Truncate(l.st.List.Time.Render(t)+mark+oc.Render(cols)+oc.Render(text), l.w, "")
		} else {
			res[i] = ansi.Truncate(l.st.List.Dim.Render(text), l.w, "")
		}
	}
	return res
}

// cutMiddle fits a URL into w cells by cutting its middle, keeping what
// tells receivers apart: the path and query whole when they fit (the host
// is cut), else the scheme and host and as much of the end as fits (the
// path's last segment, then the query), joined by "…"; when the last
// segment and the query alone do not fit, the segment and the query's
// start. Text that is not a URL keeps its end. Controls are made visible
// first.
func cutMiddle(u string, w int) string {
	u = oneLine(u)
	if ansi.StringWidth(u) <= w {
		return u
	}
	if w <= 1 {
		return ansi.Truncate(u, w, "")
	}
	head := "" // scheme://host[:port]
	if i := strings.Index(u, "://"); i >= 0 {
		j := strings.IndexAny(u[i+3:], "/?#")
		if j < 0 {
			j = len(u) - i - 3
		}
		head = u[:i+3+j]
	}
	rest := u[len(head):] // path, query, fragment
	pathEnd := strings.IndexAny(rest, "?#")
	if pathEnd < 0 {
		pathEnd = len(rest)
	}
	slash := max(strings.LastIndexByte(rest[:pathEnd], '/'), 0)
	tail := rest[slash:] // the last segment on
	keep := w - 1        // the "…"
	switch hw, rw, tw := ansi.StringWidth(head), ansi.StringWidth(rest), ansi.StringWidth(tail); {
	case head == "" || tw == keep:
		return "…" + endCells(u, keep)
	case tw > keep && ansi.StringWidth(rest[slash:pathEnd]) >= keep:
		return "…" + endCells(rest[:pathEnd], keep)
	case tw > keep:
		// The last segment and the start of the query: its end (a
		// token, a signature) tells receivers apart least.
		return "…" + ansi.Truncate(tail, keep, "…")
	case rw <= keep:
		return ansi.Truncate(head, keep-rw, "") + "…" + rest
	case hw+tw <= keep:
		return head + "…" + endCells(rest, keep-hw)
	default:
		return ansi.Truncate(head, keep-tw, "") + "…" + tail
	}
}

// endCells is the end of s that fits in n cells.
func endCells(s string, n int) string {
	if w := ansi.StringWidth(s); w > n {
		return cutLeft(s, w-n)
	}
	return s
}
