// Package servertest runs real hooklabs and webhook receivers on loopback
// for the tests of the packages around the server: the client, the CLI
// and the end-to-end tests. A Lab is assembled by server.Open, as `hooklab
// dev` is, over a file store; everything it starts stops at the test's
// cleanup.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// PollFor bounds every wait of these helpers.
const PollFor = 10 * time.Second

// Secret is the value LG_WEBHOOK_TOKEN resolves to with SecretEnv; a test
// checks that it never appears in any output.
const Secret = "s3cr3t-Token-Value-42"

// Lab is a real hooklab running in the test process on 127.0.0.1.
type Lab struct {
	*server.App
	URL, Addr, Path string
	St              *store.Store
	Hub             *hub.Hub
	Srv             *server.Server
	once            sync.Once
	mu              sync.Mutex
	paths           []string // every request path served over HTTP
}

// StartLab runs hooklab on a store at path with the config f, and closes
// it when the test ends. Retries wait 10 ms.
func StartLab(t testing.TB, path string, f *config.File, getenv func(string) (string, bool)) *Lab {
	t.Helper()
	return StartLabWith(t, path, f, getenv, nil)
}

// StartLabWith is StartLab with the server.Config edited by edit (nil:
// as it is), for a token or allowed hosts.
func StartLabWith(t testing.TB, path string, f *config.File, getenv func(string) (string, bool), edit func(*server.Config)) *Lab {
	t.Helper()
	rt, err := config.Resolve(f, getenv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		Runtime: rt, LookupEnv: getenv, Addr: "127.0.0.1:0", StorePath: path, Version: "test",
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
	}
	if edit != nil {
		edit(&cfg)
	}
	app, err := server.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := &Lab{App: app, URL: app.URL, Addr: app.Addr, Path: path, St: app.Store, Hub: app.Hub, Srv: app.Server}
	next := app.Handler
	app.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.paths = append(l.paths, r.URL.Path)
		l.mu.Unlock()
		next.ServeHTTP(w, r)
	})
	if err := app.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// Served reports whether a request for path came in over HTTP.
func (l *Lab) Served(path string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.paths, path)
}

// Close stops the hooklab and releases its store, as a clean shutdown does.
func (l *Lab) Close() {
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.App.Close(ctx)
	})
}

// Run creates a stateless run with a webhook and returns its id.
func (l *Lab) Run(t testing.TB, webhook string) string {
	t.Helper()
	var r struct {
		RunID string `json:"run_id"`
	}
	PostJSON(t, l.URL+"/runs", map[string]any{"assistant_id": "agent", "webhook": webhook}, &r)
	if r.RunID == "" {
		t.Fatal("POST /runs returned no run_id")
	}
	return r.RunID
}

// Delivered waits until the run's delivery has an outcome.
func (l *Lab) Delivered(t testing.TB, runID string) sender.Delivery {
	t.Helper()
	deadline := time.Now().Add(PollFor)
	for time.Now().Before(deadline) {
		ds, err := l.St.Deliveries(context.Background(), store.DeliveryQuery{RunID: runID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) > 0 && ds[0].Outcome != sender.OutcomePending {
			return ds[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("no delivery outcome for run %s within %s", runID, PollFor)
	return sender.Delivery{}
}

// PostJSON posts in as JSON, fails on a non-2xx answer, and decodes the
// answer into out unless it is nil.
func PostJSON(t testing.TB, url string, in, out any) {
	t.Helper()
	b, _ := json.Marshal(in)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("POST %s: %v in %s", url, err, body)
		}
	}
}

// Received is one request a Receiver got.
type Received struct {
	Path   string
	Header http.Header
	Body   []byte
}

// Receiver is a webhook endpoint that records what it gets.
type Receiver struct {
	URL    string
	mu     sync.Mutex
	reqs   []Received
	status int
}

// NewReceiver starts a receiver answering status to everything.
func NewReceiver(t testing.TB, status int) *Receiver {
	t.Helper()
	r := &Receiver{status: status}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, Received{Path: req.URL.RequestURI(), Header: req.Header.Clone(), Body: b})
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(hs.Close)
	r.URL = hs.URL
	return r
}

// Wait returns the first n requests once they have arrived.
func (r *Receiver) Wait(t testing.TB, n int) []Received {
	t.Helper()
	deadline := time.Now().Add(PollFor)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := append([]Received(nil), r.reqs...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("receiver got fewer than %d requests within %s", n, PollFor)
	return nil
}

// WithoutSentAt decodes a webhook body and drops webhook_sent_at, the one
// key a replay changes.
func WithoutSentAt(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, b)
	}
	if _, ok := m["webhook_sent_at"]; !ok {
		t.Fatalf("body has no webhook_sent_at: %s", b)
	}
	delete(m, "webhook_sent_at")
	return m
}

// SecretEnv is a getenv that knows only LG_WEBHOOK_TOKEN.
func SecretEnv(k string) (string, bool) {
	if k == "LG_WEBHOOK_TOKEN" {
		return Secret, true
	}
	return "", false
}

// NoEnv is a getenv that knows nothing.
func NoEnv(string) (string, bool) { return "", false }

// SecretConfig writes a langgraph.json whose Authorization header is
// templated, and loads it.
func SecretConfig(t testing.TB) (string, *config.File) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "langgraph.json")
	doc := `{"graphs": {"agent": "hooklab:echo"}, "webhooks": {"headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}, "url": {"require_https": false, "disable_loopback": false}}}`
	if err := os.WriteFile(p, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, f
}

// RunCurl runs a printed curl command in bash with LG_WEBHOOK_TOKEN set
// to token and checks that the receiver's nth request is the stored one.
func RunCurl(t testing.TB, command, token string, rcv *Receiver, nth int, wantBody []byte) {
	t.Helper()
	for _, bin := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Logf("not running the curl command: %s not found", bin)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), PollFor)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", "set -e\n"+command)
	cmd.Env = append(os.Environ(), "LG_WEBHOOK_TOKEN="+token, "http_proxy=", "HTTP_PROXY=", "no_proxy=*")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the printed command failed: %v\n%s\n%s", err, command, out)
	}
	got := rcv.Wait(t, nth)[nth-1]
	if string(got.Body) != strings.TrimSpace(string(wantBody)) {
		t.Errorf("curl sent %s, want %s", got.Body, wantBody)
	}
	if got.Header.Get("Authorization") != "Bearer "+token {
		t.Errorf("curl sent Authorization %q", got.Header.Get("Authorization"))
	}
	if got.Header.Get("Content-Type") != "application/json" {
		t.Errorf("curl sent Content-Type %q", got.Header.Get("Content-Type"))
	}
}
