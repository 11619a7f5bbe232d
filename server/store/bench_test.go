package store

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// attemptPayload is a realistic KindAttempt payload of about 1 KB.
func attemptPayload(i int) sender.Attempt {
	body := fmt.Sprintf(`{"run_id":"1ef2c3d4-%08d","thread_id":"9f8e7d6c-5b4a-3210-fedc-ba9876543210","assistant_id":"fe096781-5601-53d2-b2f6-0d3403f7e9ca","status":"success","values":{"messages":[{"type":"human","content":"hello there, this is a test message"},{"type":"ai","content":"hello there, this is a test message"}]},"run_started_at":"2024-08-30T23:07:38.242730+00:00","run_ended_at":"2024-08-30T23:07:38.342730+00:00","webhook_sent_at":"2024-08-30T23:07:38.352730+00:00","metadata":{},"multitask_strategy":"enqueue"}`, i)
	return sender.Attempt{
		DeliveryID: fmt.Sprintf("d-%08d", i), RunID: fmt.Sprintf("r-%08d", i), Attempt: 1, Method: "POST",
		URL: "http://127.0.0.1:8080/hooks/langgraph?token=abcd",
		RequestHeaders: []sender.Header{
			{Name: "Content-Type", Value: "application/json"},
			{Name: "User-Agent", Value: "hooklab/0.1.0"},
			{Name: "Authorization", Value: "Bear…"},
		},
		RequestBody:     json.RawMessage(body),
		Status:          200,
		ResponseHeaders: []sender.Header{{Name: "Content-Length", Value: "2"}},
		ResponseBody:    "ok",
		Timing:          sender.Timing{DialMS: 0.2, FirstByteMS: 1.1, TotalMS: 1.3},
		StartedAt:       time.Date(2024, 8, 30, 23, 7, 38, 0, time.UTC),
	}
}

func benchDelivery(i int) sender.Delivery {
	a := attemptPayload(i)
	now := time.Now()
	return sender.Delivery{
		ID: a.DeliveryID, RunID: a.RunID, URL: a.URL, Outcome: sender.OutcomeDelivered, Attempts: 1, Status: 200,
		Headers: a.RequestHeaders, Body: a.RequestBody, AttemptLog: []sender.Attempt{a},
		CreatedAt: now, UpdatedAt: now,
	}
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	return mustOpen(b, filepath.Join(b.TempDir(), "bench.db"), Options{Publish: func(hub.Event) {}})
}

// BenchmarkAppend measures events/s through Append and the writer with
// ~1 KB payloads (including the marshalling on the callers' goroutines),
// from parallel callers as the server has them.
func BenchmarkAppend(b *testing.B) {
	s := benchStore(b)
	p, _ := json.Marshal(attemptPayload(1))
	b.SetBytes(int64(len(p)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Append(hub.KindAttempt, attemptPayload(i))
			i++
		}
	})
	mustFlush(b, s)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N)/float64(max(1, s.Stats().Batches)), "events/batch")
}

// BenchmarkPutDelivery measures delivery upserts/s (distinct ids, ~1.5 KB each).
func BenchmarkPutDelivery(b *testing.B) {
	s := benchStore(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.PutDelivery(benchDelivery(i))
			i++
		}
	})
	mustFlush(b, s)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkRunWorkload is one run's worth of writes per iteration, as the
// server makes them: 7 events (request, decision, 2 run status changes,
// attempt, delivery, sink), 3 object upserts (thread, run twice) and 2
// delivery upserts (pending, delivered).
func BenchmarkRunWorkload(b *testing.B) {
	s := benchStore(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			id := strconv.Itoa(i) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			obj := json.RawMessage(`{"run_id":"` + id + `","thread_id":"t` + id + `","status":"pending","metadata":{}}`)
			s.Append(hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/threads/t/runs", Status: 200, DurationMS: 0.4, RunID: id})
			s.Put(Threads, Record{ID: "t" + id, Data: obj})
			s.Put(Runs, Record{ID: id, Parent: "t" + id, Data: obj})
			s.Append(hub.KindDecision, sender.DecisionInfo{Stage: "create", RunID: id})
			s.Append(hub.KindRun, hub.RunInfo{RunID: id, Status: "running"})
			s.Append(hub.KindRun, hub.RunInfo{RunID: id, Status: "success"})
			s.Put(Runs, Record{ID: id, Parent: "t" + id, Data: obj})
			d := benchDelivery(i)
			d.ID, d.Outcome = id, sender.OutcomePending
			s.PutDelivery(d)
			s.Append(hub.KindAttempt, attemptPayload(i))
			d.Outcome = sender.OutcomeDelivered
			s.PutDelivery(d)
			s.Append(hub.KindDelivery, d.Info())
			s.Append(hub.KindSink, hub.SinkInfo{Name: "x", Method: "POST", Path: "/hooklab/sink/x", Status: 200})
			i++
		}
	})
	mustFlush(b, s)
	b.StopTimer()
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)/sec, "runs/s")
	b.ReportMetric(float64(b.N*12)/sec, "writes/s")
}

// BenchmarkMemory appends events with ~1 KB payloads and reports the Go
// heap in use and the process RSS afterwards, to show that nothing keeps
// events after commit. Sub-benchmarks: 100k and (with -benchtime=1x) 1M.
func BenchmarkMemory(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			if n > 100_000 && testing.Short() {
				b.Skip("short")
			}
			for range b.N {
				s := benchStore(b)
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for i := range n {
					s.Append(hub.KindAttempt, attemptPayload(i))
				}
				mustFlush(b, s)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(int64(after.HeapInuse)-int64(before.HeapInuse)), "heap-growth-bytes")
				b.ReportMetric(float64(after.HeapInuse), "heap-inuse-bytes")
				b.ReportMetric(float64(rssBytes()), "rss-bytes")
				s.Close()
			}
		})
	}
}

// TestHeapBounded: after 100k events the Go heap must not hold them (100k
// 1 KB payloads would be ~100 MB). Memory figures themselves are reported
// by BenchmarkMemory.
func TestHeapBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	s := mustOpen(t, "", Options{})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range 100_000 {
		s.Append(hub.KindAttempt, attemptPayload(i))
	}
	mustFlush(t, s)
	runtime.GC()
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap growth after 100k events: %d bytes", growth)
	if growth > 20<<20 {
		t.Fatalf("heap grew %d bytes over 100k events; something keeps them", growth)
	}
	if evs, _ := s.Events(context.Background(), Query{Newest: true, Limit: 1}); len(evs) != 1 || evs[0].Seq != 100_000 {
		t.Fatalf("last event = %+v", evs)
	}
}

// rssBytes is this process's resident set size (Linux), 0 if unknown.
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
