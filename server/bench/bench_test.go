package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// mustLocal starts an in-process hooklab with its store in a test dir.
func mustLocal(tb testing.TB, dir string) *Local {
	tb.Helper()
	l, err := StartLocal(dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Close(ctx); err != nil {
			tb.Errorf("closing the in-process hooklab: %v", err)
		}
	})
	return l
}

// command runs Command with a bound on its own running time.
func command(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code = Command(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func decodeResult(t *testing.T, stdout string) Result {
	t.Helper()
	var r Result
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
	for name, l := range map[string]*Latency{"create_to_webhook": r.CreateToWebhook, "run_end_to_webhook": r.RunEndToWebhook} {
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
	for _, mode := range []Mode{ModeCreate, ModeWait, ModeStream, ModeThread} {
		t.Run(string(mode), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := Run(ctx, Options{URL: l.URL, Runs: 60, Concurrency: 4, Mode: mode, Duration: 20 * time.Second})
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

// fakeServer is a minimal LangGraph-compatible server: POST /runs answers
// a run and sends its webhook `copies` times (0: never).
func fakeServer(t *testing.T, copies int) *httptest.Server {
	var n atomic.Int64
	hooks := &http.Client{Timeout: 5 * time.Second}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Webhook string `json:"webhook"`
		}
		if r.Method != http.MethodPost || r.URL.Path != "/runs" || json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, `{"detail":"not found"}`, http.StatusNotFound)
			return
		}
		id := fmt.Sprintf("run-%d", n.Add(1))
		fmt.Fprintf(w, `{"run_id":%q,"status":"pending"}`, id)
		payload := fmt.Sprintf(`{"run_id":%q,"status":"success","run_ended_at":%q}`, id, time.Now().UTC().Format(time.RFC3339Nano))
		for range copies {
			resp, err := hooks.Post(body.Webhook, "application/json", strings.NewReader(payload))
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestMissingAndDuplicatedWebhooks(t *testing.T) {
	for _, tc := range []struct {
		name               string
		copies             int
		missing, duplicate int
	}{
		{"never sent", 0, 5, 0},
		{"sent twice", 2, 0, 5},
		{"sent once", 1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeServer(t, tc.copies)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			r, err := Run(ctx, Options{URL: srv.URL, Runs: 5, Concurrency: 2, RunTimeout: 200 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if *r.Missing != tc.missing || *r.Duplicated != tc.duplicate {
				t.Errorf("missing %d duplicated %d; want %d, %d", *r.Missing, *r.Duplicated, tc.missing, tc.duplicate)
			}
			if want := tc.missing == 0 && tc.duplicate == 0; r.OK() != want {
				t.Errorf("OK() = %v, want %v", r.OK(), want)
			}
		})
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

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := summarise(ds)
	if l.N != 100 || l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 {
		t.Errorf("summarise(1..100 ms) = %+v", l)
	}
	if one := summarise([]time.Duration{7 * time.Millisecond}); one.P50 != 7 || one.P99 != 7 {
		t.Errorf("summarise(7 ms) = %+v", one)
	}
	if summarise(nil) != nil {
		t.Error("summarise(nil) should be nil")
	}
}

// TestRatePacesStarts: with --rate the achieved rate stays at the request
// (the in-process hooklab is far faster than 400 runs/s).
func TestRatePacesStarts(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Command(context.Background(), []string{"--runs", "200", "--rate", "400", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r struct {
		RunsPerS float64 `json:"runs_per_s"`
		Rate     float64 `json:"rate"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if r.Rate != 400 || r.RunsPerS > 440 {
		t.Fatalf("rate %v, achieved %.0f runs/s: not paced", r.Rate, r.RunsPerS)
	}
}
