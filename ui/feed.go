package ui

import (
	"cmp"
	"slices"
	"strings"
	"time"

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
// Epoch and sub are 32 bits so the key (and a row) packs into fewer bytes.
type rowKey struct {
	epoch, sub uint32
	seq        uint64
}

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
// rendering a frame never decodes JSON. It holds no payload bytes: 100k of
// them must fit in a few MB (see TestWindowHeapIsBounded); payloads live in
// the feed's small recent set or are fetched again from the store.
type row struct {
	key      rowKey
	at       int64  // event time in Unix nanoseconds; 0 for a zero time
	text     string // outcome word, then what it is about (capped at maxRowText)
	delivery string // delivery id, for attempt/decision/delivery events
	durMS    float32
	status   uint16
	kind     uint8 // see feed.kindCode
	out      outcome
}

// seq is the event's Seq; unsequenced notices have a non-zero key.sub.
func (r *row) seq() uint64 {
	if r.key.sub != 0 {
		return 0
	}
	return r.key.seq
}

// time is the event's time.
func (r *row) time() time.Time {
	if r.at == 0 {
		return time.Time{}
	}
	return time.Unix(0, r.at)
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// dstate is what the feed indexes about one delivery: the keys of its
// events, never their payloads, and the little the header and the retry
// countdown need. The detail view decodes the events from the recent set
// or fetches the delivery from the store.
type dstate struct {
	id       string   // shared by its rows, so each does not hold a copy
	last     rowKey   // newest event about it
	decision rowKey   // newest decision about it (zero: none held)
	info     rowKey   // newest delivery-state event (zero: none held)
	attempts []rowKey // its attempts, in attempt order
	nextAt   int64    // Unix ns of the next attempt while the newest one will be retried
	outcome  uint8    // outcomeCode of the newest delivery state
}

// feed is the bounded window of events plus what is derived from them: the
// delivery index, the recent payloads, the header counts and the latency
// sparkline.
type feed struct {
	rows       []row
	max        int
	epoch      uint32
	lastSeq    uint64 // newest Seq of the current epoch
	sub        uint32 // arrival counter for Seq 0 events
	deliveries map[string]*dstate
	recent     map[rowKey]hub.Event // payloads of about the newest keep rows
	keep       int
	other      []hub.Kind // kinds hooklab does not know, by code-len(kindFilters())
	counts     struct{ delivered, failed, refused int }
	lat        []float64
	runs       *runIndex // the same events folded into one row per run
}

func newFeed(max int) *feed {
	if max <= 0 {
		max = defaultMaxEvents
	}
	return &feed{max: max, deliveries: make(map[string]*dstate),
		recent: make(map[rowKey]hub.Event), keep: min(recentPayloads, max), runs: newRunIndex()}
}

// appendResult tells the lists how the rows and the run entries changed.
type appendResult struct {
	from     int  // first new row (when !reindex)
	cut      int  // rows dropped from the front
	reindex  bool // rows were inserted out of order: rebuild the filter index
	appended int

	runsFrom    int      // first new entry (when !runsReindex)
	runsReindex bool     // entries moved or went: rebuild the run list's index
	touched     []*entry // entries changed (valid until the next add)
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
	res := appendResult{from: len(f.rows), runsFrom: len(f.runs.entries)}
	f.runs.begin()
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
	// Trim in chunks so the copy is amortised over many appends; small
	// ones, so the window stays close to max rows.
	if len(f.rows) > f.max+f.max/32 {
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
		if f.runs.trim(last) > 0 {
			res.runsReindex = true
		}
	}
	if f.runs.settle() {
		res.runsReindex = true
	}
	res.touched = f.runs.touched
	f.pruneRecent()
	return res
}

// place gives e its key, or reports that it is a duplicate.
func (f *feed) place(e hub.Event, live bool) (rowKey, bool) {
	switch {
	case e.Seq == 0: // a transient notice: never stored, never a duplicate
		f.sub++
		return rowKey{epoch: f.epoch, seq: f.lastSeq, sub: f.sub}, true
	case e.Seq > f.lastSeq:
		f.lastSeq = e.Seq
		return rowKey{epoch: f.epoch, seq: e.Seq}, true
	}
	k := rowKey{epoch: f.epoch, seq: e.Seq}
	if r, found := f.byKey(k); found {
		if f.sameEvent(&r, e) {
			return k, false
		}
	} else if !live || f.lastSeq-e.Seq <= epochSlack {
		return k, true
	}
	// A different event under a Seq we hold, or one far below the newest:
	// the store behind the feed was replaced.
	f.epoch++
	f.lastSeq = e.Seq
	return rowKey{epoch: f.epoch, seq: e.Seq}, true
}

// sameEvent tells a re-delivered event from a new store's event that
// reuses its Seq.
func (f *feed) sameEvent(r *row, e hub.Event) bool {
	d := r.at - unixNano(e.Time)
	return r.kind == f.kindCode(e.Kind) && d < int64(time.Millisecond) && d > -int64(time.Millisecond)
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
// event about it, so a late event never overwrites a newer state. id must
// be the row's own copy, so the map key holds no payload memory.
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

// kindCode is a kind's index in kindFilters(), so the kind filter compares
// bytes; kinds hooklab does not know (from a newer remote) get the codes
// after those, and 0 once 255 codes are taken.
func (f *feed) kindCode(k hub.Kind) uint8 {
	kf := kindFilters()
	for i := 1; i < len(kf); i++ {
		if kf[i] == k {
			return uint8(i)
		}
	}
	for i, o := range f.other {
		if o == k {
			return uint8(len(kf) + i)
		}
	}
	if len(kf)+len(f.other) > 255 {
		return 0
	}
	f.other = append(f.other, hub.Kind(strings.Clone(string(k))))
	return uint8(len(kf) + len(f.other) - 1)
}

// kindOf is the kind of a row.
func (f *feed) kindOf(r *row) hub.Kind {
	kf := kindFilters()
	switch c := int(r.kind); {
	case c == 0:
		return "?"
	case c < len(kf):
		return kf[c]
	default:
		return f.other[c-len(kf)]
	}
}
