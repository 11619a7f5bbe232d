package ui

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// backfillLimit is how many recent events a (re)started dashboard loads.
const backfillLimit = 5000

// maxBatch caps one drain of the subscription.
const maxBatch = 8192

// frame is the least time between two batches of events. Each batch
// costs an update and a redraw, so under a steady stream of events the
// dashboard gathers them and redraws at most once a frame, instead of
// once for every few events.
const frame = time.Second / 60

// Under a heavy stream (a batch of busyBatch events or more: about 15,000
// events a second at 60 frames a second), rows scroll by faster than they
// can be read, and each redraw takes CPU from the hooklab it watches; the
// batches are then taken busyFrame apart. A lighter stream gets frame
// again at its next batch. (Measured under a closed-loop load of ~5,000
// runs a second: with batches a twentieth of a second apart hooklab with
// the dashboard open did 0.90-0.91 of its headless throughput, a tenth of
// a second apart 0.90-0.97.)
const (
	busyBatch = 256
	busyFrame = time.Second / 10
)

// frameAfter is the least time before the batch after one of n events.
func frameAfter(n int) time.Duration {
	if n >= busyBatch {
		return busyFrame
	}
	return frame
}

type focusArea int

const (
	focusList focusArea = iota
	focusDetail
)

// Option configures a Model.
type Option func(*Model)

// WithNow sets the clock (tests use a fixed one).
func WithNow(now func() time.Time) Option { return func(m *Model) { m.now = now } }

// WithEditor sets the command used to edit a replay (normally $EDITOR; it
// may carry arguments, e.g. "code -w"). Empty means vi.
func WithEditor(cmd string) Option { return func(m *Model) { m.editor = cmd } }

// WithLogger sets where the dashboard logs; never stdout while it runs.
func WithLogger(l *slog.Logger) Option { return func(m *Model) { m.log = l } }

// withWall sets the clock that paces frames (benchmarks simulate one).
func withWall(now func() time.Time) Option { return func(m *Model) { m.wall = now } }

// withMaxEvents bounds the in-memory window (tests use a small one).
func withMaxEvents(n int) Option { return func(m *Model) { m.feed = newFeed(n) } }

// Model is the dashboard's root model. It routes messages to its children
// and owns the subscription to the event hub.
type Model struct {
	b      Backend
	info   Info
	now    func() time.Time
	editor string
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	sub    *hub.Subscription

	keys     KeyMap
	st       *Styles
	help     help.Model
	showHelp bool
	helpLay  []helpPage // the full help laid out for the width (relayout)
	helpPage int

	feed   *feed
	runs   runList   // the default list: one row per run
	list   eventList // the raw event view
	raw    bool      // the raw event view is showing
	detail detailPane
	search searchBar
	focus  focusArea
	dialog dialog
	// diffQueue holds replay diffs that finished while a dialog was open
	// (another diff, or one the user is typing in); each opens in turn
	// when the dialog closes, so neither input nor a result is lost.
	diffQueue []*diffView
	status    statusLine
	alert     alertState

	w, h       int
	lay        layout
	banners    int              // header lines between the first and the filter line, as laid out
	wall       func() time.Time // the pace of frames (m.now may be a test's fixed clock)
	nextBatch  time.Time        // when the next batch of events may be taken
	detailAt   time.Time        // when the detail was last refreshed
	detailDue  bool             // a refresh of the detail is scheduled
	tickID     int
	logID      int // the newest log view's, so reads of closed ones stop
	ticking    bool
	feedClosed bool
}

// New returns the dashboard for b.
func New(b Backend, opts ...Option) *Model {
	m := &Model{b: b, now: time.Now, wall: time.Now, editor: "vi", log: slog.New(slog.DiscardHandler), keys: defaultKeyMap()}
	for _, o := range opts {
		o(m)
	}
	if m.editor == "" {
		m.editor = "vi"
	}
	if m.feed == nil {
		m.feed = newFeed(defaultMaxEvents)
	}
	m.info = b.Info()
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.help = help.New()
	m.help.FullSeparator = "   " // three, not four: the four key columns fit one row at 80 wide
	// Dark until the terminal answers the background colour query, unless
	// COLORFGBG gives a hint first (a light terminal then never flashes
	// dark styles).
	isDark, ok := colorFGBG(os.Getenv("COLORFGBG"))
	m.setTheme(isDark || !ok)
	m.runs = newRunList(m.feed, m.st)
	m.list = newEventList(m.feed, m.st)
	m.detail = detailPane{st: m.st}
	m.setFocusKeys()
	return m
}

// Init implements tea.Model. Subscribing may block (a remote hooklab's
// feed is dialled), so it runs as a command; the backfill starts once it
// is done, so nothing published during the backfill is missed.
func (m *Model) Init() tea.Cmd {
	if m.sub != nil {
		return tea.Batch(m.startFeed(), tea.RequestBackgroundColor)
	}
	b, ctx := m.b, m.ctx
	subscribe := func() tea.Msg { return subscribedMsg{sub: b.Subscribe(ctx)} }
	return tea.Batch(subscribe, tea.RequestBackgroundColor)
}

// startFeed waits for events and backfills recent history.
func (m *Model) startFeed() tea.Cmd {
	return tea.Batch(m.waitForEvents(), m.historyCmd(store.Query{Limit: backfillLimit, Newest: true}, false))
}

// setTheme rebuilds the styles in place: the list, the detail and any open
// dialog share them.
func (m *Model) setTheme(isDark bool) {
	if m.st == nil {
		m.st = newStyles(isDark)
	} else {
		*m.st = *newStyles(isDark)
	}
	m.runs.st = m.st
	m.list.st = m.st
	m.detail.st = m.st
	m.detail.key = detailKey{}
	m.help.Styles = help.DefaultStyles(isDark)
}

// Events reports how many events the dashboard holds in memory.
func (m *Model) Events() int { return len(m.feed.rows) }

// LastSeq is the newest sequence number the dashboard has seen.
func (m *Model) LastSeq() uint64 { return m.feed.lastSeq }

// Selected is the sequence number of the selected row's event (the newest
// one folded into it in the run list); 0 when none.
func (m *Model) Selected() uint64 {
	s := m.subject()
	switch {
	case s.r != nil:
		return s.r.seq()
	case s.e != nil:
		return s.e.seq()
	}
	return 0
}

// subject is what the selected row stands for: a feed row (the raw view,
// or a run-list row of one event) or a run-list entry.
type subject struct {
	r   *row
	e   *entry
	did string // the delivery it is about, if any
}

func (m *Model) subject() subject {
	if m.raw {
		if r := m.list.selected(); r != nil {
			return subject{r: r, did: r.delivery}
		}
		return subject{}
	}
	e := m.runs.selected()
	if e == nil {
		return subject{}
	}
	if r, ok := m.runs.eventRow(e); ok {
		return subject{r: &r, e: e, did: r.delivery}
	}
	return subject{e: e, did: e.delivery}
}

// cur is the navigation state of the list on screen.
func (m *Model) cur() *cursor {
	if m.raw {
		return &m.list.cursor
	}
	return &m.runs.cursor
}

// Status is the text the status bar shows right now.
func (m *Model) Status() string { return m.status.text }

// Dialog names the open dialog ("" when none): config, urltest, replay-to,
// diff, crons.
func (m *Model) Dialog() string {
	if m.dialog == nil {
		return ""
	}
	return m.dialog.name()
}

// waitForEvents blocks for one event, then gathers what arrives until the
// next frame is due (or the batch is full), so a stream of events costs
// one update and one redraw per frame. It captures the subscription,
// never the model.
func (m *Model) waitForEvents() tea.Cmd {
	sub, due := m.sub, m.nextBatch
	if sub == nil {
		return nil
	}
	return func() tea.Msg {
		e, ok := <-sub.C()
		if !ok {
			return feedClosedMsg{}
		}
		evs := make([]hub.Event, 1, 64)
		evs[0] = e
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
		gather:
			for len(evs) < maxBatch {
				select {
				case e, ok := <-sub.C():
					if !ok {
						break gather // deliver what we have; the next wait sees the close
					}
					evs = append(evs, e)
				case <-t.C:
					break gather
				}
			}
			t.Stop()
		}
	drain:
		for len(evs) < maxBatch {
			select {
			case e, ok := <-sub.C():
				if !ok {
					break drain
				}
				evs = append(evs, e)
			default:
				break drain
			}
		}
		return eventsMsg{events: evs, lagged: sub.Lagged()}
	}
}

// historyCmd reads events from the store.
func (m *Model) historyCmd(q store.Query, resync bool) tea.Cmd {
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		evs, err := b.History(ctx, q)
		return historyMsg{events: evs, resync: resync, err: err}
	}
}

// countPage is how many delivery events one History read takes while
// counting the ones older than the window.
const countPage = 10_000

// olderCountsCmd counts the outcomes stored before seq before (the oldest
// event the backfill loaded), a page at a time, so the header counts the
// whole store and not only the window: the window's own events are
// counted as they are summarised, and live ones add to both. A delivery
// reaches its final outcome in exactly one event, so counting those events
// counts each delivery once, whichever side of the window it falls on; a
// refusal at creation is one decision event, and never has a delivery.
func (m *Model) olderCountsCmd(before uint64) tea.Cmd {
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		var c countsMsg
		var since uint64
		for {
			evs, err := b.History(ctx, store.Query{Since: since, Before: before, Kinds: []hub.Kind{hub.KindDelivery, hub.KindDecision}, Limit: countPage})
			if err != nil {
				return countsMsg{err: err}
			}
			for _, e := range evs {
				c.count(e)
			}
			if len(evs) < countPage {
				return c
			}
			since = evs[len(evs)-1].Seq
		}
	}
}

// count adds e to the counts if it is a final delivery outcome or a
// refusal at creation.
func (c *countsMsg) count(e hub.Event) {
	switch e.Kind {
	case hub.KindDecision:
		var h decisionHead
		if e.Decode(&h) == nil && h.Stage == "create" && !h.Decision.Allowed {
			c.refused++
		}
	case hub.KindDelivery:
		var p hub.DeliveryInfo
		if e.Decode(&p) != nil {
			return
		}
		switch p.Outcome {
		case sender.OutcomeDelivered:
			c.delivered++
		case sender.OutcomeFailed:
			c.failed++
		case sender.OutcomeRefused:
			c.refused++
		}
	}
}

// fetchDeliveryCmd loads one delivery for the detail view.
func (m *Model) fetchDeliveryCmd(id string) tea.Cmd {
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		d, err := b.Delivery(ctx, id)
		return deliveryMsg{id: id, d: d, err: err}
	}
}

// fetchEventCmd reads one event back from the store for the detail view,
// and checks it is the one the row shows (same kind, same time).
func (m *Model) fetchEventCmd(r *row) tea.Cmd {
	b, ctx, k, seq, kind, at := m.b, m.ctx, r.key, r.seq(), m.feed.kindOf(r), r.at
	return func() tea.Msg {
		evs, err := b.History(ctx, store.Query{Since: seq - 1, Limit: 1})
		if err != nil {
			return eventMsg{key: k, err: err}
		}
		i := slices.IndexFunc(evs, func(e hub.Event) bool { return e.Seq == seq })
		if i < 0 || evs[i].Kind != kind || abs(unixNano(evs[i].Time)-at) >= 1e6 {
			return eventMsg{key: k, err: errGone}
		}
		return eventMsg{key: k, e: evs[i]}
	}
}

// setStatus shows text for ttl and returns the Cmd that clears it.
func (m *Model) setStatus(text string, kind statusKind, ttl time.Duration) tea.Cmd {
	m.status.id++
	m.status.text, m.status.kind = oneLine(text), kind
	if kind == statusErr {
		m.log.Warn("dashboard", "error", text) // already masked: built from masked values only
	}
	if ttl <= 0 {
		return nil
	}
	id := m.status.id
	return tea.Tick(ttl, func(time.Time) tea.Msg { return clearStatusMsg{id: id} })
}

// selectedDelivery is the delivery id of the selected row, if any.
func (m *Model) selectedDelivery() string { return m.subject().did }

// selectedReplay is the replay the selected row is about: its delivery
// id, when it is a replay.
func (m *Model) selectedReplay() (string, bool) {
	did := m.selectedDelivery()
	if e := m.feed.runs.byDlv[did]; did != "" && e != nil && e.replayOf != "" {
		return did, true
	}
	return "", false
}

// selectedURL is the URL of the selected delivery, when the detail pane has
// loaded it ("" otherwise).
func (m *Model) selectedURL() string {
	if f := m.detail.full; f != nil && f.ID != "" && f.ID == m.selectedDelivery() {
		return f.URL
	}
	return ""
}
