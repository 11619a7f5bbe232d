package sender_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
)

// Receivers that misbehave (issue 7). Each is a real loopback receiver;
// each attempt must end within the timeouts, be recorded with an error a
// person understands, be retried when the platform would retry it, and
// leave no goroutine behind once the sender and the receiver are closed.

// misbehavingTarget is a started misbehaving receiver.
type misbehavingTarget struct {
	url   string
	hits  func() int64 // connections it accepted: one per attempt
	close func()
}

func rawTarget(scheme string, serve func(c net.Conn, quit <-chan struct{})) func(t *testing.T) misbehavingTarget {
	return func(t *testing.T) misbehavingTarget {
		r := newRawReceiver(t, scheme, serve)
		return misbehavingTarget{url: r.URL, hits: r.conns.Load, close: r.Close}
	}
}

func httpTarget(tls bool, scheme string, h http.HandlerFunc) func(t *testing.T) misbehavingTarget {
	return func(t *testing.T) misbehavingTarget {
		srv := newQuietServer(t, tls, h)
		url := srv.URL
		if scheme != "" { // the right server, the wrong protocol
			url = scheme + strings.TrimPrefix(url, "http")
		}
		return misbehavingTarget{url: url + "/hook", hits: srv.conns.Load, close: srv.Close}
	}
}

// loopbackPolicy allows https://127.0.0.1, as a config with
// webhooks.url.disable_loopback false does.
func loopbackPolicy() *config.Runtime {
	return policyRuntime(config.Policy{DisableLoopback: explicit(false), MaxURLLength: explicit(2048)})
}

func TestMisbehavingReceivers(t *testing.T) {
	const to = 300 * time.Millisecond
	timeout := "timeout after 300ms (whole request)"
	cases := []struct {
		name     string
		target   func(t *testing.T) misbehavingTarget
		connect  time.Duration // ConnectTimeout; default 2 s
		bigBody  bool          // a 1 MiB payload, more than a slow reader takes in
		outcome  string
		attempts int
		status   int
		err      string // every attempt's Error starts with this
		atLeast  bool   // each attempt lasted at least the whole-request timeout
	}{
		{"trickles the response body", httpTarget(false, "", trickleBody),
			0, false, sender.OutcomeFailed, 3, 200, timeout + " while reading the response body", true},
		{"trickles the response headers", rawTarget("http", serveTrickleHeaders),
			0, false, sender.OutcomeFailed, 3, 0, timeout, true},
		{"never answers", rawTarget("http", serveSilent),
			0, false, sender.OutcomeFailed, 3, 0, timeout, true},
		{"reads the request one byte at a time", rawTarget("http", serveSlowRead),
			0, true, sender.OutcomeFailed, 3, 0, timeout, true},
		{"floods the response headers", rawTarget("http", serveHeaderFlood),
			0, false, sender.OutcomeFailed, 3, 0, "response headers larger than 1 MiB (stopped reading them)", false},
		{"resets the connection", rawTarget("http", serveReset),
			0, false, sender.OutcomeFailed, 3, 0, "connection reset by peer", false},
		{"hangs up without answering", rawTarget("http", serveHangUp),
			0, false, sender.OutcomeFailed, 3, 0, "connection closed by the receiver before a complete response", false},
		{"promises a body it does not send", httpTarget(false, "", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("short"))
		}), 0, false, sender.OutcomeFailed, 3, 200,
			"connection closed by the receiver before a complete response while reading the response body", false},
		{"untrusted certificate", httpTarget(true, "", func(http.ResponseWriter, *http.Request) {}),
			0, false, sender.OutcomeFailed, 3, 0, "TLS: x509: certificate signed by unknown authority", false},
		{"plain HTTP on an https URL", httpTarget(false, "https", func(http.ResponseWriter, *http.Request) {}),
			0, false, sender.OutcomeFailed, 3, 0, "TLS: first record does not look like a TLS handshake", false},
		{"never answers the TLS handshake", rawTarget("https", serveSilent),
			150 * time.Millisecond, false, sender.OutcomeFailed, 3, 0, "TLS: handshake timeout after 150ms", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder(t)
			noLeaks := leakCheck(t)
			target := c.target(t)
			o := fastOptions(rec, loopbackPolicy)
			o.Timeout, o.ConnectTimeout = to, 2*time.Second
			if !c.atLeast && strings.HasPrefix(c.err, "TLS: ") && c.connect == 0 {
				// These fail at once; a roomy timeout keeps a slow handshake
				// (the race detector) from turning them into timeouts.
				o.Timeout = 5 * time.Second
			}
			if c.connect > 0 {
				o.ConnectTimeout = c.connect
			}
			s := mustStart(t, o)
			run := sampleRun()
			if c.bigBody {
				run.Values = json.RawMessage(`{"blob":"` + strings.Repeat("b", 1<<20) + `"}`)
			}
			id := mustSend(t, s, target.url, run)
			d := waitFinal(t, rec, id)
			as := rec.attempts(t, id)
			if d.Outcome != c.outcome || d.Attempts != c.attempts || len(as) != c.attempts || len(d.AttemptLog) != c.attempts {
				t.Fatalf("got %s after %d attempts (%d events, log %d), want %s after %d; reason %q",
					d.Outcome, d.Attempts, len(as), len(d.AttemptLog), c.outcome, c.attempts, d.Reason)
			}
			t.Logf("recorded: %q", as[0].Error)
			for i, a := range as {
				if !strings.HasPrefix(a.Error, c.err) || a.Status != c.status || a.Retry != (i < len(as)-1) {
					t.Errorf("attempt %d: error %q status %d retry %v; want error %q status %d", a.Attempt, a.Error, a.Status, a.Retry, c.err, c.status)
				}
				if c.atLeast && a.Timing.TotalMS < float64(to.Milliseconds()) {
					t.Errorf("attempt %d took %.1f ms, less than the %s timeout", a.Attempt, a.Timing.TotalMS, to)
				}
			}
			if c.outcome == sender.OutcomeFailed && d.Reason != "gave up after 3 attempts: "+as[len(as)-1].Error {
				t.Errorf("reason %q", d.Reason)
			}
			if n := target.hits(); n != int64(c.attempts) {
				t.Errorf("receiver saw %d connections, want %d", n, c.attempts)
			}
			closeWithin(t, s, 5*time.Second)
			target.close()
			noLeaks()
		})
	}
}

// A body larger than anyone should send, or one that never ends: the
// sender keeps (and reads) 64 KiB, answers with the real status and hangs
// up, rather than reading on until the timeout or into memory.
func TestHugeResponseBodyReadsOnly64KiB(t *testing.T) {
	const total = 64 << 20
	cases := []struct {
		name          string
		contentLength string // "" streams chunked
	}{
		{"64 MiB streamed", ""},
		{"endless, with a 1 TiB Content-Length", "1099511627776"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder(t)
			noLeaks := leakCheck(t)
			var wrote atomic.Int64
			writeErr := make(chan error, 1)
			chunk := bytes.Repeat([]byte("x"), 32<<10)
			srv := newQuietServer(t, false, func(w http.ResponseWriter, r *http.Request) {
				if c.contentLength != "" {
					w.Header().Set("Content-Length", c.contentLength)
				}
				for c.contentLength != "" || wrote.Load() < total {
					n, err := w.Write(chunk)
					wrote.Add(int64(n))
					if err != nil {
						writeErr <- err
						return
					}
				}
				writeErr <- nil
			})
			o := fastOptions(rec, nil)
			o.Timeout = 10 * time.Second
			s := mustStart(t, o)

			var m0, m1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&m0)
			d := waitFinal(t, rec, mustSend(t, s, srv.URL, sampleRun()))
			runtime.ReadMemStats(&m1)

			if d.Outcome != sender.OutcomeDelivered || d.Attempts != 1 || d.Status != 200 {
				t.Fatalf("delivery %s %d status %d %q", d.Outcome, d.Attempts, d.Status, d.Reason)
			}
			a := d.AttemptLog[0]
			if !a.Truncated || len(a.ResponseBody) != sender.MaxCapture || strings.Trim(a.ResponseBody, "x") != "" || a.Error != "" {
				t.Fatalf("attempt: truncated %v, %d bytes kept, error %q", a.Truncated, len(a.ResponseBody), a.Error)
			}
			// Generous: the point is not reading to the 10 s timeout.
			if a.Timing.TotalMS > 5000 {
				t.Errorf("attempt took %.0f ms: the sender read on past what it keeps", a.Timing.TotalMS)
			}
			if grew := m1.TotalAlloc - m0.TotalAlloc; grew > 32<<20 {
				t.Errorf("%d MiB allocated during the delivery of a body the sender should not read", grew>>20)
			}
			select {
			case err := <-writeErr:
				if err == nil {
					t.Errorf("the receiver wrote all %d MiB: the sender read it all", total>>20)
				}
			case <-time.After(5 * time.Second):
				t.Error("the receiver is still writing: the sender did not hang up")
			}
			closeWithin(t, s, 5*time.Second)
			srv.Close()
			noLeaks()
		})
	}
}

// Redirect loops of every kind end after 5 hops, on the first attempt:
// not retried, so a loop costs the receiver 6 requests and no more.
func TestRedirectLoopEveryStatus(t *testing.T) {
	for _, code := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			rec := newRecorder(t)
			noLeaks := leakCheck(t)
			srv := newQuietServer(t, false, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "/loop", code)
			})
			s := mustStart(t, fastOptions(rec, nil))
			id := mustSend(t, s, srv.URL+"/loop", sampleRun())
			d := waitFinal(t, rec, id)
			want := "stopped after 5 redirects (a redirect loop?)"
			if d.Outcome != sender.OutcomeFailed || d.Attempts != 1 || d.Reason != want || d.Status != code {
				t.Fatalf("delivery %s %d %q status %d", d.Outcome, d.Attempts, d.Reason, d.Status)
			}
			as := rec.attempts(t, id)
			if len(as) != 1 || as[0].Error != want || as[0].Retry || len(as[0].Redirects) != 5 {
				t.Fatalf("attempts %+v", as)
			}
			if ds := rec.decisions(t, id); len(ds) != 6 {
				t.Errorf("%d decisions, want the send check and one per hop", len(ds))
			}
			closeWithin(t, s, 5*time.Second)
			srv.Close()
			if n := srv.hits.Load(); n != 6 {
				t.Errorf("receiver saw %d requests, want 6", n)
			}
			noLeaks()
		})
	}
}

// Hung receivers hold the workers they are on, never the pool: with every
// worker but one held (long timeout) or every worker held (short timeout,
// so they come back), a delivery to a good receiver still completes.
func TestHungReceiversNeverStallThePool(t *testing.T) {
	cases := []struct {
		name    string
		workers int
		timeout time.Duration
	}{
		{"a worker left free", 3, 30 * time.Second},
		{"every worker held until the timeout", 2, 300 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder(t)
			noLeaks := leakCheck(t)
			silent := newRawReceiver(t, "http", serveSilent)
			trickler := newQuietServer(t, false, trickleBody)
			good := newReceiver(t)
			o := fastOptions(rec, nil)
			o.Workers, o.Timeout = c.workers, c.timeout
			s := mustStart(t, o)
			hung := []string{mustSend(t, s, silent.URL, sampleRun()), mustSend(t, s, trickler.URL, sampleRun())}
			waitFor(t, rec, hung[0], func(sender.Delivery) bool { return silent.conns.Load() > 0 })
			d := waitFinal(t, rec, mustSend(t, s, good.URL, sampleRun()))
			if d.Outcome != sender.OutcomeDelivered {
				t.Fatalf("good delivery %+v", d)
			}
			for _, id := range hung {
				if c.timeout > time.Second { // still held when the good one is done
					if h, _ := rec.Delivery(context.Background(), id); h.Outcome != sender.OutcomePending || h.Attempts != 0 {
						t.Fatalf("hung delivery %s %d", h.Outcome, h.Attempts)
					}
				} else if h := waitFinal(t, rec, id); h.Outcome != sender.OutcomeFailed || h.Attempts != 3 {
					t.Fatalf("hung delivery %s %d %q", h.Outcome, h.Attempts, h.Reason)
				}
			}
			closeWithin(t, s, 200*time.Millisecond) // aborts what is still hung
			for _, id := range hung {
				if h, _ := rec.Delivery(context.Background(), id); h.Outcome == sender.OutcomePending && h.Attempts != 0 {
					t.Errorf("aborted delivery recorded an attempt: %+v", h)
				}
			}
			silent.Close()
			trickler.Close()
			good.Close()
			noLeaks()
		})
	}
}
