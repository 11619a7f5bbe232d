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
