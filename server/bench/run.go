package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// laneStats is what one lane measured; lanes never share it, so the hot
// loop takes no lock.
type laneStats struct {
	created, done, missing, errors, failed, cutOff int
	createToHook, endToHook, request, startLag     []time.Duration
	statuses                                       map[string]int
	firstErr                                       string
}

// outcome is how one run went.
type outcome struct {
	err       error         // the request did not create a run
	created   bool          // the server accepted the run
	cutOff    bool          // the bench stopped while the run was in flight
	missing   bool          // created, but no webhook within the run timeout
	request   time.Duration // request start to answer read
	hook      *arrival      // its webhook, when the bench's receiver saw it
	createdAt time.Time     // request start
}

// add records o in st.
func (st *laneStats) add(o outcome) {
	if !o.createdAt.IsZero() {
		st.request = append(st.request, o.request)
	}
	if o.created {
		st.created++
	}
	switch {
	case o.err != nil:
		st.errors++
		if st.firstErr == "" {
			st.firstErr = o.err.Error()
		}
	case o.cutOff:
		st.cutOff++
	case o.missing:
		st.missing++
	default:
		st.done++
		if a := o.hook; a != nil {
			st.createToHook = append(st.createToHook, a.at.Sub(o.createdAt))
			if !a.endedAt.IsZero() {
				// Wall clocks: run_ended_at carries no monotonic reading.
				st.endToHook = append(st.endToHook, a.at.Sub(a.endedAt))
			}
			st.statuses[a.status]++
			if a.status != "success" {
				st.failed++
			}
		}
	}
}

// bench is one Run in flight.
type bench struct {
	o       Options
	start   time.Time // when the load started; run n is due at start + (n-1)/rate
	client  *http.Client
	rcv     *receiver // nil when webhooks go elsewhere
	next    atomic.Uint64
	done    atomic.Int64
	missing atomic.Int64
	errs    atomic.Int64
}

// Run loads o.URL and reports what it measured. It returns an error only
// when the bench itself cannot run (bad options, no loopback port, no
// process o.PID); a server that fails is reported in the Result.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.URL == "" {
		return nil, errors.New("no target URL (Command starts an in-process hooklab when --url is empty; Run needs one)")
	}
	b := &bench{o: o, client: newClient(o)}
	defer b.client.CloseIdleConnections()
	if o.Webhook == "" {
		b.rcv, err = startReceiver()
		if err != nil {
			return nil, fmt.Errorf("webhook receiver: %w", err)
		}
		defer b.rcv.close()
	}

	var settled time.Duration
	var quiet bool
	if o.PID > 0 && o.Settle > 0 {
		if settled, quiet, err = settle(ctx, o.PID, o.Settle); err != nil {
			return nil, err
		}
	}
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	// The measured window: from the first start to the last run's end.
	w, err := startWindow(o.PID)
	if err != nil {
		return nil, err
	}
	b.start = w.start
	stopProgress := b.reportProgress(w.start)
	var stats []laneStats
	var sched schedStats
	if o.Pace > 0 {
		stats, sched = b.paced(runCtx)
	} else {
		stats = make([]laneStats, o.Concurrency)
		var wg sync.WaitGroup
		for i := range stats {
			wg.Go(func() { b.lane(runCtx, i, &stats[i]) })
		}
		wg.Wait()
	}
	w.stop()
	stopProgress()
	if b.rcv != nil && ctx.Err() == nil {
		cut := 0
		for _, l := range stats {
			cut += l.cutOff
		}
		if cut > 0 {
			b.rcv.drain(ctx, 200*time.Millisecond, 2*time.Second) // counted late, not refused
		}
	}

	stoppedBy := "runs"
	switch {
	case ctx.Err() != nil:
		stoppedBy = "cancelled"
	case runCtx.Err() != nil:
		stoppedBy = "duration"
	}
	r := b.result(stats, w.wall, stoppedBy)
	r.addSchedule(o, sched)
	w.addTo(r)
	if o.Settle > 0 {
		s := settled.Seconds()
		r.SettledS, r.Settled = &s, &quiet
	}
	return r, nil
}

// newClient is one client for every lane: keep-alive, enough idle
// connections that no lane ever re-dials, and no proxy from the
// environment (the target is usually loopback).
func newClient(o Options) *http.Client {
	idle := 2 * o.Concurrency
	if o.Pace > 0 {
		idle = min(o.MaxInFlight, 256)
	}
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        idle,
		MaxIdleConnsPerHost: idle,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: t, Timeout: o.RunTimeout}
}

// pace waits until run n is due under --rate and returns when it was due
// (zero without --rate). Latency is measured from the actual start, so a
// server that falls behind shows as a lower achieved rate.
func (b *bench) pace(ctx context.Context, n uint64) (time.Time, bool) {
	if b.o.Rate <= 0 {
		return time.Time{}, true
	}
	due := b.start.Add(time.Duration(float64(n-1) / b.o.Rate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return due, false
		}
	}
	return due, true
}

// lane keeps one run outstanding until the runs or the time run out.
func (b *bench) lane(ctx context.Context, i int, st *laneStats) {
	st.statuses = map[string]int{}
	var threadID string
	if b.o.Mode == ModeThread {
		id, err := b.createThread(ctx)
		if err != nil {
			b.record(st, outcome{err: err})
			b.pause(ctx)
			return
		}
		threadID = id
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for ctx.Err() == nil {
		n := b.next.Add(1)
		if n > uint64(b.o.Runs) {
			return
		}
		due, ok := b.pace(ctx, n)
		if !ok {
			st.cutOff++
			return
		}
		if !due.IsZero() {
			st.startLag = append(st.startLag, time.Since(due))
		}
		o := b.one(ctx, i, n, threadID, &timer)
		b.record(st, o)
		if o.cutOff {
			return
		}
		if o.err != nil {
			b.pause(ctx)
		}
	}
}

// one creates run n and waits for its webhook. timer is reused across
// calls; one makes it when nil.
func (b *bench) one(ctx context.Context, lane int, n uint64, threadID string, timer **time.Timer) outcome {
	hook := b.o.Webhook
	var wait <-chan arrival
	if b.rcv != nil {
		hook = b.rcv.url(lane, n)
		wait = b.rcv.expect(n)
	}
	start := time.Now()
	err := b.send(ctx, threadID, hook)
	o := outcome{request: time.Since(start), createdAt: start}
	if err != nil {
		if b.rcv != nil {
			b.rcv.forget(n)
		}
		if ctx.Err() != nil {
			o.cutOff = true
		} else {
			o.err = err
		}
		return o
	}
	o.created = true
	if b.rcv == nil {
		return o // created is all the bench can see
	}
	if *timer == nil {
		*timer = time.NewTimer(b.o.RunTimeout)
	} else {
		(*timer).Reset(b.o.RunTimeout)
	}
	select {
	case a := <-wait:
		o.hook = &a
	case <-(*timer).C:
		b.rcv.forget(n)
		o.missing = true
	case <-ctx.Done():
		b.rcv.forget(n)
		o.cutOff = true
	}
	return o
}

// record adds o to st and to the live counts that progress reports read.
func (b *bench) record(st *laneStats, o outcome) {
	st.add(o)
	switch {
	case o.err != nil:
		b.errs.Add(1)
	case o.cutOff:
	case o.missing:
		b.missing.Add(1)
	default:
		b.done.Add(1)
	}
}

// pause follows a failed request: a refused connection fails in
// microseconds, so a lane pauses a little and a dead target costs --runs
// quick errors, not a spinning CPU.
func (b *bench) pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Millisecond):
	}
}

// reportProgress calls o.Progress about ten times a second until stopped,
// then once more with the final counts.
func (b *bench) reportProgress(start time.Time) (stop func()) {
	if b.o.Progress == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	snap := func() Progress {
		return Progress{
			Done: int(b.done.Load()), Total: b.o.Runs, Elapsed: time.Since(start), Duration: b.o.Duration,
			Missing: int(b.missing.Load()), Errors: int(b.errs.Load()),
		}
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				b.o.Progress(snap())
				return
			case <-tick.C:
				b.o.Progress(snap())
			}
		}
	}()
	return func() { close(quit); <-finished }
}
