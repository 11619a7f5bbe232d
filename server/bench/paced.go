package bench

import (
	"context"
	"sync"
	"time"
)

// schedule is the open loop's clock: run n is due at t0 + (n-1)/rate and
// starts then, however many earlier runs are still waiting for their
// webhooks. That is how independent clients load a server, and unlike a
// closed loop it does not slow down when the server does, so a stall
// shows in the latency of every run due during it instead of hiding as
// fewer starts.
//
// It is bounded three ways: at most runs starts, none after ctx ends, and
// at most maxInFlight runs outstanding. A start that finds maxInFlight
// runs outstanding waits for one to end; those starts are counted as held,
// because from then on the load is no longer open loop.
type schedule struct {
	rate        float64 // starts per second, > 0
	runs        int     // starts in all
	maxInFlight int     // runs outstanding at once, > 0
}

// schedStats is what a schedule did.
type schedStats struct {
	started int // runs started
	held    int // starts that waited for the in-flight bound
	peak    int // most runs outstanding at once
}

// due is when run n (from 1) is due.
func (s schedule) due(t0 time.Time, n uint64) time.Time {
	return t0.Add(time.Duration(float64(n-1) / s.rate * float64(time.Second)))
}

// run starts runs on time until the bounds are reached, each in its own
// goroutine calling run(n, due), which returns when run n is over. run
// returns when every run it started has returned.
func (s schedule) run(ctx context.Context, t0 time.Time, run func(n uint64, due time.Time)) schedStats {
	var st schedStats
	slots := make(chan struct{}, s.maxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for n := uint64(1); n <= uint64(s.runs); n++ {
		due := s.due(t0, n)
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return st
			}
		}
		if ctx.Err() != nil {
			return st
		}
		select {
		case slots <- struct{}{}:
		default:
			st.held++
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return st
			}
		}
		st.started++
		st.peak = max(st.peak, len(slots))
		wg.Go(func() {
			defer func() { <-slots }()
			run(n, due)
		})
	}
	return st
}

// paced is the open loop: o.Pace starts a second, each run waiting for its
// own webhook while later runs start on schedule. Runs report into one
// shared laneStats under a lock (a few thousand a second at most).
func (b *bench) paced(ctx context.Context) ([]laneStats, schedStats) {
	st := laneStats{statuses: map[string]int{}}
	var mu sync.Mutex
	s := schedule{rate: b.o.Pace, runs: b.o.Runs, maxInFlight: b.o.MaxInFlight}
	sched := s.run(ctx, b.start, func(n uint64, due time.Time) {
		lag := time.Since(due)
		var timer *time.Timer
		o := b.one(ctx, 0, n, "", &timer)
		if timer != nil {
			timer.Stop()
		}
		mu.Lock()
		st.startLag = append(st.startLag, lag)
		b.record(&st, o)
		mu.Unlock()
	})
	// Runs the schedule never started because the time ran out are not
	// cut off: only runs in flight at the stop are.
	return []laneStats{st}, sched
}
