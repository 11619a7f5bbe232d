package ui

import (
	"slices"
	"strings"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// entryKind says what a row of the run list stands for.
type entryKind uint8

const (
	entryRun    entryKind = iota + 1 // a run: create request, decisions, statuses, delivery, attempts
	entryReplay                      // a replay: a delivery of its own
	entryEvent                       // any other event (an API call, a sink hit, a notice), alone
)

// entry is one row of the run list: the events of one run folded together
// as they arrive, or one event that belongs to no run. Like a feed row it
// holds no payload; the detail reads the events back by their keys.
type entry struct {
	kind        entryKind
	first, last rowKey   // oldest and newest event folded in
	keys        []rowKey // every event folded in, in order: the timeline
	at          int64    // Unix ns of the first event
	run, thread string
	delivery    string // the delivery the row shows
	replayOf    string
	url         string // the webhook URL, whole (search matches all of it)
	reason      string // why it was refused; for an API call, its error's detail
	runStatus   string
	outcome     uint8 // outcomeCode of the newest delivery state; 0 none yet
	status      uint16
	attempts    uint16
	durMS       float32 // the delivery's duration, else the create request's
	refused     bool    // refused when created: there is no run
	retry       bool    // the newest attempt will be retried
	upstream    bool    // the run ran on the developer's own LangGraph server
	// The keys of the events behind the newest run status, delivery state
	// and attempt: a late event never overwrites newer state.
	runKey, dlvKey, attKey rowKey
	shown                  bool   // in the run list's filtered index
	touch                  uint32 // the batch that last changed it
}

// atTime is when the entry's first event happened.
func (e *entry) atTime() time.Time {
	if e.at == 0 {
		return time.Time{}
	}
	return time.Unix(0, e.at)
}

// seq is the Seq of the entry's newest event.
func (e *entry) seq() uint64 {
	if e.last.sub != 0 {
		return 0
	}
	return e.last.seq
}

// pendingCreate is an allowed create-time decision not yet matched to its
// run: the platform checks the URL before the run exists, so the decision
// carries no run id, and the run event that follows names the same URL.
type pendingCreate struct {
	k   rowKey
	at  int64
	url string
}

// maxPending bounds the create-time decisions waiting for their run or
// their 422.
const maxPending = 256

// runIndex folds the feed's events into run-list entries as they arrive.
type runIndex struct {
	entries  []*entry // by first event
	byRun    map[string]*entry
	byDlv    map[string]*entry
	creates  []pendingCreate
	refusals []*entry // refused creations waiting for their 422
	unsorted bool     // an entry arrived (or grew) out of order
	batch    uint32
	touched  []*entry // changed in this batch, for the filters
}

func newRunIndex() *runIndex {
	return &runIndex{byRun: make(map[string]*entry), byDlv: make(map[string]*entry)}
}

// add makes a new entry for event k.
func (x *runIndex) add(kind entryKind, k rowKey, at int64) *entry {
	e := &entry{kind: kind, first: k, last: k, keys: []rowKey{k}, at: at}
	if n := len(x.entries); n > 0 && x.entries[n-1].first.cmp(k) > 0 {
		x.unsorted = true
	}
	x.entries = append(x.entries, e)
	x.touchEntry(e)
	return e
}

// fold adds event k to e.
func (x *runIndex) fold(e *entry, k rowKey, at int64) {
	i, found := slices.BinarySearchFunc(e.keys, k, rowKey.cmp)
	if !found {
		e.keys = slices.Insert(e.keys, i, k)
	}
	if k.cmp(e.last) > 0 {
		e.last = k
	}
	if k.cmp(e.first) < 0 {
		e.first, e.at = k, at
		x.unsorted = x.unsorted || !x.stillInOrder(e)
	}
	x.touchEntry(e)
}

// stillInOrder reports whether the entries stay in order by first event
// after e's first moved back. It checks the newest entries only, where a
// run's create-time decision lands (it comes before the run's first
// event, and is folded in once that event names the run); anywhere else
// it says no, and the entries are sorted again.
func (x *runIndex) stillInOrder(e *entry) bool {
	n := len(x.entries)
	for i := n - 1; i >= max(0, n-4); i-- {
		if x.entries[i] == e {
			return (i == 0 || x.entries[i-1].first.cmp(e.first) < 0) && (i == n-1 || e.first.cmp(x.entries[i+1].first) < 0)
		}
	}
	return false
}

func (x *runIndex) touchEntry(e *entry) {
	if e.touch != x.batch {
		e.touch = x.batch
		x.touched = append(x.touched, e)
	}
}

// runEntry is the entry of run id, made if new.
func (x *runIndex) runEntry(id string, k rowKey, at int64) *entry {
	if e := x.byRun[id]; e != nil {
		x.fold(e, k, at)
		return e
	}
	e := x.add(entryRun, k, at)
	e.run = strings.Clone(oneLine(id))
	x.byRun[id] = e
	return e
}

// deliveryEntry is the entry delivery id belongs to: the one it was seen
// in, else its run's; a replay (or a delivery of no run) gets its own.
func (x *runIndex) deliveryEntry(id, runID string, replay bool, k rowKey, at int64) *entry {
	if e := x.byDlv[id]; e != nil {
		x.fold(e, k, at)
		return e
	}
	var e *entry
	switch {
	case replay:
		e = x.add(entryReplay, k, at)
		e.run = strings.Clone(oneLine(runID))
	case runID == "":
		e = x.add(entryRun, k, at)
	default:
		e = x.runEntry(runID, k, at)
	}
	if e.delivery == "" {
		e.delivery = strings.Clone(oneLine(id))
	}
	x.byDlv[id] = e
	return e
}

// event gives event k a row of its own.
func (x *runIndex) event(k rowKey, at int64) *entry { return x.add(entryEvent, k, at) }

func (x *runIndex) request(k rowKey, at int64, p *hub.RequestInfo) {
	switch {
	case p.RunID != "":
		e := x.runEntry(p.RunID, k, at)
		if e.outcome == 0 {
			e.durMS = float32(p.DurationMS)
		}
	case p.Status == 422 && x.refusedCreate(k, at, p):
	default:
		if e := x.event(k, at); p.Status >= 400 {
			e.reason = p.Detail // the answer's detail, under the call
		}
	}
}

// refusedCreate folds a 422 into the refused creation it answers (its
// detail starts with the decision's message); false when none waits.
func (x *runIndex) refusedCreate(k rowKey, at int64, p *hub.RequestInfo) bool {
	for i, e := range x.refusals {
		if e.reason != "" && strings.Contains(p.Detail, e.reason) {
			x.fold(e, k, at)
			e.status, e.durMS = uint16(p.Status), float32(p.DurationMS)
			x.refusals = slices.Delete(x.refusals, i, i+1)
			return true
		}
	}
	return false
}

func (x *runIndex) decision(k rowKey, at int64, p *hub.DecisionInfo) {
	d := &p.Decision
	switch {
	case p.Stage == "create" && p.RunID != "":
		x.runEntry(p.RunID, k, at).setURL(d.URL)
	case p.Stage == "create" && d.Allowed:
		if len(x.creates) == maxPending {
			x.creates = x.creates[1:]
		}
		x.creates = append(x.creates, pendingCreate{k, at, d.URL})
	case p.Stage == "create":
		e := x.add(entryRun, k, at)
		e.refused, e.url, e.reason = true, capText(oneLine(d.URL)), oneLine(d.Message)
		if len(x.refusals) == maxPending {
			x.refusals = x.refusals[1:]
		}
		x.refusals = append(x.refusals, e)
	case p.DeliveryID != "":
		e := x.deliveryEntry(p.DeliveryID, p.RunID, p.Stage == "replay", k, at)
		e.setURL(d.URL)
		if !d.Allowed {
			e.reason = oneLine(d.Message)
		}
	default:
		x.event(k, at)
	}
}

func (x *runIndex) run(k rowKey, at int64, p *hub.RunInfo) {
	e := x.runEntry(p.RunID, k, at)
	if k.cmp(e.runKey) > 0 {
		e.runKey, e.runStatus = k, strings.Clone(oneLine(p.Status))
	}
	if e.thread == "" && p.ThreadID != "" {
		e.thread = strings.Clone(oneLine(p.ThreadID))
	}
	if p.Upstream != "" {
		e.upstream = true
	}
	e.setURL(p.Webhook)
	if p.Webhook == "" {
		return
	}
	for i, c := range x.creates {
		if c.url == p.Webhook {
			x.fold(e, c.k, c.at)
			x.creates = slices.Delete(x.creates, i, i+1)
			return
		}
	}
}

func (x *runIndex) delivery(k rowKey, at int64, p *hub.DeliveryInfo) {
	e := x.deliveryEntry(p.ID, p.RunID, p.ReplayOf != "", k, at)
	if e.replayOf == "" && p.ReplayOf != "" {
		e.replayOf = strings.Clone(oneLine(p.ReplayOf))
	}
	if k.cmp(e.dlvKey) <= 0 {
		return
	}
	e.dlvKey, e.outcome = k, outcomeCode(p.Outcome)
	e.url = capText(oneLine(p.URL))
	if p.Status != 0 {
		e.status = uint16(min(max(p.Status, 0), 0xffff))
	}
	e.attempts = uint16(min(max(p.Attempts, int(e.attempts)), 0xffff))
	if p.DurationMS > 0 {
		e.durMS = float32(p.DurationMS)
	}
	if p.Reason != "" {
		e.reason = oneLine(p.Reason)
	}
}

func (x *runIndex) attempt(k rowKey, at int64, p *hub.AttemptInfo) {
	e := x.deliveryEntry(p.DeliveryID, p.RunID, false, k, at)
	e.setURL(p.URL)
	e.attempts = uint16(min(max(p.Attempt, int(e.attempts)), 0xffff))
	if k.cmp(e.attKey) > 0 {
		e.attKey, e.retry = k, p.Retry
		if p.Status != 0 && k.cmp(e.dlvKey) > 0 {
			e.status = uint16(min(p.Status, 0xffff))
		}
	}
}

// setURL records the webhook URL the first time one is seen.
func (e *entry) setURL(u string) {
	if e.url == "" && u != "" {
		e.url = capText(oneLine(u))
	}
}

// begin starts a batch of events.
func (x *runIndex) begin() {
	x.batch++
	x.touched = x.touched[:0]
}

// settle ends a batch: entries that arrived out of order are put in
// order. It reports whether they moved.
func (x *runIndex) settle() bool {
	if !x.unsorted {
		return false
	}
	x.unsorted = false
	slices.SortStableFunc(x.entries, func(a, b *entry) int { return a.first.cmp(b.first) })
	return true
}

// trim drops the entries whose every event is at or before last (cut from
// the feed) and reports how many went.
func (x *runIndex) trim(last rowKey) int {
	n := 0
	for _, e := range x.entries {
		if e.last.cmp(last) <= 0 {
			x.forget(e)
			continue
		}
		x.entries[n] = e
		n++
	}
	gone := len(x.entries) - n
	clear(x.entries[n:])
	x.entries = x.entries[:n]
	return gone
}

func (x *runIndex) forget(e *entry) {
	if x.byRun[e.run] == e {
		delete(x.byRun, e.run)
	}
	if x.byDlv[e.delivery] == e {
		delete(x.byDlv, e.delivery)
	}
	x.refusals = slices.DeleteFunc(x.refusals, func(r *entry) bool { return r == e })
}

// word is the outcome a run-list row leads with.
func (e *entry) word() string {
	pending := e.outcome == 0 || outcomeName(e.outcome) == sender.OutcomePending
	switch {
	case e.refused:
		return sender.OutcomeRefused
	case e.retry && pending:
		return "retrying"
	case e.outcome != 0:
		if n := outcomeName(e.outcome); n != "" {
			return n
		}
		return "?"
	case e.attempts > 0:
		return sender.OutcomePending // an attempt, and no delivery state yet
	case e.runStatus != "":
		return e.runStatus
	}
	return sender.OutcomePending
}

// result is the colour of the row's outcome.
func (e *entry) result() outcome {
	pending := e.outcome == 0 || outcomeName(e.outcome) == sender.OutcomePending
	switch {
	case e.refused:
		return outErr
	case e.retry && pending:
		return outWarn
	case e.outcome != 0:
		return deliveryOutcome(outcomeName(e.outcome))
	case e.attempts > 0:
		return outPending
	}
	return runOutcome(e.runStatus)
}
