package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// The real JS dev server (npm packages pinned in testdata/js/package.json)
// is installed on first use and started once for the tests that share it;
// tests that stop or restart it start their own.

var (
	installOnce sync.Once
	installErr  error
	sharedOnce  sync.Once
	shared      *jsServer
	sharedErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.child.Stop()
		os.RemoveAll(shared.Dir)
	}
	os.Exit(code)
}

func skipWithoutNode(t testing.TB) {
	t.Helper()
	if os.Getenv("HOOKLAB_SKIP_SDK") == "1" {
		t.Skip("HOOKLAB_SKIP_SDK=1")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: the upstream tests run the real LangGraph JS dev server (Node.js 20 and npm), or set HOOKLAB_SKIP_SDK=1")
	}
}

func jsDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "js"))
	if err != nil {
		t.Fatal(err)
	}
	installOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", "@langchain", "langgraph-cli", "package.json")); err == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		// A plain install of the exact versions: a lock file's optional
		// platform entries fail to install here.
		cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--no-package-lock")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			installErr = errors.New("npm install in " + dir + ": " + err.Error() + "\n" + string(out))
		}
	})
	if installErr != nil {
		t.Fatal(installErr)
	}
	return dir
}

// jsServer is one real JS dev server on a loopback port.
type jsServer struct {
	URL   string
	Dir   string // its working directory: graph.mjs and langgraph.json copies
	Port  int
	child *Child
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// launchJS starts a JS dev server in a fresh directory; the caller stops it.
func launchJS(t testing.TB, port int, dir string) (*jsServer, error) {
	js := jsDir(t)
	if dir == "" {
		dir = t.TempDir()
		for _, f := range []string{"graph.mjs", "langgraph.json"} {
			b, err := os.ReadFile(filepath.Join(js, f))
			if err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
				return nil, err
			}
		}
		if err := os.Symlink(filepath.Join(js, "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
			return nil, err
		}
	}
	cli := filepath.Join(js, "node_modules", "@langchain", "langgraph-cli", "dist", "cli", "cli.mjs")
	var logMu sync.Mutex
	var log []string
	c, err := StartChild(ChildOptions{
		Argv: []string{"node", cli, "dev", "--port", strconv.Itoa(port), "--host", "127.0.0.1", "--no-browser", "--config", "langgraph.json"},
		Dir:  dir,
		OnLine: func(l string) {
			logMu.Lock()
			log = append(log, l)
			logMu.Unlock()
		},
	})
	if err != nil {
		return nil, err
	}
	s := &jsServer{URL: "http://127.0.0.1:" + strconv.Itoa(port), Dir: dir, Port: port, child: c}
	if err := waitOK(s.URL, 60*time.Second); err != nil {
		c.Stop()
		logMu.Lock()
		defer logMu.Unlock()
		return nil, errors.New(err.Error() + "\n" + strings.Join(log, "\n"))
	}
	return s, nil
}

func waitOK(base string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(base + "/ok")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New(base + "/ok never answered")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startJS starts a JS dev server of the test's own.
func startJS(t testing.TB) *jsServer {
	t.Helper()
	skipWithoutNode(t)
	s, err := launchJS(t, freePort(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.child.Stop() })
	return s
}

// sharedJSServer is the JS dev server most tests share.
func sharedJSServer(t testing.TB) *jsServer {
	t.Helper()
	skipWithoutNode(t)
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hooklab-upstream-js-")
		if err != nil {
			sharedErr = err
			return
		}
		js := jsDir(t)
		for _, f := range []string{"graph.mjs", "langgraph.json"} {
			b, _ := os.ReadFile(filepath.Join(js, f))
			os.WriteFile(filepath.Join(dir, f), b, 0o644)
		}
		os.Symlink(filepath.Join(js, "node_modules"), filepath.Join(dir, "node_modules"))
		shared, sharedErr = launchJS(t, freePort(t), dir)
	})
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// loopbackOnly resolves nothing: tests never look up a name.
type loopbackOnly struct{}

func (loopbackOnly) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if host == "localhost" {
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	return nil, errors.New("tests resolve no names but localhost: " + host)
}

// rig is hooklab's side: a real store, hub and sender, and the upstream
// handler on a loopback HTTP server, with a loopback webhook receiver.
type rig struct {
	URL   string // where clients point
	up    *Upstream
	store *store.Store
	hub   *hub.Hub
	snd   *sender.Sender
	recv  *receiver
	rt    *config.Runtime
}

// strictConfig is langgraph.json with the platform's default URL policy:
// loopback addresses refused.
const strictConfig = `{"graphs": {"agent": "./graph.mjs:graph"}}`

// loadRuntime resolves the config at path ("": strictConfig).
func loadRuntime(t testing.TB, path string) *config.Runtime {
	t.Helper()
	var f *config.File
	var err error
	if path == "" {
		f, err = config.Parse("langgraph.json", []byte(strictConfig))
	} else {
		f, err = config.Load(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	rt, err := config.Resolve(f, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func newRig(t testing.TB, upstreamURL string, rt *config.Runtime, opts ...func(*Options)) *rig {
	t.Helper()
	if rt == nil {
		rt = loadRuntime(t, filepath.Join("testdata", "js", "langgraph.json"))
	}
	h := hub.New()
	st, err := store.Open(filepath.Join(t.TempDir(), "hooklab.db"), store.Options{Publish: h.Publish})
	if err != nil {
		t.Fatal(err)
	}
	snd := sender.New(sender.Options{Recorder: st, Runtime: func() *config.Runtime { return rt }, Resolver: loopbackOnly{},
		Version: "test", Backoff: func(int) time.Duration { return 20 * time.Millisecond }})
	ctx, cancel := context.WithCancel(context.Background())
	snd.Start(ctx)
	o := Options{
		URL: upstreamURL, Sender: snd, Recorder: st, Journal: st, // as hooklab over a store file
		CheckWebhook: func(r *http.Request, webhook string) error {
			if d := rt.CheckURL(r.Context(), webhook, loopbackOnly{}); !d.Allowed {
				return errors.New(d.Message)
			}
			return nil
		},
	}
	for _, fn := range opts {
		fn(&o)
	}
	up, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(up)
	rg := &rig{URL: srv.URL, up: up, store: st, hub: h, snd: snd, recv: newReceiver(t), rt: rt}
	t.Cleanup(func() {
		srv.Close()
		up.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		snd.Close(sctx)
		cancel()
		st.Close()
		h.Close()
	})
	return rg
}

// hookReq is one webhook POST the receiver got.
type hookReq struct {
	Path        string
	ContentType string
	Raw         []byte
	Body        map[string]any
	At          time.Time
}

// receiver is a loopback webhook receiver; paths containing "fail500"
// answer 500.
type receiver struct {
	URL  string
	mu   sync.Mutex
	all  []hookReq
	note chan struct{}
}

func newReceiver(t testing.TB) *receiver {
	rc := &receiver{note: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		rc.mu.Lock()
		rc.all = append(rc.all, hookReq{Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Raw: b, Body: body, At: at})
		rc.mu.Unlock()
		select {
		case rc.note <- struct{}{}:
		default:
		}
		if strings.Contains(r.URL.Path, "fail500") {
			w.WriteHeader(500)
			return
		}
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

func (rc *receiver) forRun(runID string) []hookReq {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []hookReq
	for _, h := range rc.all {
		if h.Body["run_id"] == runID {
			out = append(out, h)
		}
	}
	return out
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.all)
}

// waitRun waits until runID has at least n webhooks (bounded).
func (rc *receiver) waitRun(t testing.TB, runID string, n int, limit time.Duration) []hookReq {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if hs := rc.forRun(runID); len(hs) >= n {
			return hs
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s: %d webhooks after %s, want %d", runID, len(rc.forRun(runID)), limit, n)
		}
		select {
		case <-rc.note:
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// post sends a JSON request and returns status, body and headers.
func post(t testing.TB, url string, body string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

func get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func decodeMap(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, b)
	}
	return m
}

func deliveriesFor(runID string) store.DeliveryQuery { return store.DeliveryQuery{RunID: runID} }
