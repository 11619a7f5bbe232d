// Package e2e tests the built hooklab binary as a user runs it: startup
// errors, signals, kill -9 at the worst moments, the official JS SDK, and
// the dashboard in a real terminal (tmux).
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// hooklabBinary builds the real binary once per test run.
func hooklabBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hooklab-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "hooklab")
		out, err := exec.Command("go", "build", "-o", binPath, "hooklab").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build hooklab: %v\n%s", buildErr, binPath)
	}
	return binPath
}

// proc is a running hooklab binary in headless mode.
type proc struct {
	cmd    *exec.Cmd
	URL    string
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
	done   chan struct{}
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:]+)`)

// startHooklab runs `hooklab dev --headless --addr 127.0.0.1:0 args...` and
// waits until it answers /ok.
func startHooklab(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	return startHooklabIn(t, "", 15*time.Second, env, args...)
}

// startHooklabIn is startHooklab in the working directory dir ("": the
// test's), waiting up to wait for it to listen.
func startHooklabIn(t *testing.T, dir string, wait time.Duration, env []string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(hooklabBinary(t), append([]string{"dev", "--headless", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = dir
	p := &proc{cmd: cmd, done: make(chan struct{})}
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = &lockedWriter{p: p, w: &p.stderr}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout.Write(sc.Bytes())
			p.stdout.WriteByte('\n')
			p.mu.Unlock()
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlCh <- m[1]:
				default:
				}
			}
		}
	}()
	go func() { cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	select {
	case p.URL = <-urlCh:
	case <-p.done:
		t.Fatalf("hooklab exited: %s", p.stderrText())
	case <-time.After(wait):
		t.Fatalf("hooklab did not start: %s", p.stderrText())
	}
	waitOK(t, p.URL)
	return p
}

type lockedWriter struct {
	p *proc
	w *bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) stderrText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

func (p *proc) stdoutText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

func waitOK(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/ok"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s/ok never answered", base)
}

func postJSON(t *testing.T, url string, body any) []byte {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, out)
	}
	return out
}

// hookRecorder is a receiver that keeps raw bodies and headers.
type hookRecorder struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
}

func newHookRecorder(t *testing.T, delay time.Duration) *hookRecorder {
	h := &hookRecorder{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		time.Sleep(delay)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.headers = append(h.headers, r.Header.Clone())
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookRecorder) waitN(t *testing.T, n int) [][]byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		got := append([][]byte(nil), h.bodies...)
		h.mu.Unlock()
		if len(got) >= n {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("receiver got fewer than %d webhooks", n)
	return nil
}

func runCLI(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, hooklabBinary(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func withoutSentAt(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body %s: %v", b, err)
	}
	delete(m, "webhook_sent_at")
	return m
}

// TestE2EKill9HistoryReplay is issue 4's check: a delivery, kill -9, then
// history lists it and replay sends the same body apart from webhook_sent_at.
// TestE2EKill9AsTheWebhookArrives: the receiver kill -9s hooklab the moment
// the webhook reaches it, before answering. The delivery must still be in
// the history, with its body, and replay must send that body again. (The
// pending record was once written a few ms after the send, so a kill right
// then left no trace of a webhook the receiver had seen.)
func TestE2EKill9AsTheWebhookArrives(t *testing.T) {
	for i := range 3 {
		storePath := filepath.Join(t.TempDir(), "h.db")
		var target atomic.Pointer[proc]
		got := make(chan []byte, 4)
		killer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			if p := target.Load(); p != nil {
				p.cmd.Process.Signal(syscall.SIGKILL)
			}
			got <- b
		}))
		p := startHooklab(t, nil, "--store", storePath)
		target.Store(p)
		// The run can end, and hooklab die, before this answer is read:
		// the webhook, not the answer, is what the test waits for.
		if resp, err := http.Post(p.URL+"/runs", "application/json",
			strings.NewReader(`{"assistant_id":"agent","webhook":"`+killer.URL+`/hook"}`)); err == nil {
			resp.Body.Close()
		}
		var original []byte
		select {
		case original = <-got:
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook")
		}
		<-p.done
		killer.Close()

		stdout, stderr, code := runCLI(t, nil, "history", "--json", "--store", storePath)
		var hist []map[string]any
		if code != 0 || json.Unmarshal([]byte(stdout), &hist) != nil || len(hist) != 1 {
			t.Fatalf("round %d: history after a kill as the webhook arrived: exit %d %s %s", i, code, stdout, stderr)
		}
		second := newHookRecorder(t, 0)
		if _, stderr, code := runCLI(t, nil, "replay", hist[0]["id"].(string), "--to", second.URL, "--store", storePath); code != 0 {
			t.Fatalf("round %d: replay: exit %d %s", i, code, stderr)
		}
		if a, b := withoutSentAt(t, original), withoutSentAt(t, second.waitN(t, 1)[0]); !jsonEqual(a, b) {
			t.Fatalf("round %d: replayed body differs", i)
		}
	}
}

func TestE2EKill9HistoryReplay(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "h.db")
	first := newHookRecorder(t, 0)
	p := startHooklab(t, nil, "--store", storePath)
	out := postJSON(t, p.URL+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": first.URL + "/hook?x=1&y=<2>",
		"input": map[string]any{"messages": []any{map[string]any{"role": "user", "content": "a & b <c>"}}}})
	if !bytes.Contains(out, []byte("a & b <c>")) {
		t.Fatalf("wait body %s", out)
	}
	original := first.waitN(t, 1)[0]
	// Wait until the delivery is recorded as delivered, then kill -9.
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/hooklab/deliveries?status=delivered")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if bytes.Contains(b, []byte(`"delivered"`)) {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("delivery never recorded as delivered")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done

	stdout, stderr, code := runCLI(t, nil, "history", "--json", "--store", storePath)
	if code != 0 {
		t.Fatalf("history: exit %d: %s", code, stderr)
	}
	var hist []map[string]any
	if err := json.Unmarshal([]byte(stdout), &hist); err != nil || len(hist) != 1 {
		t.Fatalf("history --json: %v\n%s", err, stdout)
	}
	d := hist[0]
	for _, k := range []string{"id", "run_id", "url", "outcome", "attempts", "created_at"} {
		if _, ok := d[k]; !ok {
			t.Errorf("history entry has no %q: %v", k, d)
		}
	}
	if d["outcome"] != "delivered" || d["attempts"] != float64(1) {
		t.Errorf("history entry %v", d)
	}
	second := newHookRecorder(t, 0)
	stdout, stderr, code = runCLI(t, nil, "replay", d["id"].(string), "--to", second.URL+"/again", "--store", storePath)
	if code != 0 {
		t.Fatalf("replay: exit %d: %s %s", code, stdout, stderr)
	}
	replayed := second.waitN(t, 1)[0]
	a, b := withoutSentAt(t, original), withoutSentAt(t, replayed)
	if !jsonEqual(a, b) {
		t.Fatalf("replayed body differs:\n%s\n%s", original, replayed)
	}
	strip := regexp.MustCompile(`"webhook_sent_at":"[^"]*"`)
	if !bytes.Equal(strip.ReplaceAll(original, nil), strip.ReplaceAll(replayed, nil)) {
		t.Errorf("replayed bytes differ beyond webhook_sent_at:\n%s\n%s", original, replayed)
	}
}

// TestE2ESigtermDrains: SIGTERM lets an in-flight delivery finish, exits 0.
func TestE2ESigtermDrains(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "h.db")
	slow := newHookRecorder(t, 800*time.Millisecond)
	p := startHooklab(t, nil, "--store", storePath)
	postJSON(t, p.URL+"/runs", map[string]any{"assistant_id": "agent", "webhook": slow.URL})
	// A client waiting on a long run must not hold shutdown up.
	go http.Post(p.URL+"/runs/wait", "application/json", strings.NewReader(
		`{"assistant_id":"agent","config":{"configurable":{"sleep_ms":60000}}}`))
	time.Sleep(200 * time.Millisecond) // the POST is now in flight at the receiver
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("hooklab did not exit within 10 s of SIGTERM")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM: %s", code, p.stderrText())
	}
	if took := time.Since(start); took > 6*time.Second {
		t.Errorf("shutdown took %v, want at most about 5 s", took)
	}
	slow.waitN(t, 1)
	stdout, _, _ := runCLI(t, nil, "history", "--json", "--store", storePath)
	if !strings.Contains(stdout, `"outcome":"delivered"`) && !strings.Contains(stdout, `"outcome": "delivered"`) {
		t.Fatalf("in-flight delivery not drained: %s", stdout)
	}
}

// TestE2EPlantedSecret: a templated header's value reaches the receiver and
// nothing else: not the store, the feed, logs, history, curl export or API.
func TestE2EPlantedSecret(t *testing.T) {
	const secret = "s3cr3t-PLANTED-7f3a9b"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "langgraph.json")
	os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./a.py:g"}, "webhooks": {
		"headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}", "X-Hook-Key": "${{env.LG_WEBHOOK_KEY}}"},
		"url": {"require_https": false}}}`), 0o600)
	env := []string{"LG_WEBHOOK_TOKEN=" + secret, "LG_WEBHOOK_KEY=" + secret}
	storePath := filepath.Join(dir, "h.db")
	rc := newHookRecorder(t, 0)
	p := startHooklab(t, env, "--store", storePath, "--config", cfg)
	postJSON(t, p.URL+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": rc.URL})
	postJSON(t, p.URL+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": "/hooklab/sink/s?status=503"})
	rc.waitN(t, 1)
	rc.mu.Lock()
	got := rc.headers[0].Get("Authorization")
	rc.mu.Unlock()
	if got != "Bearer "+secret {
		t.Fatalf("receiver Authorization %q", got)
	}
	var leaks []string
	check := func(where, text string) {
		if strings.Contains(text, secret) {
			leaks = append(leaks, where)
		}
	}
	for _, path := range []string{"/hooklab/deliveries", "/hooklab/config", "/hooklab/history?since=0&limit=100000"} {
		resp, err := http.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		check(path, string(b))
	}
	time.Sleep(3500 * time.Millisecond) // let the 503 retries finish
	hist, _, _ := runCLI(t, env, "history", "--json", "--store", storePath)
	check("history --json", hist)
	var ds []map[string]any
	json.Unmarshal([]byte(hist), &ds)
	for _, d := range ds {
		curl, _, _ := runCLI(t, env, "history", "--curl", d["id"].(string), "--store", storePath, "--config", cfg)
		check("history --curl", curl)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	check("stdout feed", p.stdoutText())
	check("stderr log", p.stderrText())
	files, _ := filepath.Glob(storePath + "*")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		check(filepath.Base(f), string(b))
	}
	if len(leaks) > 0 {
		t.Fatalf("the planted secret leaked into: %v", leaks)
	}
}

// TestE2EStartupErrors: a broken config exits 2 with one line naming the
// file and the key; a busy address is a one-line error.
func TestE2EStartupErrors(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "langgraph.json")
	os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./a.py:g"}, "webhooks": {"headers": {"Authorization": "${{ env.OTHER_SECRET }}"}}}`), 0o600)
	_, stderr, code := runCLI(t, nil, "dev", "--headless", "--addr", "127.0.0.1:0", "--store", ":memory:", "--config", cfg)
	if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "langgraph.json") ||
		!strings.Contains(stderr, "webhooks.headers") || !strings.Contains(stderr, "must start with the configured env_prefix 'LG_WEBHOOK_'") {
		t.Errorf("bad template: exit %d, stderr %q", code, stderr)
	}
	p := startHooklab(t, nil, "--store", ":memory:")
	addr := strings.TrimPrefix(p.URL, "http://")
	_, stderr, code = runCLI(t, nil, "dev", "--headless", "--addr", addr, "--store", ":memory:")
	if code == 0 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, addr) {
		t.Errorf("address in use: exit %d, stderr %q", code, stderr)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{[]string{"--help"}, 0, "hooklab check-url", ""},
		{[]string{"-h"}, 0, "hooklab replay ID", ""},
		{[]string{"--version"}, 0, "hooklab 0.", ""},
		// Help is printed on stdout (it went to stderr before the CLI moved to cobra).
		{[]string{"dev", "-h"}, 0, "--run-timeout", ""},
		{[]string{"replay", "-h"}, 0, "--header", ""},
		{[]string{"history", "-h"}, 0, "--curl", ""},
		{[]string{"dev", "--headless", "stray", "--addr", "127.0.0.1:0"}, 2, "", `unexpected argument "stray"`},
		{[]string{"--headless", "--max-body", "-1", "--addr", "127.0.0.1:0"}, 2, "", "--max-body -1: must be a positive"},
		{[]string{"attach", "ws://127.0.0.1:1/hooklab/events", "extra"}, 2, "", `unexpected argument "extra"`},
	} {
		stdout, stderr, code := runCLI(t, nil, c.args...)
		if code != c.code || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("hooklab %v: exit %d\nstdout %q\nstderr %q", c.args, code, stdout, stderr)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
