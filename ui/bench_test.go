package ui

import (
	"fmt"
	"testing"

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
