package engine

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A thread's join stream (GET /threads/{id}/stream) carries every event of
// every run on the thread, a "metadata" event {"status": "run_done",
// "run_id"} when a run ends, and a "state_update" event {"state",
// "thread_id"} when a state update or a POST /threads with supersteps
// changes the thread. Every event has an id of the form "<ms>-<seq>",
// increasing; with Last-Event-ID the stored events of the thread's
// resumable runs after that id are sent first. The stream does not end
// when runs end: only when the client leaves or the thread is deleted. It
// does not check that the thread exists, so a client can join before it
// is created, as the platform allows.

// FeedEvent is an event of a thread's join stream.
type FeedEvent struct {
	ID   string
	Name string
	Data []byte
}

// feedBacklog bounds the events a join stream may hold unread: past it the
// stream ends, and the client resumes with Last-Event-ID.
const feedBacklog = 10000

// feeds hands out event ids and the join streams of every thread.
type feeds struct {
	mu     sync.Mutex
	lastMs int64
	seq    int64
	subs   map[string]map[*FeedSub]struct{}
	closed bool // the engine is closing: no new join streams
}

// nextIDLocked is a new event id. The caller holds f.mu.
func (f *feeds) nextIDLocked() string {
	ms := time.Now().UnixMilli()
	if ms <= f.lastMs {
		f.seq++
	} else {
		f.lastMs, f.seq = ms, 0
	}
	return strconv.FormatInt(f.lastMs, 10) + "-" + strconv.FormatInt(f.seq, 10)
}

// publishLocked hands an event to the thread's join streams. The caller
// holds f.mu.
func (f *feeds) publishLocked(threadID string, ev FeedEvent) {
	for s := range f.subs[threadID] {
		s.push(ev)
	}
}

// publishThread sends an event that belongs to no run to the thread's join
// streams.
func (e *Engine) publishThread(threadID, name string, v any) {
	b := MustJSON(v)
	e.feeds.mu.Lock()
	e.feeds.publishLocked(threadID, FeedEvent{ID: e.feeds.nextIDLocked(), Name: name, Data: b})
	e.feeds.mu.Unlock()
}

// runDone tells the thread's join streams that r ended, and keeps the
// event with r for a replay. The caller holds e.mu.
func (e *Engine) runDone(r *runState) {
	b := MustJSON(struct {
		Status string `json:"status"`
		RunID  string `json:"run_id"`
	}{"run_done", r.RunID})
	e.feeds.mu.Lock()
	r.doneEvent = &FeedEvent{ID: e.feeds.nextIDLocked(), Name: "metadata", Data: b}
	e.feeds.publishLocked(r.ThreadID, *r.doneEvent)
	e.feeds.mu.Unlock()
}

// closeFeeds ends the join streams of a deleted thread.
func (e *Engine) closeFeeds(threadID string) {
	e.feeds.mu.Lock()
	for s := range e.feeds.subs[threadID] {
		s.close()
	}
	delete(e.feeds.subs, threadID)
	e.feeds.mu.Unlock()
}

// closeAllFeeds ends every join stream (hooklab is stopping).
func (e *Engine) closeAllFeeds() {
	e.feeds.mu.Lock()
	for _, subs := range e.feeds.subs {
		for s := range subs {
			s.close()
		}
	}
	e.feeds.subs = nil
	e.feeds.closed = true
	e.feeds.mu.Unlock()
}

// FeedSub is one client's join stream of a thread.
type FeedSub struct {
	e        *Engine
	threadID string
	modes    map[string]bool
	mu       sync.Mutex
	events   []FeedEvent
	notify   chan struct{}
	closed   bool
}

func (s *FeedSub) push(ev FeedEvent) {
	if !s.wants(ev) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if len(s.events) >= feedBacklog {
		s.closed = true
	} else {
		s.events = append(s.events, ev)
	}
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *FeedSub) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.notify)
		s.notify = make(chan struct{})
	}
}

// wants applies the stream modes: run_modes is every run event,
// state_update the state updates, lifecycle a run's first metadata event
// and its run_done.
func (s *FeedSub) wants(ev FeedEvent) bool {
	if ev.Name == "state_update" {
		return s.modes["state_update"]
	}
	if s.modes["run_modes"] {
		return true
	}
	if s.modes["lifecycle"] && ev.Name == "metadata" {
		return strings.Contains(string(ev.Data), `"run_done"`) || strings.Contains(string(ev.Data), `"attempt"`)
	}
	return false
}

// Next takes the events that arrived, whether the stream is over, and a
// channel closed at the next change.
func (s *FeedSub) Next() ([]FeedEvent, bool, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	evs := s.events
	s.events = nil
	return evs, s.closed && len(evs) == 0, s.notify
}

// Close ends the subscription.
func (s *FeedSub) Close() {
	s.close()
	s.e.feeds.mu.Lock()
	delete(s.e.feeds.subs[s.threadID], s)
	s.e.feeds.mu.Unlock()
}

// ThreadStreamModes are the modes of a thread's join stream.
func ThreadStreamModes() []string { return []string{"run_modes", "lifecycle", "state_update"} }

var lastEventIDForm = regexp.MustCompile(`^\d+(-(\d+|\*))?$`)

// feedCursor is a Last-Event-ID as a comparable (ms, seq) pair.
type feedCursor struct{ ms, seq int64 }

func parseFeedID(id string) feedCursor {
	if id == "-" {
		return feedCursor{-1, -1}
	}
	ms, rest, _ := strings.Cut(id, "-")
	c := feedCursor{}
	c.ms, _ = strconv.ParseInt(ms, 10, 64)
	switch rest {
	case "*":
		c.seq = 1<<62 - 1
	case "":
		c.seq = -1
	default:
		c.seq, _ = strconv.ParseInt(rest, 10, 64)
	}
	return c
}

func (c feedCursor) before(o feedCursor) bool {
	return c.ms < o.ms || c.ms == o.ms && c.seq < o.seq
}

// JoinThread opens a join stream of thread id with the given modes (none:
// run_modes). With lastEventID, the stored events of the thread's
// resumable runs after it come first.
func (e *Engine) JoinThread(id string, modes []string, lastEventID string) (*FeedSub, []FeedEvent, error) {
	if !ValidUUID(id) {
		return nil, nil, Invalid("thread_id", "must be a UUID, got %q", id)
	}
	id = CanonID(id)
	set := map[string]bool{}
	for _, m := range modes {
		if err := OneOf("stream_modes", m, ThreadStreamModes()...); err != nil || m == "" {
			return nil, nil, Invalid("stream_modes", "Invalid stream mode: %s; use %s", m, strings.Join(ThreadStreamModes(), ", "))
		}
		set[m] = true
	}
	if len(set) == 0 {
		set["run_modes"] = true
	}
	if lastEventID != "" && lastEventID != "-" && !lastEventIDForm.MatchString(lastEventID) {
		return nil, nil, Invalid("Last-Event-ID", "Invalid last-event-id: must be a valid Redis stream ID (\"<ms>-<seq>\", as this stream's ids are)")
	}
	var runs []*runState
	var done []*FeedEvent
	if lastEventID != "" {
		e.mu.Lock()
		for _, r := range e.runs {
			if r.ThreadID == id && r.Kwargs.Resumable {
				runs = append(runs, r)
			}
		}
		sortRuns(runs)
		for _, r := range runs {
			done = append(done, r.doneEvent)
		}
		e.mu.Unlock()
	}
	s := &FeedSub{e: e, threadID: id, modes: set, notify: make(chan struct{})}
	e.feeds.mu.Lock()
	defer e.feeds.mu.Unlock()
	var replay []FeedEvent
	if lastEventID != "" {
		cursor := parseFeedID(lastEventID)
		keep := func(fe FeedEvent) {
			if fe.ID != "" && cursor.before(parseFeedID(fe.ID)) && s.wants(fe) {
				replay = append(replay, fe)
			}
		}
		for i, r := range runs {
			evs, _, _, _ := r.stream.Since(0)
			for _, ev := range evs {
				keep(FeedEvent{ID: ev.FeedID, Name: ev.Name, Data: ev.Data})
			}
			if done[i] != nil {
				keep(*done[i])
			}
		}
		slices.SortStableFunc(replay, func(a, b FeedEvent) int {
			x, y := parseFeedID(a.ID), parseFeedID(b.ID)
			switch {
			case x.before(y):
				return -1
			case y.before(x):
				return 1
			}
			return 0
		})
	}
	if e.feeds.closed {
		s.closed = true
		return s, nil, nil
	}
	if e.feeds.subs == nil {
		e.feeds.subs = map[string]map[*FeedSub]struct{}{}
	}
	if e.feeds.subs[id] == nil {
		e.feeds.subs[id] = map[*FeedSub]struct{}{}
	}
	e.feeds.subs[id][s] = struct{}{}
	return s, replay, nil
}
