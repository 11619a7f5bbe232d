package ui

import (
	"cmp"
	"slices"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
)

// defaultMaxEvents bounds the in-memory window; older events stay in the
// store.
const defaultMaxEvents = 100_000

// sparkLen is how many recent attempt latencies the header sparkline shows.
const sparkLen = 32

// epochSlack is how far below the newest Seq a live event may arrive and
// still count as merely reordered. Anything further down means the source's
// store was replaced (a remote hooklab restarted on a new store), so the
// feed starts a new epoch instead of discarding the events as old.
const epochSlack = 16

// rowKey orders the feed: by epoch, then Seq, then arrival order for
// unsequenced (Seq 0) notices, which sort after the newest event they
// arrived behind. Deduplication happens only within an epoch.
type rowKey struct{ epoch, seq, sub uint64 }

func (a rowKey) cmp(b rowKey) int {
	if c := cmp.Compare(a.epoch, b.epoch); c != 0 {
		return c
	}
	if c := cmp.Compare(a.seq, b.seq); c != 0 {
		return c
	}
	return cmp.Compare(a.sub, b.sub)
}

// row is one feed line, summarised once when the event arrives so that
// rendering a frame never decodes JSON.
type row struct {
	ev       hub.Event
	key      rowKey
	out      outcome
	text     string // outcome word, then what it is about
	status   int
	durMS    float64
	delivery string // delivery id, for attempt/decision/delivery events
}

// attemptSummary is the part of an attempt the timeline needs.
type attemptSummary struct {
	key     rowKey
	n       int
	status  int
	timing  hub.Timing
	err     string
	retry   bool
	next    *time.Time
	started time.Time
}

// dstate is what the feed knows about one delivery from its events alone.
type dstate struct {
	id, url, outcome, reason, runID, replayOf string
	status                                    int
	durMS                                     float64
	decision                                  *config.Decision
	attempts                                  []attemptSummary
	last                                      rowKey // newest event about it
}

// feed is the bounded window of events plus what is derived from them: the
// delivery index, the header counts and the latency sparkline.
type feed struct {
	rows       []row
	max        int
	epoch      uint64
	lastSeq    uint64 // newest Seq of the current epoch
	sub        uint64 // arrival counter for Seq 0 events
	deliveries map[string]*dstate
	counts     struct{ delivered, failed, refused int }
	lat        []float64
}

func newFeed(max int) *feed {
	if max <= 0 {
		max = defaultMaxEvents
	}
	return &feed{max: max, deliveries: make(map[string]*dstate)}
}

// appendResult tells the list how the rows changed.
type appendResult struct {
	from     int  // first new row (when !reindex)
	cut      int  // rows dropped from the front
	reindex  bool // rows were inserted out of order: rebuild the filter index
	appended int
}

// lateEvent is an event that sorts before the newest row held.
type lateEvent struct {
	k rowKey
	e hub.Event
}

// add takes events in Seq order. Events already held are skipped; older
// ones (a resync, the start-up backfill) are merged in place. live says the
// events came from the subscription, where a Seq far below the newest means
// a new epoch rather than a late event.
func (f *feed) add(evs []hub.Event, live bool) appendResult {
	res := appendResult{from: len(f.rows)}
	var late []lateEvent
	for _, e := range evs {
		k, ok := f.place(e, live)
		if !ok {
			continue
		}
		if n := len(f.rows); n == 0 || f.rows[n-1].key.cmp(k) < 0 {
			f.rows = append(f.rows, f.summarise(e, k))
			res.appended++
			continue
		}
		late = append(late, lateEvent{k, e})
	}
	if len(late) > 0 {
		res.appended += f.merge(late)
		res.reindex = true
	}
	// Trim in chunks so the copy is amortised over many appends.
	if len(f.rows) > f.max+f.max/8 {
		res.cut = len(f.rows) - f.max
		last := f.rows[res.cut-1].key
		for _, r := range f.rows[:res.cut] {
			if d := f.deliveries[r.delivery]; d != nil && d.last.cmp(last) <= 0 {
				delete(f.deliveries, r.delivery)
			}
		}
		n := copy(f.rows, f.rows[res.cut:])
		clear(f.rows[n:])
		f.rows = f.rows[:n]
		res.from = max(0, res.from-res.cut)
	}
	return res
}

// place gives e its key, or reports that it is a duplicate.
func (f *feed) place(e hub.Event, live bool) (rowKey, bool) {
	switch {
	case e.Seq == 0: // a transient notice: never stored, never a duplicate
		f.sub++
		return rowKey{f.epoch, f.lastSeq, f.sub}, true
	case e.Seq > f.lastSeq:
		f.lastSeq = e.Seq
		return rowKey{f.epoch, e.Seq, 0}, true
	}
	k := rowKey{f.epoch, e.Seq, 0}
	if r, found := f.byKey(k); found {
		if sameEvent(r.ev, e) {
			return k, false
		}
	} else if !live || f.lastSeq-e.Seq <= epochSlack {
		return k, true
	}
	// A different event under a Seq we hold, or one far below the newest:
	// the store behind the feed was replaced.
	f.epoch++
	f.lastSeq = e.Seq
	return rowKey{f.epoch, e.Seq, 0}, true
}

// sameEvent tells a re-delivered event from a new store's event that
// reuses its Seq.
func sameEvent(a, b hub.Event) bool {
	d := a.Time.Sub(b.Time)
	return a.Kind == b.Kind && d < time.Millisecond && d > -time.Millisecond
}

// merge inserts late events in one pass (a 5000-event backfill behind live
// events must not cost 5000 inserts) and returns how many it added.
func (f *feed) merge(late []lateEvent) int {
	slices.SortStableFunc(late, func(a, b lateEvent) int { return a.k.cmp(b.k) })
	out := make([]row, 0, len(f.rows)+len(late))
	i, added := 0, 0
	for j, le := range late {
		if j > 0 && late[j-1].k == le.k {
			continue
		}
		for i < len(f.rows) && f.rows[i].key.cmp(le.k) < 0 {
			out = append(out, f.rows[i])
			i++
		}
		if i < len(f.rows) && f.rows[i].key == le.k {
			continue
		}
		out = append(out, f.summarise(le.e, le.k))
		added++
	}
	f.rows = append(out, f.rows[i:]...)
	return added
}

// byKey finds the row holding k.
func (f *feed) byKey(k rowKey) (row, bool) {
	i, ok := slices.BinarySearchFunc(f.rows, k, func(r row, k rowKey) int { return r.key.cmp(k) })
	if !ok {
		return row{}, false
	}
	return f.rows[i], true
}

// delivery returns the state of delivery id and whether k is the newest
// event about it, so a late event never overwrites a newer state.
func (f *feed) delivery(id string, k rowKey) (*dstate, bool) {
	d := f.deliveries[id]
	if d == nil {
		d = &dstate{id: id}
		f.deliveries[id] = d
	}
	newer := k.cmp(d.last) > 0
	if newer {
		d.last = k
	}
	return d, newer
}
