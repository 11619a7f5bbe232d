package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
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

type startOpt func(*Options, *sender.Options)

func withRuntime(rt *config.Runtime) startOpt {
	return func(o *Options, _ *sender.Options) { o.Runtime = rt }
}

func withRunTimeout(d time.Duration) startOpt {
	return func(o *Options, _ *sender.Options) { o.RunTimeout = d }
}

func withMaxBody(n int64) startOpt {
	return func(o *Options, _ *sender.Options) { o.MaxBody = n }
}

func withBackoff(fn func(int) time.Duration) startOpt {
	return func(_ *Options, so *sender.Options) { so.Backoff = fn }
}

func mustRuntime(t testing.TB, f *config.File, env map[string]string) *config.Runtime {
	t.Helper()
	rt, err := config.Resolve(f, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatalf("resolve config: %v", err)
	}
	return rt
}

// mustStart runs a real server and registers its shutdown.
func mustStart(t testing.TB, opts ...startOpt) *testServer {
	t.Helper()
	h := hub.New()
	st, err := store.Open(filepath.Join(t.TempDir(), "hooklab.db"), store.Options{Publish: h.Publish})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	o := Options{Store: st, Hub: h, Runtime: mustRuntime(t, config.Default(), nil), Version: "test", Heartbeat: 200 * time.Millisecond}
	so := sender.Options{Recorder: st, Version: "test", Backoff: func(int) time.Duration { return 10 * time.Millisecond }}
	for _, fn := range opts {
		fn(&o, &so)
	}
	var srv *Server
	so.Runtime = func() *config.Runtime { return srv.Runtime() }
	snd := sender.New(so)
	o.Sender = snd
	srv, err = New(o)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	snd.SetLocal(srv.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpSrv := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go httpSrv.Serve(ln)
	ctx, cancel := context.WithCancel(context.Background())
	snd.Start(ctx)
	srv.Start()
	ts := &testServer{URL: "http://" + ln.Addr().String(), Srv: srv, Store: st, Hub: h}
	t.Cleanup(func() {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		httpSrv.Shutdown(sctx)
		srv.Close(sctx)
		snd.Close(sctx)
		cancel()
		st.Close()
		h.Close()
	})
	ts.waitReady(t)
	return ts
}

func (ts *testServer) waitReady(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(ts.URL + "/hooklab/healthz"); err == nil {
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
		h.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, method, path, nil))
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
