package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
)

// detailKey is everything the rendered detail depends on; the pane is only
// re-rendered when it changes.
type detailKey struct {
	row, drow, ent    rowKey
	did               string
	fullVer, evVer, w int
	tick              int
	hasErr            bool
}

// detailPane shows the selected event: for a delivery, its decision, the
// attempt timeline and the request and response.
type detailPane struct {
	st      *Styles
	w, h    int
	off     int
	lines   []string
	key     detailKey
	focused bool

	did     string           // delivery shown
	full    *sender.Delivery // fetched through Backend.Delivery
	fullErr error
	fullVer int
	loading bool // the delivery fetch is in flight
	stale   bool // the delivery changed: fetch it again
	tick    int

	// The event a non-delivery row shows: its payload from the feed's
	// recent set, or read back from the store once the set let it go. The
	// pane holds it, so it stays on screen however far the feed moves on.
	evKey     rowKey
	ev        *hub.Event
	evErr     error
	evLoading bool
	evVer     int
}

// SetSize sets the pane's area.
func (d *detailPane) SetSize(w, h int) { d.w, d.h = w, h; d.key = detailKey{} }

func (d *detailPane) scroll(n int) {
	d.off = min(max(d.off+n, 0), max(len(d.lines)-d.h, 0))
}

func (d *detailPane) handleKey(msg tea.KeyPressMsg, k *KeyMap) {
	switch {
	case key.Matches(msg, k.List.Up):
		d.scroll(-1)
	case key.Matches(msg, k.List.Down):
		d.scroll(1)
	case key.Matches(msg, k.List.PageUp):
		d.scroll(-max(d.h-1, 1))
	case key.Matches(msg, k.List.PageDown):
		d.scroll(max(d.h-1, 1))
	case key.Matches(msg, k.List.Top):
		d.off = 0
	case key.Matches(msg, k.Detail.End):
		d.scroll(len(d.lines))
	}
}

func (d *detailPane) wheel(msg tea.MouseWheelMsg) {
	switch msg.Button {
	case tea.MouseWheelUp:
		d.scroll(-3)
	case tea.MouseWheelDown:
		d.scroll(3)
	}
}

// View renders the visible part of the cached content.
func (d *detailPane) View() string {
	if len(d.lines) == 0 {
		return ""
	}
	end := min(d.off+d.h, len(d.lines))
	return strings.Join(d.lines[min(d.off, end):end], "\n")
}

// render rebuilds the content when its inputs changed. It reports whether a
// retry countdown is on screen, so the caller keeps a tick running.
func (d *detailPane) render(m *Model, sub subject) (countdown bool) {
	k := detailKey{did: d.did, fullVer: d.fullVer, evVer: d.evVer, w: d.w, tick: d.tick, hasErr: d.fullErr != nil}
	ds := m.feed.deliveries[sub.did]
	if ds != nil {
		k.drow = ds.last
	}
	switch {
	case sub.r != nil:
		k.row = sub.r.key
	case sub.e != nil:
		k.row, k.ent = sub.e.first, sub.e.last
	}
	if k == d.key && d.lines != nil {
		return d.countdownVisible(m, ds)
	}
	d.key = k
	w := &docWriter{st: d.st, w: max(d.w, 10), m: m}
	switch {
	case sub.r == nil && sub.e == nil:
		w.dim("select a row to see its detail")
	case sub.r == nil:
		w.run(sub.e, ds, d)
	case sub.did != "":
		w.delivery(sub.did, ds, d)
	default:
		w.event(sub.r, d)
	}
	d.lines = w.lines
	d.scroll(0)
	return d.countdownVisible(m, ds)
}

func (d *detailPane) countdownVisible(m *Model, ds *dstate) bool {
	next := nextRetry(ds, d.full)
	return next != nil && next.After(m.now())
}

// nextRetry is when the next attempt of a pending delivery will start.
func nextRetry(ds *dstate, full *sender.Delivery) *time.Time {
	if full != nil && full.Outcome == sender.OutcomePending && full.NextAttemptAt != nil {
		return full.NextAttemptAt
	}
	if ds == nil || ds.nextAt == 0 || (ds.outcome != 0 && outcomeName(ds.outcome) != sender.OutcomePending) {
		return nil
	}
	t := time.Unix(0, ds.nextAt)
	return &t
}

// showEvent points the pane at the event of r, a row that is not about a
// delivery: its payload if the feed still holds it, else a fetch from the
// store (never I/O here; "loading…" shows meanwhile).
func (m *Model) showEvent(r *row) tea.Cmd {
	d := &m.detail
	if r == nil || r.delivery != "" {
		d.evKey, d.ev, d.evErr, d.evLoading = rowKey{}, nil, nil, false
		return nil
	}
	if r.key == d.evKey {
		return nil
	}
	d.evKey, d.ev, d.evErr, d.evLoading = r.key, nil, nil, false
	d.off = 0 // another event is another document: start at its top
	d.evVer++
	if e, ok := m.feed.payload(r.key); ok {
		d.ev = &e
		return nil
	}
	if !m.feed.fetchable(r) {
		return nil // an unstored notice or a previous store's event: nothing to fetch
	}
	d.evLoading = true
	return m.fetchEventCmd(r)
}

// eventFetched takes an event read back from the store, if the pane still
// wants it.
func (d *detailPane) eventFetched(msg eventMsg) {
	if msg.key != d.evKey || !d.evLoading {
		return
	}
	d.evLoading = false
	if msg.err != nil {
		d.evErr = msg.err
	} else {
		e := msg.e
		d.ev = &e
	}
	d.evVer++
}

// docWriter accumulates wrapped, styled lines of the detail document.
type docWriter struct {
	st    *Styles
	w     int
	m     *Model
	lines []string
}

// line adds s, wrapped; any control characters it carries from the
// outside are made visible (a CRLF body still breaks at its lines).
func (w *docWriter) line(s string) {
	for _, l := range strings.Split(cleanStyled(s), "\n") {
		w.lines = append(w.lines, wrapIndent(l, w.w)...)
	}
}
func (w *docWriter) dim(s string) { w.line(w.st.Detail.Dim.Render(s)) }
func (w *docWriter) section(s string) {
	w.lines = append(w.lines, "")
	w.line(w.st.Detail.Section.Render(s))
}
func (w *docWriter) kv(k, v string) {
	w.line(w.st.Detail.Key.Render(k+" ") + w.st.Detail.Value.Render(v))
}

func (w *docWriter) headers(hs []hub.HeaderKV, secret []string) {
	for _, h := range hs {
		v := h.Value
		if (w.m.secretHeader(h.Name) || containsName(secret, h.Name)) && !strings.HasSuffix(v, "…") {
			v = config.Mask(v)
		}
		w.line(w.st.Detail.Key.Render(h.Name+":") + " " + v)
	}
}

func containsName(names []string, n string) bool {
	for _, x := range names {
		if equalFold(x, n) {
			return true
		}
	}
	return false
}

func (w *docWriter) body(raw []byte) {
	if len(raw) == 0 {
		w.dim("(empty)")
		return
	}
	lines, more := highlightJSON(w.st, raw)
	for _, l := range lines {
		w.line(l)
	}
	if more > 0 {
		w.dim(fmt.Sprintf("… %d more lines not shown (%d bytes in all)", more, len(raw)))
	}
}

func (w *docWriter) decision(dec *config.Decision) {
	if dec == nil {
		return
	}
	verdict := w.st.Detail.OK.Render("allowed")
	if !dec.Allowed {
		verdict = w.st.Detail.Err.Render("refused: " + dec.Message)
	}
	w.section("Decision " + verdict)
	for _, c := range dec.Checks {
		mark := w.st.Detail.OK.Render("✓")
		if !c.Passed {
			mark = w.st.Detail.Err.Render("✗")
		}
		v, _ := json.Marshal(c.Value)
		line := fmt.Sprintf("%s %-9s %s  %s", mark, c.Rule, string(v), w.st.Detail.Dim.Render(c.Source))
		if c.Detail != "" {
			line += "  " + c.Detail
		}
		w.line(line)
	}
	if dec.Hint != "" {
		w.dim("hint: " + dec.Hint)
	}
}

// detailEvery is how often the detail follows a stream of events. Each
// time it reads the selected delivery back and lays out its document; at
// a frame's pace nobody could read a document that changes every frame,
// and the work would cost more than the rest of the dashboard.
const detailEvery = 100 * time.Millisecond

// followDetail refreshes the detail after msg, or, when msg is one more
// batch of a stream of live events and the detail was refreshed less
// than detailEvery ago, schedules the refresh for when that has passed.
func (m *Model) followDetail(msg tea.Msg) tea.Cmd {
	now := m.wall()
	if _, live := msg.(eventsMsg); live && m.sub != nil {
		if wait := m.detailAt.Add(detailEvery).Sub(now); wait > 0 {
			if m.detailDue {
				return nil
			}
			m.detailDue = true
			return tea.Tick(wait, func(time.Time) tea.Msg { return detailDueMsg{} })
		}
	}
	m.detailAt, m.detailDue = now, false
	return m.refreshDetail()
}

// refreshDetail follows the selection: it fetches the full delivery when the
// selection moves to another delivery (or that delivery changed), re-renders
// the pane when anything it shows changed, and keeps the retry countdown
// ticking only while one is visible.
func (m *Model) refreshDetail() tea.Cmd {
	var cmds []tea.Cmd
	sub := m.subject()
	did := sub.did
	if did != m.detail.did {
		m.detail.did, m.detail.full, m.detail.fullErr, m.detail.off = did, nil, nil, 0
		m.detail.stale, m.detail.loading = did != "", false
	}
	if m.detail.stale {
		m.detail.stale, m.detail.loading = false, true
		cmds = append(cmds, m.fetchDeliveryCmd(did))
	}
	if sub.e != nil && sub.r == nil {
		cmds = append(cmds, m.showEvent(nil)) // a run: no single event to show
	} else {
		cmds = append(cmds, m.showEvent(sub.r))
	}
	needTick := m.detail.render(m, sub)
	if needTick && !m.ticking {
		m.ticking = true
		m.tickID++
		id := m.tickID
		cmds = append(cmds, tea.Tick(time.Second, func(time.Time) tea.Msg { return retryTickMsg{id: id} }))
	}
	return tea.Batch(cmds...)
}
