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
	createToHook, endToHook, request               []time.Duration
	statuses                                       map[string]int
	firstErr                                       string
}

// bench is one Run in flight.
type bench struct {
	o       Options
	start   time.Time // when the lanes started; run n is due at start + (n-1)/Rate
	client  *http.Client
	rcv     *receiver // nil when webhooks go elsewhere
	next    atomic.Uint64
	done    atomic.Int64
	missing atomic.Int64
	errs    atomic.Int64
}

// Run loads o.URL and reports what it measured. It returns an error only
// when the bench itself cannot run (bad options, no loopback port); a
// server that fails is reported in the Result.
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

	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	b.start = start
	stats := make([]laneStats, o.Concurrency)
	var wg sync.WaitGroup
	for i := range stats {
		wg.Go(func() { b.lane(runCtx, i, &stats[i]) })
	}
	stopProgress := b.reportProgress(start)
	wg.Wait()
	wall := time.Since(start)
	stopProgress()

	stoppedBy := "runs"
	switch {
	case ctx.Err() != nil:
		stoppedBy = "cancelled"
	case runCtx.Err() != nil:
		stoppedBy = "duration"
	}
	return b.result(stats, wall, stoppedBy), nil
}

// newClient is one client for every lane: keep-alive, enough idle
// connections that no lane ever re-dials, and no proxy from the
// environment (the target is usually loopback).
func newClient(o Options) *http.Client {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        2 * o.Concurrency,
		MaxIdleConnsPerHost: 2 * o.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: t, Timeout: o.RunTimeout}
}

// pace waits until run n is due under --rate. Latency is measured from the
// actual start, so a server that falls behind shows as a lower achieved rate.
func (b *bench) pace(ctx context.Context, n uint64) bool {
	if b.o.Rate <= 0 {
		return true
	}
	due := b.start.Add(time.Duration(float64(n-1) / b.o.Rate * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// lane keeps one run outstanding until the runs or the time run out.
func (b *bench) lane(ctx context.Context, i int, st *laneStats) {
	st.statuses = map[string]int{}
	var threadID string
	if b.o.Mode == ModeThread {
		id, err := b.createThread(ctx)
		if err != nil {
			b.fail(ctx, st, err)
			return
		}
		threadID = id
	}
	var timer *time.Timer
	for ctx.Err() == nil {
		n := b.next.Add(1)
		if n > uint64(b.o.Runs) {
			return
		}
		if !b.pace(ctx, n) {
			st.cutOff++
			return
		}
		hook := b.o.Webhook
		var wait <-chan arrival
		if b.rcv != nil {
			hook = b.rcv.url(i, n)
			wait = b.rcv.expect(n)
		}
		start := time.Now()
		err := b.send(ctx, threadID, hook)
		st.request = append(st.request, time.Since(start))
		if err != nil {
			if b.rcv != nil {
				b.rcv.forget(n)
			}
			if ctx.Err() != nil {
				st.cutOff++
				return
			}
			b.fail(ctx, st, err)
			continue
		}
		st.created++
		if b.rcv == nil {
			st.done++
			b.done.Add(1)
			continue
		}
		if timer == nil {
			timer = time.NewTimer(b.o.RunTimeout)
			defer timer.Stop()
		} else {
			timer.Reset(b.o.RunTimeout)
		}
		select {
		case a := <-wait:
			st.done++
			b.done.Add(1)
			st.createToHook = append(st.createToHook, a.at.Sub(start))
			if !a.endedAt.IsZero() {
				// Wall clocks: run_ended_at carries no monotonic reading.
				st.endToHook = append(st.endToHook, a.at.Sub(a.endedAt))
			}
			st.statuses[a.status]++
			if a.status != "success" {
				st.failed++
			}
		case <-timer.C:
			b.rcv.forget(n)
			st.missing++
			b.missing.Add(1)
		case <-ctx.Done():
			b.rcv.forget(n)
			st.cutOff++
			return
		}
	}
}

// fail counts a request that did not create a run.
func (b *bench) fail(ctx context.Context, st *laneStats, err error) {
	st.errors++
	b.errs.Add(1)
	if st.firstErr == "" {
		st.firstErr = err.Error()
	}
	// A refused connection fails in microseconds: pause a little so a dead
	// target costs --runs quick errors, not a spinning CPU.
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
