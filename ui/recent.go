package ui

import (
	"errors"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// recentPayloads is how many of the newest events keep their payloads in
// memory. An attempt's payload is about 2 KB, so holding every payload of a
// 100k window cost ~120 MB of heap; the newest 2,000 are what someone
// watching the feed opens, and older ones are a store read away.
const recentPayloads = 2000

// maxRowText caps a row's text: the list shows one line of it, and a
// 1 MB request path must not be held 100k times.
const maxRowText = 512

// remember keeps e's payload while it is among the newest events.
func (f *feed) remember(k rowKey, e hub.Event) {
	e.Value = nil // the detail decodes the JSON; holding both would double the set
	f.recent[k] = e
}

// pruneRecent drops the payloads of events no longer among the newest keep
// rows. It runs once the set has grown a quarter past keep, so the scan is
// amortised over many appends.
func (f *feed) pruneRecent() {
	if len(f.recent) <= f.keep+f.keep/4 {
		return
	}
	oldest := rowKey{}
	if n := len(f.rows); n > 0 {
		oldest = f.rows[max(0, n-f.keep)].key
	}
	for k := range f.recent {
		if k.cmp(oldest) < 0 {
			delete(f.recent, k)
		}
	}
}

// payload returns the held event of row k.
func (f *feed) payload(k rowKey) (hub.Event, bool) {
	e, ok := f.recent[k]
	return e, ok
}

// decode unmarshals the held payload of row k into v; false when it is not
// held (or does not decode).
func (f *feed) decode(k rowKey, v any) bool {
	e, ok := f.recent[k]
	return ok && e.Decode(v) == nil
}

// fetchable reports whether the store can give row r back: it has a Seq
// and belongs to the store the feed reads now (an earlier epoch's Seq names
// another event in the new store).
func (f *feed) fetchable(r *row) bool { return r.seq() != 0 && r.key.epoch == f.epoch }

// errGone says the store no longer has the event a row shows (it was
// replaced, or the row came from a previous store).
var errGone = errors.New("the store no longer holds this event")

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// errIsGone reports whether err means the event or delivery is not in the
// store.
func errIsGone(err error) bool { return errors.Is(err, errGone) || errors.Is(err, store.ErrNotFound) }
