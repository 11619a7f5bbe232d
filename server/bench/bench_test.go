package bench

import (
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
