package engine

import (
	"sync"
)

// Event is one event of a run's stream: its name, its JSON data and its
// id in the thread's join stream.
type Event struct {
	Name   string
	Data   []byte
	FeedID string
}

// Stream holds a run's stream so late joiners and reconnecting clients
// (Last-Event-ID) can read it. Event ids are 1-based positions.
type Stream struct {
	mu      sync.Mutex
	events  []Event
	closed  bool
	notify  chan struct{}
	readers int
	keep    bool // resumable: keep events after the run ends
}

func newStream(keep bool) *Stream {
	return &Stream{notify: make(chan struct{}), keep: keep}
}

// StreamOf is a finished, resumable stream holding events, as a run
// leaves one.
func StreamOf(events []Event) *Stream {
	b := newStream(true)
	b.events, b.closed = events, true
	close(b.notify)
	return b
}

func (b *Stream) add(name string, data []byte, feedID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.events = append(b.events, Event{name, data, feedID})
	close(b.notify)
	b.notify = make(chan struct{})
}

func (b *Stream) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	close(b.notify)
	b.trimLocked()
}

// trimLocked frees the events of a finished, non-resumable stream once no
// reader needs them.
func (b *Stream) trimLocked() {
	if b.closed && !b.keep && b.readers == 0 {
		b.events = nil
	}
}

// Since returns the events after position from, the position they start
// at, whether the stream is over, and a channel closed at the next change.
func (b *Stream) Since(from int) ([]Event, int, bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from > len(b.events) {
		from = len(b.events)
	}
	return b.events[from:], from, b.closed, b.notify
}

// Attach registers a reader: the events are kept until it detaches.
func (b *Stream) Attach() {
	b.mu.Lock()
	b.readers++
	b.mu.Unlock()
}

// Detach unregisters a reader.
func (b *Stream) Detach() {
	b.mu.Lock()
	b.readers--
	b.trimLocked()
	b.mu.Unlock()
}
