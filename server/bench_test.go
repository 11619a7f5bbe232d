package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"hooklab/server/engine"
)

// BenchmarkRunCreate measures POST /runs over loopback HTTP against a real
// server with a file store (the run executes and is stored; no webhook).
func BenchmarkRunCreate(b *testing.B) {
	ts := mustStart(b)
	body := []byte(`{"assistant_id":"agent","input":{"messages":[{"role":"user","content":"bench"}]}}`)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.SetParallelism(8)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Post(ts.URL+"/runs", "application/json", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "runs/s")
}

// BenchmarkSSEEncoding measures writing a finished run's stream as SSE.
func BenchmarkSSEEncoding(b *testing.B) {
	payload := []byte(`{"messages":[{"type":"human","content":"hello","id":"f16d6d32-fad9-4787-a1d6-2fae0fd7f952"},{"type":"ai","content":"hello","id":"run-6baea411"}]}`)
	events := make([]engine.Event, 50)
	for i := range events {
		events[i] = engine.Event{Name: "values", Data: payload}
	}
	buf := engine.StreamOf(events)
	req := httptest.NewRequest(http.MethodGet, "/stream", nil)
	b.ReportAllocs()
	b.SetBytes(int64(50 * (len(payload) + 32)))
	for b.Loop() {
		rec := httptest.NewRecorder()
		writeSSE(rec, req, buf, 0, true, nil, time.Minute, nil)
	}
}
