package server

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// sseEvent is one server-sent event of a run's stream.
type sseEvent struct {
	name string
	data []byte
}

// streamBuf holds a run's stream so late joiners and reconnecting clients
// (Last-Event-ID) can read it. Event ids are 1-based positions.
type streamBuf struct {
	mu      sync.Mutex
	events  []sseEvent
	closed  bool
	notify  chan struct{}
	readers int
	keep    bool // resumable: keep events after the run ends
}

func newStreamBuf(keep bool) *streamBuf {
	return &streamBuf{notify: make(chan struct{}), keep: keep}
}

func (b *streamBuf) add(name string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.events = append(b.events, sseEvent{name, data})
	close(b.notify)
	b.notify = make(chan struct{})
}

func (b *streamBuf) close() {
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
func (b *streamBuf) trimLocked() {
	if b.closed && !b.keep && b.readers == 0 {
		b.events = nil
	}
}

// since returns the events after position from, whether the stream is over,
// and a channel closed at the next change.
func (b *streamBuf) since(from int) ([]sseEvent, int, bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if from > len(b.events) {
		from = len(b.events)
	}
	return b.events[from:], from, b.closed, b.notify
}

func (b *streamBuf) attach() {
	b.mu.Lock()
	b.readers++
	b.mu.Unlock()
}

func (b *streamBuf) detach() {
	b.mu.Lock()
	b.readers--
	b.trimLocked()
	b.mu.Unlock()
}

// writeSSE streams buf to w from position from until the stream ends or the
// client goes away (then onGone runs). Ids are written when withIDs is set.
func writeSSE(w http.ResponseWriter, r *http.Request, buf *streamBuf, from int, withIDs bool, filter map[string]bool, heartbeat time.Duration, onGone func()) {
	buf.attach()
	defer buf.detach()
	fl, _ := w.(http.Flusher)
	w.WriteHeader(http.StatusOK)
	if fl != nil {
		fl.Flush()
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	pos := from
	out := make([]byte, 0, 4096)
	for {
		evs, start, closed, wake := buf.since(pos)
		pos = start
		out = out[:0]
		for _, e := range evs {
			pos++
			if filter != nil && !filter[e.name] && e.name != "metadata" && e.name != "error" {
				continue
			}
			out = append(out, "event: "...)
			out = append(out, e.name...)
			out = append(out, "\r\ndata: "...)
			out = append(out, e.data...)
			out = append(out, "\r\n"...)
			if withIDs {
				out = append(out, "id: "...)
				out = strconv.AppendInt(out, int64(pos), 10)
				out = append(out, "\r\n"...)
			}
			out = append(out, "\r\n"...)
		}
		if len(out) > 0 {
			if _, err := w.Write(out); err != nil {
				if onGone != nil {
					onGone()
				}
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
		if closed {
			return
		}
		select {
		case <-wake:
		case <-tick.C:
			// A comment line alone: no blank line after it, because the JS SDK
			// dispatches an empty event on a blank line once it has seen an id.
			if _, err := w.Write([]byte(": heartbeat\r\n")); err != nil {
				if onGone != nil {
					onGone()
				}
				return
			}
			if fl != nil {
				fl.Flush()
			}
		case <-r.Context().Done():
			if onGone != nil {
				onGone()
			}
			return
		}
	}
}

func sseHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
}
