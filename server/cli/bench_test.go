package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/bench"
	"hooklab/server/servertest"
)

// mustLocal starts an in-process hooklab with its store in dir (":memory:"
// for none), as the bench's own in-process target is.
func mustLocal(tb testing.TB, dir string) *servertest.Lab {
	tb.Helper()
	path := ":memory:"
	if dir != ":memory:" {
		path = filepath.Join(dir, "hooklab.db")
	}
	return startLab(tb, path, config.Default(), noEnv)
}

// command runs `hooklab bench` with a bound on its own running time.
func command(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return run(t, noEnv, nil, append([]string{"bench"}, args...)...)
}

func decodeResult(t *testing.T, stdout string) bench.Result {
	t.Helper()
	var r bench.Result
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
	}
	return r
}

func TestCommandInProcessJSON(t *testing.T) {
	code, out, errs := command(t, "--runs", "200", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s\nstdout:\n%s", code, errs, out)
	}
	r := decodeResult(t, out)
	if r.Runs != 200 || r.Created != 200 || r.StoppedBy != "runs" || !r.WebhooksMeasured {
		t.Errorf("runs %d created %d stopped by %q measured %v; want 200, 200, runs, true", r.Runs, r.Created, r.StoppedBy, r.WebhooksMeasured)
	}
	if r.Missing == nil || *r.Missing != 0 || r.Duplicated == nil || *r.Duplicated != 0 || *r.Webhooks != 200 {
		t.Errorf("missing %v duplicated %v webhooks %v; want 0, 0, 200", r.Missing, r.Duplicated, r.Webhooks)
	}
	if r.Statuses["success"] != 200 || r.Errors != 0 || r.Failed != 0 {
		t.Errorf("statuses %v errors %d failed %d", r.Statuses, r.Errors, r.Failed)
	}
	for name, l := range map[string]*bench.Latency{"create_to_webhook": r.CreateToWebhook, "run_end_to_webhook": r.RunEndToWebhook} {
		if l == nil || l.N != 200 || !(l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
			t.Errorf("%s = %+v; want 200 ordered samples", name, l)
		}
	}
	// The raw object carries the keys scripts read.
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	for _, k := range []string{"target", "mode", "runs", "concurrency", "duration_s", "runs_per_s", "webhooks_per_s", "missing", "duplicated", "errors", "create_to_webhook_ms", "run_end_to_webhook_ms"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("--json lacks %q", k)
		}
	}
}

func TestModes(t *testing.T) {
	l := mustLocal(t, t.TempDir())
	for _, mode := range []bench.Mode{bench.ModeCreate, bench.ModeWait, bench.ModeStream, bench.ModeThread} {
		t.Run(string(mode), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := bench.Run(ctx, bench.Options{URL: l.URL, Runs: 60, Concurrency: 4, Mode: mode, Duration: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() || r.Runs != 60 || *r.Missing != 0 {
				t.Errorf("runs %d missing %d errors %d (%s) failed %d statuses %v", r.Runs, *r.Missing, r.Errors, r.FirstError, r.Failed, r.Statuses)
			}
		})
	}
}

func TestDurationIsAHardStop(t *testing.T) {
	l := mustLocal(t, t.TempDir())
	done := make(chan struct{})
	var code int
	var out, errs string
	go func() {
		defer close(done)
		code, out, errs = command(t, "--url", l.URL, "--runs", "100000000", "--duration", "300ms", "--json")
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the bench ran on long past --duration 300ms")
	}
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errs)
	}
	r := decodeResult(t, out)
	if r.StoppedBy != "duration" || r.Runs >= r.Requested {
		t.Errorf("stopped by %q after %d of %d runs; want duration", r.StoppedBy, r.Runs, r.Requested)
	}
}

func TestExternalWebhookIsNotMeasured(t *testing.T) {
	l := mustLocal(t, t.TempDir())
	var got atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got.Add(1) }))
	defer rcv.Close()
	code, out, errs := command(t, "--url", l.URL, "--webhook", rcv.URL+"/mine", "--runs", "30", "--concurrency", "3", "--json")
	if code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errs)
	}
	r := decodeResult(t, out)
	if r.WebhooksMeasured || r.Missing != nil || r.CreateToWebhook != nil || r.Runs != 30 {
		t.Errorf("measured %v missing %v latency %v runs %d; want false, nil, nil, 30", r.WebhooksMeasured, r.Missing, r.CreateToWebhook, r.Runs)
	}
	if !strings.Contains(out, `"missing": null`) {
		t.Errorf("missing should be null in --json:\n%s", out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // polling a counter the server's sender drives
	}
	if got.Load() != 30 {
		t.Errorf("the user's receiver got %d webhooks, want 30", got.Load())
	}
}

func TestRequestErrorsFailTheBench(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"detail":"assistant not found"}`, http.StatusNotFound)
	}))
	defer srv.Close()
	code, out, _ := command(t, "--url", srv.URL, "--runs", "10", "--concurrency", "2")
	if code != 1 || !strings.Contains(out, "assistant not found") {
		t.Errorf("exit %d, want 1 with the server's detail in the summary:\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--mode", "batch"},
		{"--concurrency", "-1"},
		{"--url", "localhost:2024"},
		{"--webhook", "/relative"},
		{"--runs", "x"},
		{"extra"},
	} {
		if code, _, errs := command(t, args...); code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, code, errs)
		}
	}
}

// TestRatePacesStarts: with --rate the achieved rate stays at the request
// (the in-process hooklab is far faster than 400 runs/s).
func TestRatePacesStarts(t *testing.T) {
	code, out, errs := command(t, "--runs", "200", "--rate", "400", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r struct {
		RunsPerS float64 `json:"runs_per_s"`
		Rate     float64 `json:"rate"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Rate != 400 || r.RunsPerS > 440 {
		t.Fatalf("rate %v, achieved %.0f runs/s: not paced", r.Rate, r.RunsPerS)
	}
}

func TestPacedUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pace", "50", "--concurrency", "4"}, "--max-in-flight"},
		{[]string{"--pace", "50", "--rate", "50"}, "--rate"},
		{[]string{"--pace", "50", "--mode", "thread"}, "thread"},
		{[]string{"--pace", "-1"}, "--pace"},
		{[]string{"--pace", "50", "--max-in-flight", "-3"}, "--max-in-flight"},
		{[]string{"--settle", "2s"}, "--pid"},
		{[]string{"--pid", "-4"}, "--pid"},
		{[]string{"--pid", "2147483646", "--url", "http://127.0.0.1:9"}, "--pid"},
		{[]string{"--serve-ceiling", "0.0.0.0:0"}, "loopback"},
		{[]string{"--serve-ceiling", "127.0.0.1"}, "loopback"},
	} {
		code, _, errs := command(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", c.args, code, errs, c.want)
		}
	}
}
