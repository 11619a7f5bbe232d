package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"hooklab/server/engine"
)

// writeSSE streams buf to w from position from until the stream ends or the
// client goes away (then onGone runs). Ids are written when withIDs is set.
// Each event is "event: NAME\r\ndata: JSON\r\n", "id: N\r\n" with ids,
// then a blank line, as the platform writes them.
func writeSSE(w http.ResponseWriter, r *http.Request, buf *engine.Stream, from int, withIDs bool, filter map[string]bool, heartbeat time.Duration, onGone func()) {
	buf.Attach()
	defer buf.Detach()
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
		evs, start, closed, wake := buf.Since(pos)
		pos = start
		out = out[:0]
		for _, e := range evs {
			pos++
			if filter != nil && !filter[e.Name] && e.Name != "metadata" && e.Name != "error" &&
				!(filter["messages"] && strings.HasPrefix(e.Name, "messages")) { // messages/partial etc.
				continue
			}
			id := ""
			if withIDs {
				id = strconv.Itoa(pos)
			}
			out = appendSSE(out, e.Name, e.Data, id)
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
			if err := writeHeartbeat(w, fl); err != nil {
				if onGone != nil {
					onGone()
				}
				return
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

// appendSSE appends one event frame: "event: NAME\r\ndata: JSON\r\n",
// "id: ID\r\n" when id is not "", then a blank line.
func appendSSE(out []byte, name string, data []byte, id string) []byte {
	out = append(out, "event: "...)
	out = append(out, name...)
	out = append(out, "\r\ndata: "...)
	out = append(out, data...)
	out = append(out, "\r\n"...)
	if id != "" {
		out = append(out, "id: "...)
		out = append(out, id...)
		out = append(out, "\r\n"...)
	}
	return append(out, "\r\n"...)
}

// writeFeedSSE streams a thread's join stream: the replayed events, then
// every new one, each with its id, until the client leaves or the stream
// ends (the thread was deleted, or the client fell too far behind).
func writeFeedSSE(w http.ResponseWriter, r *http.Request, sub *engine.FeedSub, replay []engine.FeedEvent, heartbeat time.Duration) {
	fl, _ := w.(http.Flusher)
	w.WriteHeader(http.StatusOK)
	flush := func() {
		if fl != nil {
			fl.Flush()
		}
	}
	flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	out := make([]byte, 0, 4096)
	evs := replay
	for {
		out = out[:0]
		for _, e := range evs {
			out = appendSSE(out, e.Name, e.Data, e.ID)
		}
		if len(out) > 0 {
			if _, err := w.Write(out); err != nil {
				return
			}
			flush()
		}
		var over bool
		var wake <-chan struct{}
		evs, over, wake = sub.Next()
		if len(evs) > 0 {
			continue
		}
		if over {
			return
		}
		select {
		case <-wake:
		case <-tick.C:
			if writeHeartbeat(w, fl) != nil {
				return
			}
		case <-r.Context().Done():
			return
		}
		evs, over, _ = sub.Next()
		if over {
			return
		}
	}
}

// writeHeartbeat writes the keep-alive comment and flushes it. A comment
// line alone: no blank line after it, because the JS SDK dispatches an
// empty event on a blank line once it has seen an id.
func writeHeartbeat(w http.ResponseWriter, fl http.Flusher) error {
	if _, err := w.Write([]byte(": heartbeat\r\n")); err != nil {
		return err
	}
	if fl != nil {
		fl.Flush()
	}
	return nil
}
