package server

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Websocket timing, as in gorilla's chat example.
const (
	writeWait    = 10 * time.Second
	pongWait     = 60 * time.Second
	pingPeriod   = pongWait * 9 / 10
	backfillPage = 1000
)

// handleEvents is the websocket feed: every event once, in order. With
// ?since=N it first sends the stored events after N. One goroutine writes;
// another reads (and discards) so pongs and close frames are seen.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	var since uint64
	if v := r.URL.Query().Get("since"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(w, engine.Invalid("since", "must be a sequence number (a non-negative integer), got %q", v))
			return
		}
		since = n
	} else {
		since = s.o.Store.LastSeq()
	}
	up := websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 32 << 10,
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			writeError(w, errorf(status, "%v; /hooklab/events is a websocket feed: connect with a websocket client such as `hooklab attach`", reason))
		}}
	conn, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sub := s.o.Hub.Subscribe(ctx, 0)
	defer sub.Close()

	go func() {
		defer cancel()
		conn.SetReadLimit(4096)
		conn.SetReadDeadline(time.Now().Add(pongWait))
		conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(pongWait)) })
		for {
			if _, _, err := conn.NextReader(); err != nil {
				return
			}
		}
	}()

	last := since
	send := func(e hub.Event) bool {
		if e.Seq <= last && e.Seq != 0 { // Seq 0: a transient notice, never stored
			return true
		}
		// The stored bytes as they are: WriteJSON would escape HTML
		// ("<" as "\u003c") in bodies recorded as sent.
		b, err := store.Marshal(e)
		if err != nil {
			return false
		}
		conn.SetWriteDeadline(time.Now().Add(writeWait))
		if err := conn.WriteMessage(websocket.TextMessage, b); err != nil {
			return false
		}
		last = max(last, e.Seq)
		return true
	}
	backfill := func() bool {
		for {
			evs, err := s.o.Store.Events(ctx, store.Query{Since: last, Limit: backfillPage})
			if err != nil {
				return false
			}
			for _, e := range evs {
				if !send(e) {
					return false
				}
			}
			if len(evs) < backfillPage {
				return true
			}
		}
	}
	if !backfill() {
		return
	}
	ping := time.NewTicker(pingPeriod)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "hooklab is closing the feed; reconnect with ?since="+strconv.FormatUint(last, 10)), time.Now().Add(time.Second))
			return
		case e, ok := <-sub.C():
			if !ok {
				conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "feed closed; reconnect with ?since="+strconv.FormatUint(last, 10)), time.Now().Add(time.Second))
				return
			}
			if sub.Lagged() {
				// Events were dropped for us: the store has them all.
				sub.ClearLag()
				if !backfill() {
					return
				}
			}
			if !send(e) {
				return
			}
		case <-ping.C:
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if err := conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				return
			}
		}
	}
}
