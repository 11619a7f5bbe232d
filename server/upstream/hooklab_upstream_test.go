package upstream_test

// In a package of its own: servertest assembles a whole hooklab, which
// will import this package once upstream mode is wired in.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/servertest"
	"hooklab/server/store"
	"hooklab/server/upstream"
)

// hlRig is hooklab in upstream mode in front of base, with a receiver.
type hlRig struct {
	URL  string
	up   *upstream.Upstream
	recv *servertest.Receiver
}

func newHLRig(t *testing.T, base string) *hlRig {
	t.Helper()
	h := hub.New()
	st, err := store.Open(filepath.Join(t.TempDir(), "hooklab.db"), store.Options{Publish: h.Publish})
	if err != nil {
		t.Fatal(err)
	}
	rt, _ := config.Resolve(config.Default(), servertest.NoEnv)
	snd := sender.New(sender.Options{Recorder: st, Runtime: func() *config.Runtime { return rt }, Version: "test"})
	ctx, cancel := context.WithCancel(context.Background())
	snd.Start(ctx)
	up, err := upstream.New(upstream.Options{URL: base, Sender: snd, Recorder: st})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(up)
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
	return &hlRig{URL: srv.URL, up: up, recv: servertest.NewReceiver(t, 200)}
}

func (rg *hlRig) post(t *testing.T, path, body string) (map[string]any, http.Header) {
	t.Helper()
	resp, err := http.Post(rg.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, b)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m, resp.Header
}

// hooks returns the webhook bodies by run id once n have arrived.
func (rg *hlRig) hooks(t *testing.T, n int) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, r := range rg.recv.Wait(t, n) {
		var m map[string]any
		json.Unmarshal(r.Body, &m)
		id, _ := m["run_id"].(string)
		out[id] = append(out[id], m)
	}
	return out
}

func lastContent(v any) string {
	m, _ := v.(map[string]any)
	msgs, _ := m["messages"].([]any)
	if len(msgs) == 0 {
		return ""
	}
	last, _ := msgs[len(msgs)-1].(map[string]any)
	s, _ := last["content"].(string)
	return s
}

// TestHooklabAsUpstream: the observer in front of a standalone hooklab
// (echo graph). It follows the Python server where the two differ: it
// reports cancels as interrupted itself and deletes rolled-back runs, and
// keeps no task error on the thread's state.
func TestHooklabAsUpstream(t *testing.T) {
	lab := servertest.StartLab(t, filepath.Join(t.TempDir(), "upstream.db"), config.Default(), servertest.NoEnv)
	rg := newHLRig(t, lab.URL)
	if err := rg.up.WaitReady(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	thread := func() string {
		m, _ := rg.post(t, "/threads", `{}`)
		return m["thread_id"].(string)
	}
	in := `"assistant_id":"agent","input":{"messages":[{"role":"human","content":"hi"}]}`
	hook := func(name string) string { return fmt.Sprintf(`,"webhook":%q`, rg.recv.URL+"/"+name) }
	run := func(path, body string) string {
		m, h := rg.post(t, path, body)
		if loc := h.Get("Content-Location"); loc != "" {
			return loc[strings.LastIndex(loc, "/")+1:]
		}
		return m["run_id"].(string)
	}
	want := map[string][3]string{} // run id → status, last message ("-": null), error message
	want[run("/threads/"+thread()+"/runs", "{"+in+hook("bg")+"}")] = [3]string{"success", "hi", ""}
	// A run that fails or is cancelled has its input checkpoint: its
	// values are the input state, as the platform sends them.
	want[run("/threads/"+thread()+"/runs/wait", "{"+in+`,"config":{"configurable":{"fail":"boom"}}`+hook("fail")+"}")] = [3]string{"error", "hi", "boom"}
	want[run("/threads/"+thread()+"/runs/stream", "{"+in+hook("stream")+"}")] = [3]string{"success", "hi", ""}
	want[run("/runs", "{"+in+hook("stateless")+"}")] = [3]string{"success", "-", ""}
	// Stateless wait and stream: hooklab names the temporary thread in the
	// wait's Content-Location and lists it in /threads/search, so the
	// observer finds it; the thread it kept is deleted afterwards.
	_, wh := rg.post(t, "/runs/wait", "{"+in+hook("swait")+"}")
	waitTid, waitRid := wh.Get("Content-Location"), ""
	if p := strings.Split(strings.Trim(waitTid, "/"), "/"); len(p) == 4 && p[0] == "threads" && p[2] == "runs" {
		waitTid, waitRid = p[1], p[3]
	} else {
		t.Fatalf("stateless wait: Content-Location %q does not name the thread", waitTid)
	}
	want[waitRid] = [3]string{"success", "-", ""}
	want[run("/runs/stream", "{"+in+hook("sstream")+"}")] = [3]string{"success", "-", ""}
	want[run("/runs/stream", "{"+in+`,"config":{"configurable":{"fail":"bang"}}`+hook("sstreamfail")+"}")] = [3]string{"error", "-", "bang"}
	for _, action := range []string{"interrupt", "rollback"} {
		tid := thread()
		rid := run("/threads/"+tid+"/runs", "{"+in+`,"config":{"configurable":{"sleep_ms":3000}}`+hook(action)+"}")
		for deadline := time.Now().Add(10 * time.Second); ; {
			resp, err := http.Get(lab.URL + "/threads/" + tid + "/runs/" + rid)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if strings.Contains(string(b), `"status":"running"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("run never started")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // the observer sees it running
		rg.post(t, "/threads/"+tid+"/runs/"+rid+"/cancel?action="+action, ``)
		want[rid] = map[string][3]string{"interrupt": {"interrupted", "hi", ""}, "rollback": {"rollback", "-", ""}}[action]
	}
	got := rg.hooks(t, len(want))
	for rid, w := range want {
		hs := got[rid]
		if len(hs) != 1 {
			t.Errorf("run %s: %d webhooks, want 1", rid, len(hs))
			continue
		}
		b := hs[0]
		if b["status"] != w[0] {
			t.Errorf("run %s: status %v, want %s", rid, b["status"], w[0])
		}
		if w[1] == "-" && b["values"] != nil || w[1] != "-" && lastContent(b["values"]) != w[1] {
			t.Errorf("run %s (%s): values %v, want last message %s", rid, w[0], b["values"], w[1])
		}
		e, _ := b["error"].(map[string]any)
		if w[2] != "" && (e == nil || e["message"] != w[2]) || w[2] == "" && b["error"] != nil {
			t.Errorf("run %s (%s): error %v, want %q", rid, w[0], b["error"], w[2])
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp, err := http.Get(lab.URL + "/threads/" + waitTid)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the stateless wait's kept thread %s: GET %d, want 404 (deleted)", waitTid, resp.StatusCode)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(rg.recv.Wait(t, len(want))); n != len(want) {
		t.Errorf("%d webhooks, want %d", n, len(want))
	}
}
