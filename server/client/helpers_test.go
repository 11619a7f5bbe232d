package client

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// pollFor bounds every wait in these tests.
const pollFor = 10 * time.Second

// secret is the value LG_WEBHOOK_TOKEN resolves to in the tests that
// template it; it must never appear in any output.
const secret = "s3cr3t-Token-Value-42"

// lab is a real hooklab running in the test process on 127.0.0.1.
type lab struct {
	URL, Addr, Path string
	St              *store.Store
	Hub             *hub.Hub
	Srv             *server.Server
	Snd             *sender.Sender
	hs              *httptest.Server
	once            sync.Once
	mu              sync.Mutex
	paths           []string // every request path served over HTTP
}

// served reports whether a request for path came in over HTTP.
func (l *lab) served(path string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.paths, path)
}

// startLab runs hooklab on a store at path with the config f, the way
// main.go wires it, and closes it when the test ends.
func startLab(t *testing.T, path string, f *config.File, getenv func(string) (string, bool)) *lab {
	t.Helper()
	rt, err := config.Resolve(f, getenv)
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New()
	st, err := store.Open(path, store.Options{Publish: h.Publish})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var srv *server.Server
	snd := sender.New(sender.Options{Recorder: st, Runtime: func() *config.Runtime { return srv.Runtime() },
		Version: "test", Backoff: func(int) time.Duration { return 10 * time.Millisecond }})
	srv, err = server.New(server.Options{Store: st, Hub: h, Sender: snd, Runtime: rt, LookupEnv: getenv,
		Version: "test", Addr: ln.Addr().String()})
	if err != nil {
		t.Fatal(err)
	}
	snd.SetLocal(srv.Handler())
	l := &lab{Addr: ln.Addr().String(), Path: path, St: st, Hub: h, Srv: srv, Snd: snd}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.paths = append(l.paths, r.URL.Path)
		l.mu.Unlock()
		srv.Handler().ServeHTTP(w, r)
	}))
	hs.Listener.Close()
	hs.Listener = ln
	hs.Start()
	srv.Start()
	snd.Start(context.Background())
	l.URL, l.hs = hs.URL, hs
	t.Cleanup(l.Close)
	return l
}

// Close stops the hooklab and releases its store, as a clean shutdown does.
func (l *lab) Close() {
	l.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		l.hs.Close()
		l.Srv.Close(ctx)
		l.Snd.Close(ctx)
		l.St.Close()
		l.Hub.Close()
	})
}

// run creates a stateless run with a webhook and returns its id.
func (l *lab) run(t *testing.T, webhook string) string {
	t.Helper()
	var r struct {
		RunID string `json:"run_id"`
	}
	postJSON(t, l.URL+"/runs", map[string]any{"assistant_id": "agent", "webhook": webhook}, &r)
	if r.RunID == "" {
		t.Fatal("POST /runs returned no run_id")
	}
	return r.RunID
}

// delivered waits until the run's delivery has an outcome.
func (l *lab) delivered(t *testing.T, runID string) sender.Delivery {
	t.Helper()
	deadline := time.Now().Add(pollFor)
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
	t.Fatalf("no delivery outcome for run %s within %s", runID, pollFor)
	return sender.Delivery{}
}

func postJSON(t *testing.T, url string, in, out any) {
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

// received is one request a receiver got.
type received struct {
	Path   string
	Header http.Header
	Body   []byte
}

// receiver is a webhook endpoint that records what it gets.
type receiver struct {
	URL    string
	mu     sync.Mutex
	reqs   []received
	status int
}

func newReceiver(t *testing.T, status int) *receiver {
	t.Helper()
	r := &receiver{status: status}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.reqs = append(r.reqs, received{Path: req.URL.RequestURI(), Header: req.Header.Clone(), Body: b})
		r.mu.Unlock()
		w.WriteHeader(r.status)
	}))
	t.Cleanup(hs.Close)
	r.URL = hs.URL
	return r
}

// wait returns the first n requests once they have arrived.
func (r *receiver) wait(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.Now().Add(pollFor)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		got := append([]received(nil), r.reqs...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("receiver got fewer than %d requests within %s", n, pollFor)
	return nil
}

// withoutSentAt decodes a webhook body and drops webhook_sent_at, the one
// key a replay changes.
func withoutSentAt(t *testing.T, b []byte) map[string]any {
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

// secretEnv is a getenv that knows only LG_WEBHOOK_TOKEN.
func secretEnv(k string) (string, bool) {
	if k == "LG_WEBHOOK_TOKEN" {
		return secret, true
	}
	return "", false
}

func noEnv(string) (string, bool) { return "", false }

// secretConfig writes a langgraph.json whose Authorization header is templated.
func secretConfig(t *testing.T) (string, *config.File) {
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

// proxy forwards TCP to a target and can cut every connection, so tests
// can break the websocket feed the way a network would.
type proxy struct {
	Addr   string
	ln     net.Listener
	mu     sync.Mutex
	conns  []net.Conn
	target string
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{Addr: ln.Addr().String(), ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			to := p.target
			p.mu.Unlock()
			u, err := net.Dial("tcp", to)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, u)
			p.mu.Unlock()
			go func() { io.Copy(u, c); u.Close() }()
			go func() { io.Copy(c, u); c.Close() }()
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

// switchTo sends new connections to target.
func (p *proxy) switchTo(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// cut closes every connection made so far.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
