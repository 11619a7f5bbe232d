package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/websocket"

	"hooklab/server/hub"
)

// Feed timing. The server pings every 54 s (gorilla's chat example), so a
// read deadline well past that only fires when the hooklab is gone without
// a close (a suspended laptop, a dropped network).
const (
	backoffMin     = 100 * time.Millisecond
	backoffMax     = 5 * time.Second
	readWait       = 90 * time.Second
	writeWait      = 5 * time.Second
	dialTimeout    = 5 * time.Second
	maxMessage     = 64 << 20
	stableAfter    = 2 * time.Second // a connection that lived this long resets the back-off
	configFetchTTL = 5 * time.Second
	resetBackfill  = 1000 // events replayed from a hooklab whose store started over
)

// feed is one subscription's websocket: a local hub fed by one reader
// goroutine that reconnects with ?since=<last seq> until its context ends.
type feed struct {
	c    *Client
	hub  *hub.Hub
	last uint64 // highest Seq published; only the reader goroutine touches it
}

// Subscribe follows the remote feed. It dials the feed before returning, so
// every event the hooklab records after Subscribe returns is delivered, once
// and in order, across reconnects. The subscription closes when ctx ends, or
// when the hooklab refuses the feed for good (see Err).
func (c *Client) Subscribe(ctx context.Context) *hub.Subscription {
	h := hub.New()
	sub := h.Subscribe(ctx, 0)
	ctx, cancel := context.WithCancel(ctx)
	go func() { <-sub.Done(); cancel() }() // Close on the subscription stops the reader too
	f := &feed{c: c, hub: h}
	conn, err := f.dial(ctx, false)
	go f.run(ctx, conn, err)
	return sub
}

// dial opens the websocket; withSince asks for everything after f.last.
func (f *feed) dial(ctx context.Context, withSince bool) (*websocket.Conn, error) {
	u := f.c.feed
	if withSince {
		u += "?since=" + strconv.FormatUint(f.last, 10)
	}
	d := websocket.Dialer{HandshakeTimeout: dialTimeout, ReadBufferSize: 32 << 10, WriteBufferSize: 1024}
	h := http.Header{}
	f.c.authorize(h, "/hooklab/events")
	conn, resp, err := d.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil, &permanentError{fmt.Errorf("the hooklab at %s refused the event feed (HTTP 401): it needs its token (--token or %s)", f.c.base, TokenEnv)}
			}
			if resp.StatusCode/100 == 4 {
				return nil, &permanentError{fmt.Errorf("the hooklab at %s refused the event feed (HTTP %d); is it a hooklab?", f.c.base, resp.StatusCode)}
			}
		}
		return nil, fmt.Errorf("cannot reach the event feed at %s: %w", f.c.feed, err)
	}
	return conn, nil
}

// permanentError ends the feed instead of reconnecting.
type permanentError struct{ error }

func (e *permanentError) Unwrap() error { return e.error }

// run is the reader goroutine: read until the connection breaks, then
// reconnect with bounded back-off. It closes the local hub (and so the
// subscription) when it stops.
func (f *feed) run(ctx context.Context, conn *websocket.Conn, err error) {
	defer f.hub.Close()
	if err != nil && f.last == 0 {
		// The first dial failed: resume from where Ping found the hooklab,
		// so events recorded in between are not lost.
		f.c.mu.Lock()
		f.last = f.c.pingSeq
		f.c.mu.Unlock()
	}
	wait := backoffMin
	for {
		if conn != nil {
			f.c.setFeedErr(nil)
			start := time.Now()
			err = f.read(ctx, conn)
			if time.Since(start) > stableAfter {
				wait = backoffMin
			}
			conn = nil
		}
		if ctx.Err() != nil {
			return
		}
		var perm *permanentError
		if errors.As(err, &perm) {
			f.c.setFeedErr(perm.error)
			return
		}
		f.c.setFeedErr(fmt.Errorf("event feed from %s lost (%v); reconnecting", f.c.base, err))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, backoffMax)
		resume := f.last > 0
		if resume {
			if seq, ok := f.c.remoteSeq(ctx); ok && seq < f.last {
				// The hooklab came back on another (or an in-memory) store:
				// its sequence numbers started over, and resuming after
				// ours would skip every new event. Take its recent past.
				f.last = seq - min(seq, resetBackfill)
			}
		}
		conn, err = f.dial(ctx, resume)
	}
}

// read publishes every event from conn until it breaks or ctx ends.
func (f *feed) read(ctx context.Context, conn *websocket.Conn) error {
	stop := context.AfterFunc(ctx, func() {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		conn.Close()
	})
	defer stop()
	defer conn.Close()
	conn.SetReadLimit(maxMessage)
	_ = conn.SetReadDeadline(time.Now().Add(readWait))
	conn.SetPingHandler(func(data string) error {
		_ = conn.SetReadDeadline(time.Now().Add(readWait))
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(writeWait))
		var ne net.Error
		if err == nil || errors.Is(err, websocket.ErrCloseSent) || (errors.As(err, &ne) && ne.Timeout()) {
			return nil
		}
		return err
	})
	for {
		_, r, err := conn.NextReader()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		_ = conn.SetReadDeadline(time.Now().Add(readWait))
		var e hub.Event
		if json.Unmarshal(b, &e) != nil || e.Seq == 0 {
			continue // not an event: skipping it beats reconnecting into it again
		}
		if e.Seq <= f.last {
			continue // already published before a reconnect
		}
		f.last = e.Seq
		switch e.Kind {
		case hub.KindConfig:
			f.configChanged(ctx)
		case hub.KindUpstream:
			f.c.setUpstream(e)
		}
		f.hub.Publish(e)
	}
}

// remoteSeq is the hooklab's last sequence number, if it answers quickly.
func (c *Client) remoteSeq(ctx context.Context) (uint64, bool) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	var h health
	if err := c.do(ctx, "GET", "/hooklab/healthz", nil, &h); err != nil || !h.OK {
		return 0, false
	}
	return h.Seq, true
}

// configChanged refreshes the cached config after any config event (a
// live edit from any client, a reload, a file found broken), before the
// event is published: a dashboard that sees the event reads the config it
// speaks of, its Problem included. A refresh that fails keeps the last
// config; the event still goes out.
func (f *feed) configChanged(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, configFetchTTL)
	defer cancel()
	_ = f.c.refreshConfig(ctx)
}
