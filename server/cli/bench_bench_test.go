package cli

import (
	"context"
	"testing"
	"time"

	"hooklab/server/bench"
)

// BenchmarkCreateToWebhook is the end-to-end hot path on loopback: b.N runs
// created with POST /runs across 16 lanes against an in-process hooklab
// with its history store on disk, each lane waiting for its run's webhook
// before creating the next. It reports runs/s and create-to-webhook
// percentiles.
func BenchmarkCreateToWebhook(b *testing.B) {
	benchCreateToWebhook(b, b.TempDir())
}

// BenchmarkCreateToWebhookMemoryStore is the same with an in-memory store:
// the difference to BenchmarkCreateToWebhook is what the disk costs.
func BenchmarkCreateToWebhookMemoryStore(b *testing.B) {
	benchCreateToWebhook(b, ":memory:")
}

func benchCreateToWebhook(b *testing.B, dir string) {
	l := mustLocal(b, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Warm the connection pools and the server outside the timing.
	if _, err := bench.Run(ctx, bench.Options{URL: l.URL, Runs: 64, Concurrency: 16}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	r, err := bench.Run(ctx, bench.Options{URL: l.URL, Runs: b.N, Concurrency: 16, Duration: 9 * time.Minute})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if !r.OK() || r.Runs != b.N {
		b.Fatalf("%d of %d runs; missing %d, duplicated %d, errors %d (%s), failed %d",
			r.Runs, b.N, *r.Missing, *r.Duplicated, r.Errors, r.FirstError, r.Failed)
	}
	b.ReportMetric(r.RunsPerS, "runs/s")
	b.ReportMetric(r.CreateToWebhook.P50, "p50-ms")
	b.ReportMetric(r.CreateToWebhook.P99, "p99-ms")
	b.ReportMetric(r.Request.P99, "req-p99-ms")
}
