package ui

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"hooklab/server/hub"
)

// benchEvents makes n realistic events (requests and attempts).
func benchEvents(start, n int) []hub.Event {
	evs := make([]hub.Event, n)
	for i := range evs {
		seq := uint64(start + i + 1)
		if i%2 == 0 {
			evs[i] = ev(seq, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: fmt.Sprint("/threads/t-", seq, "/runs"), Status: 200, DurationMS: 2.5})
		} else {
			evs[i] = ev(seq, hub.KindAttempt, hub.AttemptInfo{DeliveryID: fmt.Sprint("dlv-", seq), Attempt: 1, Method: "POST",
				URL: "http://127.0.0.1:9000/hook", Status: 200, Timing: hub.Timing{TotalMS: 3}})
		}
	}
	return evs
}

// BenchmarkView100k renders a 120x40 frame with 100k events held.
func BenchmarkView100k(b *testing.B) {
	m := New(newTestBackend(b), WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for i := 0; i < 100_000; i += maxBatch {
		m.Update(eventsMsg{events: benchEvents(i, min(maxBatch, 100_000-i))})
	}
	if m.Events() != 100_000 {
		b.Fatalf("holds %d events", m.Events())
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkAppend measures how many events per second Update absorbs in
// drained batches of maxBatch, with the window full (trimming included).
func BenchmarkAppend(b *testing.B) {
	m := New(newTestBackend(b), WithNow(fixedClock))
	m.sub = nil // no re-arm: the batches come from the benchmark
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	batches := make([][]hub.Event, 64)
	for i := range batches {
		batches[i] = benchEvents(0, maxBatch)
	}
	seq := uint64(0)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		evs := batches[n%len(batches)]
		for i := range evs {
			seq++
			evs[i].Seq = seq
		}
		m.Update(eventsMsg{events: evs})
		n++
	}
	b.ReportMetric(float64(n*maxBatch)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkAppendLoad is BenchmarkAppend with bench-shaped events (1.5 KB
// attempt bodies, decisions with every check), the load of the RSS target.
func BenchmarkAppendLoad(b *testing.B) {
	m := New(newTestBackend(b), WithNow(fixedClock))
	m.sub = nil
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	batches := make([][]hub.Event, 16)
	for i := range batches {
		batches[i] = loadEvents(i*maxBatch, maxBatch)
	}
	seq := uint64(0)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		evs := batches[n%len(batches)]
		for i := range evs {
			seq++
			evs[i].Seq = seq
		}
		m.Update(eventsMsg{events: evs})
		n++
	}
	b.ReportMetric(float64(n*maxBatch)/b.Elapsed().Seconds(), "events/s")
}

// heldModel is a 120x40 dashboard holding n events.
func heldModel(t testing.TB, n int) *Model {
	m := New(newTestBackend(t), WithNow(fixedClock))
	m.sub = nil // the batches come from the test
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	for i := 0; i < n; i += maxBatch {
		m.Update(eventsMsg{events: benchEvents(i, min(maxBatch, n-i))})
	}
	return m
}

// TestViewCostIsPerVisibleRow: a frame allocates the same with 1k or 50k
// events held (counted in allocations, not time).
func TestViewCostIsPerVisibleRow(t *testing.T) {
	small, big := heldModel(t, 1000), heldModel(t, 50_000)
	a := testing.AllocsPerRun(20, func() { _ = small.View() })
	b := testing.AllocsPerRun(20, func() { _ = big.View() })
	if b > a*1.1+5 {
		t.Fatalf("View allocates %.0f times with 50k events, %.0f with 1k", b, a)
	}
}

// TestUpdateBatchIsLinear: absorbing one drained batch costs in proportion
// to its size: allocations for 2048 events are about four times those for
// 512, not sixteen.
func TestUpdateBatchIsLinear(t *testing.T) {
	cost := func(n int) float64 {
		m := heldModel(t, 4096)
		seq := 4096
		return testing.AllocsPerRun(5, func() {
			m.Update(eventsMsg{events: benchEvents(seq, n)})
			seq += n
		})
	}
	small, big := cost(512), cost(2048)
	if big > small*4*1.5 {
		t.Fatalf("a 2048-event batch allocates %.0f times, a 512 one %.0f: worse than linear", big, small)
	}
}

// BenchmarkLiveEvents is the dashboard's CPU per event while it keeps up
// with a live stream, the figure the throughput goal is judged by: runs
// shaped like `hooklab bench` makes them (nine events each) arrive in the
// batches waitForEvents gathers, one a frame, and each batch costs one
// Update and one View at 120x40, in the run list following the newest
// run, with the 100k-event window full; the detail's refreshes come when
// they are due, as their ticks would. The clock is simulated, a frame a
// batch. At 60 frames a second, 306 events a batch is about 2,000 runs/s;
// 9 is one run a batch, what every redraw cost before the batches were
// gathered by frame.
//
// in=process is the dashboard of `hooklab dev`: the hub hands it each
// payload as its publisher made it (hub.Event.Value); in=json is the
// dashboard of `hooklab attach`, which decodes every payload.
func BenchmarkLiveEvents(b *testing.B) {
	const pool = 2 * defaultMaxEvents // runs do not repeat within the window
	typedEvs := loadEvents(0, pool)
	for _, in := range []string{"process", "json"} {
		evs := typedEvs
		if in == "json" {
			evs = overJSON(typedEvs)
		}
		for _, batch := range []int{9, 90, 306} {
			liveEvents(b, fmt.Sprintf("in=%s/batch=%d", in, batch), evs, batch)
		}
	}
}

func liveEvents(b *testing.B, name string, evs []hub.Event, batch int) {
	pool := len(evs)
	b.Run(name, func(b *testing.B) {
		tb := newTestBackend(b)
		now := fixedNow
		m := New(tb, WithNow(fixedClock), withWall(func() time.Time { return now }))
		m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
		for i := 0; i < defaultMaxEvents; i += maxBatch {
			m.Update(eventsMsg{events: evs[i:min(i+maxBatch, defaultMaxEvents)]})
		}
		m.sub = tb.hub.Subscribe(m.ctx, 0) // live from here on
		seq, next := uint64(defaultMaxEvents), defaultMaxEvents
		buf := make([]hub.Event, batch)
		runtime.GC()
		cpu0 := cpuTime()
		b.ResetTimer()
		for range b.N {
			for i := range buf {
				buf[i] = evs[next]
				seq++
				buf[i].Seq = seq
				next = (next + 1) % pool
			}
			batchAt := now.Add(frameAfter(batch))
			if due := m.detailAt.Add(detailEvery); m.detailDue && due.Before(batchAt) {
				now = due
				m.Update(detailDueMsg{})
			}
			now = batchAt
			m.Update(eventsMsg{events: buf})
			_ = m.View()
		}
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/event")
		// CPU time (the garbage collector's included) is the figure to
		// compare with hooklab's own CPU per run; wall time also counts
		// waiting for a busy machine.
		b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*batch), "cpu-ns/event")
	})
}
