package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chromiumPath is Debian's Chromium, which .ci/run installs when missing.
// Without it the browser test cannot run: it says so loudly and skips.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("HOOKLAB_CHROMIUM"), "/usr/bin/chromium"} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "Chromium is not installed at /usr/bin/chromium, so the real-browser CORS test did NOT run; " +
		"install Debian's package chromium (apt-get install chromium; .ci/run does it) and run it again"
	fmt.Fprintf(os.Stderr, "\n%s\nSKIPPED: %s\n%s\n\n", strings.Repeat("!", 72), msg, strings.Repeat("!", 72))
	t.Skip(msg)
	return ""
}

// ensureNPM installs the pinned npm project in dir when probe is missing.
func ensureNPM(t *testing.T, dir, probe string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", probe, "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
}

// browserResults is what page.html reports.
type browserResults struct {
	Thread struct {
		Status int `json:"status"`
		Body   struct {
			ThreadID string `json:"thread_id"`
		} `json:"body"`
		Error string `json:"error"`
	} `json:"thread"`
	Stream struct {
		Status          int      `json:"status"`
		ContentType     string   `json:"contentType"`
		ContentLocation string   `json:"contentLocation"`
		Events          []string `json:"events"`
		Echoed          bool     `json:"echoed"`
		Error           string   `json:"error"`
	} `json:"stream"`
	ConfigPut    map[string]any `json:"configPut"`
	HistoryRead  map[string]any `json:"historyRead"`
	ReplayNoCors map[string]any `json:"replayNoCors"`
	Console      []string       `json:"console"`
	UserAgent    string         `json:"userAgent"`
}

// TestBrowserCrossOrigin: headless Chromium loads a page from another
// loopback origin. Its fetch creates a thread and streams a run through
// the built hooklab (CORS lets it), and its attempts on hooklab's own API
// fail, with the config, langgraph.json and the deliveries unchanged.
func TestBrowserCrossOrigin(t *testing.T) {
	chromium := chromiumPath(t)
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not installed: the browser test drives Chromium with playwright-core (Node.js 20+ and npm)")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "browser"))
	ensureNPM(t, dir, "playwright-core")

	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "langgraph.json")
	if err := os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./agent.py:graph"},
  "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startHooklab(t, nil, "--config", cfg, "--store", filepath.Join(tmp, "h.db"))
	postJSON(t, p.URL+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": "/hooklab/sink/browser"})
	deliveryID := waitDeliveryID(t, p.URL)
	configBefore, fileBefore, deliveriesBefore := get(t, p.URL+"/hooklab/config"), readFile(t, cfg), get(t, p.URL+"/hooklab/deliveries")

	page, err := os.ReadFile(filepath.Join(dir, "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(site.Close)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "browser.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium,
		"PAGE_URL="+site.URL+"/?api="+p.URL+"&delivery="+deliveryID)
	// Node and the Chromium it starts share a process group, stopped as one.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	t.Logf("browser run took %v", time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("browser driver: %v\nstdout %s\nstderr %s\nhooklab stderr %s", err, stdout.String(), stderr.String(), p.stderrText())
	}
	var res browserResults
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("browser results: %v\n%s", err, stdout.String())
	}
	t.Logf("%s; console: %q", res.UserAgent, res.Console)

	// The frontend's part worked.
	if res.Thread.Status != 200 || res.Thread.Body.ThreadID == "" {
		t.Errorf("POST /threads from the page: %+v", res.Thread)
	}
	s := res.Stream
	if s.Status != 200 || !strings.HasPrefix(s.ContentType, "text/event-stream") || !s.Echoed ||
		!strings.Contains(strings.Join(s.Events, ","), "values") {
		t.Errorf("streaming a run from the page: %+v", s)
	}
	if !strings.Contains(s.ContentLocation, "/threads/"+res.Thread.Body.ThreadID+"/runs/") {
		t.Errorf("the page cannot read Content-Location: %q", s.ContentLocation)
	}

	// The hostile part failed: a fetch the browser blocks rejects with a
	// TypeError; no status reaches the page.
	for name, r := range map[string]map[string]any{"PUT /hooklab/config": res.ConfigPut, "GET /hooklab/history": res.HistoryRead} {
		if e, _ := r["error"].(string); !strings.Contains(e, "TypeError") {
			t.Errorf("%s from the page was not blocked: %v", name, r)
		}
	}
	if res.ReplayNoCors["type"] != "opaque" {
		t.Errorf("no-cors replay: %v (want an opaque answer the page cannot read)", res.ReplayNoCors)
	}
	if got := get(t, p.URL+"/hooklab/config"); !bytes.Equal(got, configBefore) {
		t.Errorf("the config in force changed:\n%s\nwas\n%s", got, configBefore)
	}
	if got := readFile(t, cfg); !bytes.Equal(got, fileBefore) {
		t.Errorf("langgraph.json changed:\n%s", got)
	}
	if got := get(t, p.URL+"/hooklab/deliveries"); !bytes.Equal(got, deliveriesBefore) {
		t.Errorf("the deliveries changed (the no-cors replay got through):\n%s", got)
	}
	// hooklab saw the page's LangGraph calls (they are in the history).
	if h := get(t, p.URL+"/hooklab/history?since=0&kind=request"); !bytes.Contains(h, []byte(res.Thread.Body.ThreadID+"/runs/stream")) {
		t.Errorf("the stream request is not in the history")
	}
}

func get(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitDeliveryID returns the id of the first delivery once it is final.
func waitDeliveryID(t *testing.T, base string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		var ds []struct {
			ID      string `json:"id"`
			Outcome string `json:"outcome"`
		}
		if json.Unmarshal(get(t, base+"/hooklab/deliveries"), &ds) == nil && len(ds) > 0 && ds[0].Outcome != "pending" {
			return ds[0].ID
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no delivery reached an outcome")
	return ""
}
