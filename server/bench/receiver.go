package bench

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// arrival is one webhook as the receiver saw it.
type arrival struct {
	at      time.Time // when the request reached the handler (monotonic)
	status  string    // the payload's status
	endedAt time.Time // the payload's run_ended_at; zero when absent or unreadable
}

// receiver is the bench's loopback webhook endpoint. Each run's webhook URL
// carries the run's ticket (?n=), so an arrival is matched to the lane
// waiting for it without trusting anything the server echoes back.
type receiver struct {
	srv  *http.Server
	ln   net.Listener
	base string       // http://127.0.0.1:port/hook
	last atomic.Int64 // when the last webhook arrived (Unix ns)

	mu      sync.Mutex
	waiting map[uint64]chan arrival // tickets a lane is waiting for
	seen    map[uint64]struct{}     // tickets whose webhook arrived at least once
	dup     int                     // arrivals for a ticket already seen
	late    int                     // first arrivals nobody waited for any more
	unknown int                     // arrivals without a readable ticket
}

func startReceiver() (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &receiver{
		ln:      ln,
		base:    "http://" + ln.Addr().String() + "/hook",
		waiting: map[uint64]chan arrival{},
		seen:    map[uint64]struct{}{},
	}
	r.srv = &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	go r.srv.Serve(ln)
	return r, nil
}

// url is the webhook URL of ticket n on lane.
func (r *receiver) url(lane int, n uint64) string {
	return r.base + "?lane=" + strconv.Itoa(lane) + "&n=" + strconv.FormatUint(n, 10)
}

// expect registers interest in ticket n before its run is created, so the
// webhook cannot arrive before anyone listens for it.
func (r *receiver) expect(n uint64) <-chan arrival {
	ch := make(chan arrival, 1)
	r.mu.Lock()
	r.waiting[n] = ch
	r.mu.Unlock()
	return ch
}

// forget gives up on ticket n; a webhook arriving for it later counts as late.
func (r *receiver) forget(n uint64) {
	r.mu.Lock()
	delete(r.waiting, n)
	r.mu.Unlock()
}

// webhookFields is the part of the payload the bench reads.
type webhookFields struct {
	Status     string `json:"status"`
	RunEndedAt string `json:"run_ended_at"`
}

// ServeHTTP implements http.Handler: record, match, answer 200.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	r.last.Store(at.UnixNano())
	body, _ := io.ReadAll(io.LimitReader(req.Body, 8<<20))
	n, err := strconv.ParseUint(req.URL.Query().Get("n"), 10, 64)
	if err != nil {
		r.mu.Lock()
		r.unknown++
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	a := arrival{at: at}
	var f webhookFields
	if json.Unmarshal(body, &f) == nil {
		a.status = f.Status
		if t, err := time.Parse(time.RFC3339Nano, f.RunEndedAt); err == nil {
			a.endedAt = t
		}
	}
	r.mu.Lock()
	_, dup := r.seen[n]
	ch := r.waiting[n]
	switch {
	case dup:
		r.dup++
		ch = nil
	case ch == nil:
		r.seen[n] = struct{}{}
		r.late++
	default:
		r.seen[n] = struct{}{}
		delete(r.waiting, n)
	}
	r.mu.Unlock()
	if ch != nil {
		ch <- a // buffered 1, and only ever sent once
	}
	w.WriteHeader(http.StatusOK)
}

// counts reads the duplicate, late and unknown counters.
func (r *receiver) counts() (dup, late, unknown int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dup, r.late, r.unknown
}

// drain keeps the receiver answering until no webhook has arrived for
// quiet, or for at most limit: after a stop that cut runs off in flight,
// their webhooks are still on the way, and a refused connection would make
// the server retry them during whatever is measured next.
func (r *receiver) drain(ctx context.Context, quiet, limit time.Duration) {
	start := time.Now()
	for {
		since := time.Since(time.Unix(0, max(r.last.Load(), start.UnixNano())))
		left := limit - time.Since(start)
		if since >= quiet || left <= 0 {
			return
		}
		t := time.NewTimer(min(quiet-since, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (r *receiver) close() {
	r.srv.Close()
}
