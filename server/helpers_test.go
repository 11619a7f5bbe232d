package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// testServer is a real hooklab on 127.0.0.1:0 over a store in t.TempDir().
type testServer struct {
	URL   string
	Srv   *Server
	Store *store.Store
	Hub   *hub.Hub
}

type startOpt func(*Config)

func withRuntime(rt *config.Runtime) startOpt {
	return func(c *Config) { c.Runtime = rt }
}

func withRunTimeout(d time.Duration) startOpt {
	return func(c *Config) { c.RunTimeout = d }
}

func withMaxBody(n int64) startOpt {
	return func(c *Config) { c.MaxBody = n }
}

func withBackoff(fn func(int) time.Duration) startOpt {
	return func(c *Config) { c.Backoff = fn }
}

func withClock(now func() time.Time) startOpt {
	return func(c *Config) { c.Now = now }
}

// liveRuntime holds rt as the config in force.
func liveRuntime(rt *config.Runtime) *atomic.Pointer[config.Runtime] {
	p := new(atomic.Pointer[config.Runtime])
	p.Store(rt)
	return p
}

func mustRuntime(t testing.TB, f *config.File, env map[string]string) *config.Runtime {
	t.Helper()
	rt, err := config.Resolve(f, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("resolve config: %v", err)
	}
	return rt
}

// mustStart runs a real hooklab, assembled by Open, and registers its shutdown.
func mustStart(t testing.TB, opts ...startOpt) *testServer {
	t.Helper()
	cfg := Config{
		Runtime: mustRuntime(t, config.Default(), nil), Addr: "127.0.0.1:0",
		StorePath: filepath.Join(t.TempDir(), "hooklab.db"), Version: "test", Heartbeat: 200 * time.Millisecond,
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
	}
	for _, fn := range opts {
		fn(&cfg)
	}
	a, err := Open(cfg)
	if err != nil {
		t.Fatalf("open hooklab: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("start hooklab: %v", err)
	}
	ts := &testServer{URL: a.URL, Srv: a.Server, Store: a.Store, Hub: a.Hub}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		a.Close(sctx)
	})
	ts.waitReady(t)
	return ts
}

func (ts *testServer) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(ts.URL + "/ok"); err == nil { // /hooklab/ may need a token
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("server never became ready")
}

// do sends a request and returns the status and body.
func (ts *testServer) do(t testing.TB, method, path string, body any) (int, []byte, http.Header) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, resp.Header
}

// mustJSONDo sends a request, expects want and decodes the answer into v.
func (ts *testServer) mustDo(t testing.TB, method, path string, body any, want int, v any) {
	t.Helper()
	status, out, _ := ts.do(t, method, path, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

// waitDelivery polls the store until the run's delivery reaches a final outcome.
func (ts *testServer) waitDelivery(t testing.TB, runID string) sender.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ds, err := ts.Store.Deliveries(context.Background(), store.DeliveryQuery{RunID: runID})
		if err == nil && len(ds) > 0 && ds[0].Outcome != sender.OutcomePending {
			return ds[0]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no final delivery for run %s", runID)
	return sender.Delivery{}
}

// waitAnyDelivery returns the id of the first delivery to reach a final outcome.
func (ts *testServer) waitAnyDelivery(t testing.TB) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		ds, err := ts.Store.Deliveries(context.Background(), store.DeliveryQuery{})
		if err == nil && len(ds) > 0 && ds[0].Outcome != sender.OutcomePending {
			return ds[0].ID
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no delivery reached a final outcome")
	return ""
}

// newRecorderWithTimeout serves one request in-process, failing if the
// handler does not return within 5 s (a join that never ends, say).
func newRecorderWithTimeout(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() {
		req := httptest.NewRequestWithContext(ctx, method, path, nil)
		req.Host = "127.0.0.1" // httptest says example.com, which the Host guard refuses
		h.ServeHTTP(rec, req)
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		<-done
		t.Fatalf("%s %s did not answer within 5 s", method, path)
	}
	return rec
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
