package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hooklab/server/store"
)

// The upstream-mode check: the built binary, started as
// `hooklab dev --headless --upstream URL --config F --store :memory: -- COMMAND`,
// in front of the real JS LangGraph dev server (npm packages pinned in
// server/upstream/testdata/js) running a two-node graph, driven by the
// official JS SDK. Every case ends with the status the platform would
// give, delivered once, as application/json, with the graph's own values.
func TestE2EUpstream(t *testing.T) {
	if os.Getenv("HOOKLAB_SKIP_SDK") == "1" {
		t.Skip("HOOKLAB_SKIP_SDK=1")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: the upstream test runs the real LangGraph JS dev server (or set HOOKLAB_SKIP_SDK=1)")
	}
	js, _ := filepath.Abs(filepath.Join("..", "upstream", "testdata", "js"))
	ensureJSServer(t, js)
	work := t.TempDir()
	for _, f := range []string{"graph.mjs", "langgraph.json"} {
		b, err := os.ReadFile(filepath.Join(js, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(work, f), b, 0o644)
	}
	os.Symlink(filepath.Join(js, "node_modules"), filepath.Join(work, "node_modules"))
	// hooklab's own langgraph.json: loopback receivers allowed.
	cfg := filepath.Join(t.TempDir(), "langgraph.json")
	os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./graph.mjs:graph"}, "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}`), 0o600)
	rcv := newRunReceiver(t)
	port := freePort(t)
	upURL := "http://127.0.0.1:" + strconv.Itoa(port)
	cli := filepath.Join(js, "node_modules", "@langchain", "langgraph-cli", "dist", "cli", "cli.mjs")
	p := startHooklabIn(t, work, 90*time.Second, nil, "--store", ":memory:", "--config", cfg, "--upstream", upURL,
		"--", "node", cli, "dev", "--port", strconv.Itoa(port), "--host", "127.0.0.1", "--no-browser", "--config", "langgraph.json")
	var health struct {
		Upstream struct {
			URL       string `json:"url"`
			Version   string `json:"version"`
			PID       int    `json:"pid"`
			Reachable bool   `json:"reachable"`
		} `json:"upstream"`
	}
	getJSON(t, p.URL+"/hooklab/healthz", &health)
	if health.Upstream.URL != upURL || !health.Upstream.Reachable || health.Upstream.PID == 0 || !strings.Contains(health.Upstream.Version, "2.0.0") {
		t.Fatalf("healthz upstream = %+v", health.Upstream)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "cases.mjs")
	cmd.Dir = js
	cmd.Env = append(os.Environ(), "HOOKLAB_URL="+p.URL, "HOOK_URL="+rcv.URL,
		"CASES=thread_background,thread_wait,thread_stream,stateless_background,stateless_wait,batch,error_wait,interrupt,cancel_interrupt,cancel_rollback,receiver_500")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cases.mjs: %v\n%s\nhooklab stderr:\n%s", err, out, p.stderrText())
	}
	type want struct {
		status, last string // last: the last message's content in values; "-": values null
		hooks        int    // attempts expected
	}
	wants := map[string][]want{
		"thread_background":    {{"success", "review saw: hello bg", 1}},
		"thread_wait":          {{"success", "review saw: hello wait", 1}},
		"thread_stream":        {{"success", "review saw: hello stream", 1}},
		"stateless_background": {{"success", "-", 1}},
		"stateless_wait":       {{"success", "-", 1}},
		"batch":                {{"success", "-", 1}, {"error", "FAIL batch one", 1}},
		"error_wait":           {{"error", "FAIL wait", 1}},
		"interrupt":            {{"success", "agent saw: INTERRUPT please", 1}},
		"cancel_interrupt":     {{"interrupted", "cancel me", 1}},
		"cancel_rollback":      {{"rollback", "-", 1}},
		"receiver_500":         {{"success", "review saw: to a failing receiver", 3}},
	}
	got := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var c struct {
			Case  string   `json:"case"`
			Runs  []string `json:"runs"`
			Error string   `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &c) == nil && c.Case != "" {
			if c.Error != "" {
				t.Errorf("case %s failed in the SDK: %s", c.Case, c.Error)
			}
			got[c.Case] = c.Runs
		}
	}
	for name, ws := range wants {
		runs := got[name]
		if len(runs) != len(ws) {
			t.Errorf("case %s: runs %v, want %d", name, runs, len(ws))
			continue
		}
		for i, w := range ws {
			hooks := rcv.wait(t, runs[i], w.hooks)
			for _, h := range hooks {
				if h.contentType != "application/json" {
					t.Errorf("case %s: Content-Type %q", name, h.contentType)
				}
			}
			var body struct {
				RunID  string `json:"run_id"`
				Status string `json:"status"`
				Values *struct {
					Messages []struct {
						Content any `json:"content"`
					} `json:"messages"`
				} `json:"values"`
			}
			json.Unmarshal(hooks[0].body, &body)
			last := "-"
			if body.Values != nil && len(body.Values.Messages) > 0 {
				last, _ = body.Values.Messages[len(body.Values.Messages)-1].Content.(string)
			}
			if body.Status != w.status || last != w.last {
				t.Errorf("case %s run %d: status %q, last message %q; want %q, %q\n%s", name, i, body.Status, last, w.status, w.last, hooks[0].body)
			}
		}
	}
	// Nothing more arrives: every delivery was exactly once (its attempts).
	time.Sleep(500 * time.Millisecond) // a settle window for a duplicate that would be a bug
	for name, ws := range wants {
		for i, w := range ws {
			if runs := got[name]; i < len(runs) {
				if n := rcv.count(runs[i]); n != w.hooks {
					t.Errorf("case %s run %d: %d webhook requests, want %d", name, i, n, w.hooks)
				}
			}
		}
	}

	checkRefusedForwardsNothing(t, p.URL)

	// SIGTERM: hooklab stops its child's whole process group.
	pgid := health.Upstream.PID
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatal("hooklab did not exit on SIGTERM")
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(-pgid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(-pgid, syscall.SIGKILL)
			t.Fatalf("the upstream's process group %d outlived hooklab", pgid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2EUpstreamDownAtStart: exit 2, naming the URL and the fix.
func TestE2EUpstreamDownAtStart(t *testing.T) {
	port := freePort(t)
	_, stderr, code := runCLI(t, nil, "dev", "--headless", "--addr", "127.0.0.1:0", "--store", ":memory:", "--upstream", "http://127.0.0.1:"+strconv.Itoa(port))
	if code != 2 || !strings.Contains(stderr, "http://127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(stderr, "--upstream") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// ensureJSServer installs the pinned JS dev server into dir when missing.
func ensureJSServer(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@langchain", "langgraph-cli", "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--no-package-lock")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm install in %s: %v\n%s", dir, err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// runReceiver records webhooks by run id; it answers 500 to paths with
// "fail500" in them (that case's receiver is failing).
type runReceiver struct {
	URL string
	mu  sync.Mutex
	got map[string][]hook
}

type hook struct {
	contentType string
	body        []byte
}

func newRunReceiver(t *testing.T) *runReceiver {
	r := &runReceiver{got: map[string][]hook{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var body struct {
			RunID string `json:"run_id"`
		}
		json.Unmarshal(b, &body)
		r.mu.Lock()
		r.got[body.RunID] = append(r.got[body.RunID], hook{req.Header.Get("Content-Type"), b})
		r.mu.Unlock()
		if strings.Contains(req.URL.Path, "fail500") {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *runReceiver) count(runID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got[runID])
}

// wait returns the run's webhook requests once n have arrived.
func (r *runReceiver) wait(t *testing.T, runID string, n int) []hook {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		hs := append([]hook(nil), r.got[runID]...)
		r.mu.Unlock()
		if len(hs) >= n {
			return hs
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("run %s: fewer than %d webhook requests", runID, n)
	return nil
}

// threadIDs lists the upstream's threads, through hooklab.
func threadIDs(t *testing.T, base string) map[string]bool {
	t.Helper()
	var ts []struct {
		ThreadID string `json:"thread_id"`
	}
	if err := json.Unmarshal(postJSON(t, base+"/threads/search", map[string]any{"limit": 1000}), &ts); err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, th := range ts {
		out[th.ThreadID] = true
	}
	return out
}

// checkRefusedForwardsNothing: a webhook URL the policy refuses (a cloud
// metadata address, refused whatever the config says) gets 422 on every
// kind of run-creating route, and the upstream creates nothing: no run on
// the thread, no new thread.
func checkRefusedForwardsNothing(t *testing.T, base string) {
	t.Helper()
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	json.Unmarshal(postJSON(t, base+"/threads", map[string]any{}), &th)
	before := threadIDs(t, base)
	refused := "http://169.254.169.254/hook"
	for _, path := range []string{"/threads/" + th.ThreadID + "/runs", "/threads/" + th.ThreadID + "/runs/wait", "/runs", "/runs/wait", "/runs/stream"} {
		b, _ := json.Marshal(map[string]any{"assistant_id": "agent", "input": map[string]any{"messages": []any{}}, "webhook": refused})
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct {
			Detail string `json:"detail"`
		}
		json.Unmarshal(out, &e)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(e.Detail, "169.254.169.254") {
			t.Errorf("POST %s with a refused webhook: %d %s, want 422 naming the address", path, resp.StatusCode, out)
		}
	}
	resp, err := http.Get(base + "/threads/" + th.ThreadID + "/runs")
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(bytes.TrimSpace(runs)) != "[]" {
		t.Errorf("the upstream has runs on the thread after refusals: %d %s", resp.StatusCode, runs)
	}
	for id := range threadIDs(t, base) {
		if !before[id] {
			t.Errorf("a refused stateless run created thread %s upstream", id)
		}
	}
}

// startJSDev starts the real JS dev server on its own, in a process group
// of its own (stopped at cleanup), so a hooklab in front of it can be
// killed while it goes on. It returns the server's URL.
func startJSDev(t *testing.T) string {
	t.Helper()
	if os.Getenv("HOOKLAB_SKIP_SDK") == "1" {
		t.Skip("HOOKLAB_SKIP_SDK=1")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not installed: the upstream test runs the real LangGraph JS dev server (or set HOOKLAB_SKIP_SDK=1)")
	}
	js, _ := filepath.Abs(filepath.Join("..", "upstream", "testdata", "js"))
	ensureJSServer(t, js)
	work := t.TempDir()
	for _, f := range []string{"graph.mjs", "langgraph.json"} {
		b, err := os.ReadFile(filepath.Join(js, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(work, f), b, 0o644)
	}
	os.Symlink(filepath.Join(js, "node_modules"), filepath.Join(work, "node_modules"))
	port := freePort(t)
	cli := filepath.Join(js, "node_modules", "@langchain", "langgraph-cli", "dist", "cli", "cli.mjs")
	cmd := exec.Command("node", cli, "dev", "--port", strconv.Itoa(port), "--host", "127.0.0.1", "--no-browser", "--config", "langgraph.json")
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(90 * time.Second); ; {
		if resp, err := http.Get(url + "/ok"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return url
			}
		}
		select {
		case <-done:
			t.Fatalf("the JS dev server exited:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the JS dev server never answered /ok")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// observations reads the journalled observations from the store file,
// opened read-only beside the hooklab that owns it (or after it exited).
func observations(t *testing.T, path string) []store.Record {
	t.Helper()
	st, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	recs, err := st.Load(store.Observations)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// upstreamRun reads a run straight from the upstream: status and end time.
func upstreamRun(t *testing.T, base, tid, rid string) (code int, status, updatedAt string) {
	t.Helper()
	resp, err := http.Get(base + "/threads/" + tid + "/runs/" + rid)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status    string `json:"status"`
		UpdatedAt string `json:"updated_at"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	return resp.StatusCode, r.Status, r.UpdatedAt
}

// TestE2EUpstreamKill9Resumes: kill -9 of hooklab while two runs it
// forwarded are going (one stateless, whose thread it forced to stay);
// they end upstream while it is dead. Started again on the same store, it
// sends each webhook once, with the upstream's own end time, deletes the
// kept thread, and journals nothing more.
func TestE2EUpstreamKill9Resumes(t *testing.T) {
	up := startJSDev(t)
	cfg := filepath.Join(t.TempDir(), "langgraph.json")
	os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./graph.mjs:graph"}, "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}`), 0o600)
	storePath := filepath.Join(t.TempDir(), "h.db")
	rcv := newRunReceiver(t)
	args := []string{"--store", storePath, "--config", cfg, "--upstream", up}
	p := startHooklabIn(t, "", 30*time.Second, nil, args...)

	body := func(hook string) map[string]any {
		return map[string]any{"assistant_id": "agent", "input": map[string]any{"messages": []any{map[string]any{"role": "human", "content": "after kill"}}},
			"config": map[string]any{"configurable": map[string]any{"agent_sleep_ms": 1500}}, "webhook": rcv.URL + hook}
	}
	var th, stateless, threaded struct {
		ThreadID string `json:"thread_id"`
		RunID    string `json:"run_id"`
	}
	json.Unmarshal(postJSON(t, p.URL+"/threads", map[string]any{}), &th)
	json.Unmarshal(postJSON(t, p.URL+"/runs", body("/stateless")), &stateless)
	json.Unmarshal(postJSON(t, p.URL+"/threads/"+th.ThreadID+"/runs", body("/thread")), &threaded)
	if stateless.RunID == "" || threaded.RunID == "" {
		t.Fatalf("runs not created: %+v %+v\n%s", stateless, threaded, p.stderrText())
	}
	for deadline := time.Now().Add(10 * time.Second); len(observations(t, storePath)) < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("the two observations were never journalled: %+v", observations(t, storePath))
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done

	ended := map[string]string{}
	for _, r := range []struct{ tid, rid string }{{stateless.ThreadID, stateless.RunID}, {threaded.ThreadID, threaded.RunID}} {
		for deadline := time.Now().Add(30 * time.Second); ; {
			code, status, at := upstreamRun(t, up, r.tid, r.rid)
			if code == 200 && status != "pending" && status != "running" {
				ended[r.rid] = at
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s never ended upstream: %d %s", r.rid, code, status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if n := rcv.count(stateless.RunID) + rcv.count(threaded.RunID); n != 0 {
		t.Fatalf("%d webhooks from a killed hooklab", n)
	}

	p2 := startHooklabIn(t, "", 30*time.Second, nil, args...)
	for rid, want := range map[string]string{stateless.RunID: "-", threaded.RunID: "review saw: after kill"} {
		var b struct {
			Status  string `json:"status"`
			EndedAt string `json:"run_ended_at"`
			Values  *struct {
				Messages []struct {
					Content any `json:"content"`
				} `json:"messages"`
			} `json:"values"`
		}
		json.Unmarshal(rcv.wait(t, rid, 1)[0].body, &b)
		last := "-"
		if b.Values != nil && len(b.Values.Messages) > 0 {
			last, _ = b.Values.Messages[len(b.Values.Messages)-1].Content.(string)
		}
		got, _ := time.Parse(time.RFC3339Nano, b.EndedAt)
		upEnd, _ := time.Parse(time.RFC3339Nano, ended[rid])
		if b.Status != "success" || last != want || !got.Equal(upEnd) {
			t.Errorf("run %s: status %q, last message %q, run_ended_at %s; want success, %q, the upstream's %s", rid, b.Status, last, b.EndedAt, want, ended[rid])
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		code, _, _ := upstreamRun(t, up, stateless.ThreadID, stateless.RunID)
		if code == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stateless run's kept thread was not deleted after the restart (GET its run: %d)", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // a settle window for a duplicate that would be a bug
	for _, rid := range []string{stateless.RunID, threaded.RunID} {
		if n := rcv.count(rid); n != 1 {
			t.Errorf("run %s: %d webhooks, want 1", rid, n)
		}
	}
	p2.cmd.Process.Signal(syscall.SIGTERM)
	<-p2.done
	if recs := observations(t, storePath); len(recs) != 0 {
		t.Errorf("still journalled after every run ended: %d records", len(recs))
	}
}
