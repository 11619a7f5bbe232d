package upstream

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// runEvents returns the KindRun events recorded for runID.
func runEvents(t testing.TB, rg *rig, runID string) []hub.RunInfo {
	t.Helper()
	evs, err := rg.store.Events(context.Background(), store.Query{Kinds: []hub.Kind{hub.KindRun}})
	if err != nil {
		t.Fatal(err)
	}
	var out []hub.RunInfo
	for _, e := range evs {
		var ri hub.RunInfo
		if e.Decode(&ri) == nil && ri.RunID == runID {
			out = append(out, ri)
		}
	}
	return out
}

// createSleeping starts a background run on a fresh thread whose agent
// node sleeps ms, through hooklab, and waits until it runs.
func createSleeping(t testing.TB, rg *rig, direct string, ms int, hook string) (tid, rid string) {
	t.Helper()
	tid = newThread(t, rg.URL)
	code, b, _ := post(t, rg.URL+"/threads/"+tid+"/runs", fmt.Sprintf(
		`{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"slow"}]},"config":{"configurable":{"agent_sleep_ms":%d}},"webhook":%q}`, ms, hook))
	if code != 200 {
		t.Fatalf("create: %d %s", code, b)
	}
	rid = decodeMap(t, b)["run_id"].(string)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, b := get(t, direct+"/threads/"+tid+"/runs/"+rid)
		if strings.Contains(string(b), `"status": "running"`) {
			return tid, rid
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s never started: %s", rid, b)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestUpstreamDownAtStart: WaitReady fails with the URL and the fix.
func TestUpstreamDownAtStart(t *testing.T) {
	port := freePort(t) // closed again: nothing listens there
	u, err := New(Options{URL: "http://127.0.0.1:" + strconv.Itoa(port)})
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	err = u.WaitReady(context.Background(), 300*time.Millisecond)
	var de *DownError
	if !errors.As(err, &de) {
		t.Fatalf("WaitReady: %v, want a *DownError", err)
	}
	msg := err.Error()
	for _, want := range []string{u.URL(), "connection refused", "npx @langchain/langgraph-cli dev", "langgraph dev", "hooklab dev --upstream " + u.URL() + " --"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if st := u.Status(); st.Reachable || !strings.Contains(st.Detail, "connection refused") {
		t.Errorf("status %+v, want unreachable", st)
	}
	// A child that exits before the upstream answers: said at once.
	c, err := StartChild(ChildOptions{Argv: []string{"sh", "-c", "echo starting; exit 3"}})
	if err != nil {
		t.Fatal(err)
	}
	u.Attach(c)
	start := time.Now()
	err = u.WaitReady(context.Background(), 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exit status 3") || time.Since(start) > 10*time.Second {
		t.Errorf("WaitReady with a dead child: %v after %s", err, time.Since(start))
	}
	if _, err := New(Options{URL: "127.0.0.1:2025"}); err == nil || !strings.Contains(err.Error(), "--upstream http://") {
		t.Errorf("a URL without scheme: %v", err)
	}
}

// TestUpstreamDownLater: once the upstream is gone, requests get a 502
// naming it, the status says unreachable, and the runs it held are lost.
func TestUpstreamDownLater(t *testing.T) {
	js := startJS(t)
	rg := newRig(t, js.URL, nil)
	rg.up.Attach(js.child)
	if err := rg.up.WaitReady(context.Background(), 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if st := rg.up.Status(); !st.Reachable || st.Version != "langgraph-js 2.0.0" || st.PID != js.child.PID() {
		t.Errorf("status %+v, want reachable langgraph-js 2.0.0 with the child's pid", st)
	}
	_, rid := createSleeping(t, rg, js.URL, 20000, rg.recv.URL+"/down")
	js.child.Stop()
	code, b := get(t, rg.URL+"/threads/"+rid)
	detail, _ := decodeMap(t, b)["detail"].(string)
	if code != 502 || detail != "upstream "+js.URL+" unreachable: connection refused" {
		t.Errorf("after the upstream died: %d %s", code, b)
	}
	if st := rg.up.Status(); st.Reachable {
		t.Errorf("status %+v after a 502, want unreachable", st)
	}
	waitIdle(t, rg)
	evs := runEvents(t, rg, rid)
	if len(evs) == 0 || evs[len(evs)-1].Status != "lost" || !strings.Contains(evs[len(evs)-1].Error, "exited") {
		t.Errorf("run events %+v, want it lost because the upstream exited", evs)
	}
	if n := len(rg.recv.forRun(rid)); n != 0 {
		t.Errorf("%d webhooks for a lost run", n)
	}
}

// TestUpstreamRestartMidRun: the JS dev server reloads itself when its
// graph changes; a run it was executing then stays "running" for ever
// upstream. hooklab reports it lost, with the reason, and sends nothing.
func TestUpstreamRestartMidRun(t *testing.T) {
	js := startJS(t)
	rg := newRig(t, js.URL, nil)
	_, rid := createSleeping(t, rg, js.URL, 20000, rg.recv.URL+"/restart")
	graph := filepath.Join(js.Dir, "graph.mjs")
	b, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(graph, append(b, []byte("\n// edited by the test: the dev server reloads\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(45 * time.Second)
	for rg.up.Observing() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("run still observed 45 s after the reload; upstream says: %s", func() []byte { _, b := get(t, js.URL+"/threads/x"); return b }())
		}
		time.Sleep(50 * time.Millisecond)
	}
	evs := runEvents(t, rg, rid)
	if len(evs) == 0 || evs[len(evs)-1].Status != "lost" || !strings.Contains(evs[len(evs)-1].Error, "restarted") {
		t.Fatalf("run events %+v, want lost with the restart as reason", evs)
	}
	if evs[len(evs)-1].Upstream != js.URL {
		t.Errorf("run event not marked as an upstream run: %+v", evs[len(evs)-1])
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(rg.recv.forRun(rid)); n != 0 {
		t.Errorf("%d webhooks for a run lost in a restart", n)
	}
	waitJournal(t, rg.store, "emptied of the lost run", func(j map[string]record) bool { return len(j) == 0 })
}

// TestSlowUpstreamBlocksNothing: while one request waits on a slow run,
// other requests and other runs go through.
func TestSlowUpstreamBlocksNothing(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil)
	tid := newThread(t, rg.URL)
	var slowDone atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code, b, _ := post(t, rg.URL+"/threads/"+tid+"/runs/wait",
			`{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"slow"}]},"config":{"configurable":{"agent_sleep_ms":4000}},"webhook":"`+rg.recv.URL+`/slow"}`)
		if code != 200 {
			t.Errorf("slow wait: %d %s", code, b)
		}
		slowDone.Store(true)
	}()
	time.Sleep(100 * time.Millisecond)
	for i := range 5 {
		other := newThread(t, rg.URL)
		code, b, _ := post(t, rg.URL+"/threads/"+other+"/runs/wait", `{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"quick `+strconv.Itoa(i)+`"}]},"webhook":"`+rg.recv.URL+`/quick"}`)
		if code != 200 || !strings.Contains(string(b), "review saw: quick") {
			t.Errorf("quick run %d: %d %s", i, code, b)
		}
		if code, _ := get(t, rg.URL+"/threads/"+tid); code != 200 {
			t.Errorf("GET thread while the slow run waits: %d", code)
		}
	}
	if slowDone.Load() {
		t.Error("the slow run ended before the quick ones: the test proves nothing")
	}
	wg.Wait()
	waitIdle(t, rg)
	if n := rg.recv.count(); n != 6 {
		t.Errorf("%d webhooks, want 6", n)
	}
}

// TestRunTimeout: a run still running after RunTimeout is cancelled
// upstream and reported as timeout, with the error standalone mode sends.
func TestRunTimeout(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil, func(o *Options) { o.RunTimeout = 1500 * time.Millisecond })
	tid, rid := createSleeping(t, rg, js.URL, 20000, rg.recv.URL+"/timeout")
	h := rg.recv.waitRun(t, rid, 1, 20*time.Second)[0]
	checkHook(t, "timeout", h, "timeout", "slow", "TimeoutError", "run exceeded the run timeout of 1.5s (--run-timeout)", false, rg.recv.URL)
	_, b := get(t, js.URL+"/threads/"+tid+"/runs/"+rid)
	if strings.Contains(string(b), `"status": "running"`) {
		t.Errorf("the run still runs upstream after the timeout: %s", b)
	}
	waitJournal(t, rg.store, "emptied", func(j map[string]record) bool { return len(j) == 0 })
}
