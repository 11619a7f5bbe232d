package sender_test

import (
	"bufio"
	"bytes"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawReceiver is a TCP listener on 127.0.0.1:0 that hands every connection
// to serve, for misbehaviour below HTTP (silence, resets, half answers).
// Close stops it, closes every connection and waits for their goroutines,
// so a leak check after it sees only the sender's own goroutines.
type rawReceiver struct {
	URL   string
	conns atomic.Int64 // connections accepted
	ln    net.Listener
	quit  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	open  map[net.Conn]struct{}
	done  bool
}

func newRawReceiver(t *testing.T, scheme string, serve func(c net.Conn, quit <-chan struct{})) *rawReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rawReceiver{URL: scheme + "://" + ln.Addr().String(), ln: ln, quit: make(chan struct{}), open: map[net.Conn]struct{}{}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			if r.done { // accepted just as Close ran: it would never be closed
				r.mu.Unlock()
				_ = c.Close()
				return
			}
			r.open[c] = struct{}{}
			r.wg.Add(1) // under mu, before Close can reach Wait
			r.mu.Unlock()
			r.conns.Add(1)
			go func() {
				defer r.wg.Done()
				serve(c, r.quit)
				_ = c.Close()
				r.mu.Lock()
				delete(r.open, c)
				r.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(r.Close)
	return r
}

// Close stops accepting, closes every open connection and waits for
// their goroutines. It may be called more than once.
func (r *rawReceiver) Close() {
	r.mu.Lock()
	if r.done {
		r.mu.Unlock()
		return
	}
	r.done = true
	close(r.quit)
	_ = r.ln.Close()
	for c := range r.open {
		_ = c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// serveSilent reads whatever comes and never answers.
func serveSilent(c net.Conn, _ <-chan struct{}) { _, _ = io.Copy(io.Discard, c) }

// serveSlowRead reads the request one byte every 50 ms and never answers.
func serveSlowRead(c net.Conn, quit <-chan struct{}) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	b := make([]byte, 1)
	for {
		select {
		case <-quit:
			return
		case <-tick.C:
		}
		if _, err := c.Read(b); err != nil {
			return
		}
	}
}

// readRequest reads one whole request, so the sender has finished writing
// and is waiting for the answer when the receiver misbehaves.
func readRequest(c net.Conn) bool {
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return false
	}
	_, err = io.Copy(io.Discard, req.Body)
	return err == nil
}

// serveReset reads the request, then closes with SO_LINGER 0: the kernel
// sends RST instead of FIN, as a crashing receiver or a middlebox does.
func serveReset(c net.Conn, _ <-chan struct{}) {
	if readRequest(c) {
		_ = c.(*net.TCPConn).SetLinger(0)
	}
}

// serveHangUp reads the request and closes without a word (EOF).
func serveHangUp(c net.Conn, _ <-chan struct{}) { readRequest(c) }

// serveTrickleHeaders sends a status line, then a header one byte every
// 50 ms, forever: the response never gets past its headers.
func serveTrickleHeaders(c net.Conn, quit <-chan struct{}) {
	if !readRequest(c) {
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Slow: "); err != nil {
		return
	}
	trickle(c, quit)
}

// serveHeaderFlood sends a status line, then one header as fast as the
// sender reads it, without end.
func serveHeaderFlood(c net.Conn, _ <-chan struct{}) {
	if !readRequest(c) {
		return
	}
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Flood: "); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte("x"), 32<<10)
	for {
		if _, err := c.Write(chunk); err != nil {
			return
		}
	}
}

// trickle writes "x" every 50 ms until a write fails or quit closes.
func trickle(w io.Writer, quit <-chan struct{}) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-quit:
			return
		case <-tick.C:
		}
		if _, err := io.WriteString(w, "x"); err != nil {
			return
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// quietServer is an httptest server (TLS when tls is set) that does not
// log handler or handshake errors (the sender refusing its certificate),
// and counts connections and requests.
type quietServer struct {
	*httptest.Server
	conns, hits atomic.Int64
}

func newQuietServer(t *testing.T, tls bool, h http.HandlerFunc) *quietServer {
	t.Helper()
	q := &quietServer{}
	q.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q.hits.Add(1)
		h(w, r)
	}))
	q.Config.ErrorLog = log.New(io.Discard, "", 0)
	q.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			q.conns.Add(1)
		}
	}
	if tls {
		q.StartTLS()
	} else {
		q.Start()
	}
	t.Cleanup(q.Close)
	return q
}

// trickleBody answers 200 at once, then the body one byte every 50 ms.
func trickleBody(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	trickle(w, r.Context().Done())
}

// leakCheck records the goroutine count now; the returned func, called
// once the scenario has closed its sender and its receivers, polls (for a
// few seconds) until the count is back to that baseline and fails with
// every goroutine's stack if it never gets there. Start it after opening
// the store (its pool goroutines outlive the scenario by design) and
// before building the sender and the receivers.
func leakCheck(t *testing.T) func() {
	t.Helper()
	before := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			n := runtime.NumGoroutine()
			if n <= before {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("goroutine leak: %d before the scenario, %d after it closed\n%s", before, n, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}
