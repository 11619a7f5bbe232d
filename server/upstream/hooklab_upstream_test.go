package upstream

import (
	"context"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// startHooklab runs a second, standalone hooklab (echo graph) on loopback:
// it follows the Python server where the two differ (native interrupted
// and rollback statuses, rolled-back runs deleted, errors not kept on the
// thread's tasks), so it stands in for one.
func startHooklab(t *testing.T) string {
	t.Helper()
	h := hub.New()
	st, err := store.Open(filepath.Join(t.TempDir(), "upstream.db"), store.Options{Publish: h.Publish})
	if err != nil {
		t.Fatal(err)
	}
	rt, err := config.Resolve(config.Default(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Store: st, Hub: h, Runtime: rt, Version: "upstream-test", Heartbeat: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(ln)
	srv.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(ctx)
		srv.Close(ctx)
		st.Close()
		h.Close()
	})
	return "http://" + ln.Addr().String()
}

// TestHooklabAsUpstream: the same observer in front of a server that
// reports cancels natively and deletes rolled-back runs.
func TestHooklabAsUpstream(t *testing.T) {
	base := startHooklab(t)
	rg := newRig(t, base, nil)
	if err := rg.up.WaitReady(context.Background(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	hook := func(name string) string { return `"webhook":"` + rg.recv.URL + "/" + name + `"` }
	run := func(path, body string) string {
		t.Helper()
		code, b, h := post(t, rg.URL+path, body)
		if code != 200 {
			t.Fatalf("POST %s: %d %s", path, code, b)
		}
		if _, rid := parseLocation(h.Get("Content-Location")); rid != "" {
			return rid
		}
		return decodeMap(t, b)["run_id"].(string)
	}
	in := `"input":{"messages":[{"role":"human","content":"hi"}]}`
	bg := run("/threads/"+newThread(t, rg.URL)+"/runs", `{"assistant_id":"agent",`+in+`,`+hook("bg")+`}`)
	wait := run("/threads/"+newThread(t, rg.URL)+"/runs/wait", `{"assistant_id":"agent",`+in+`,"config":{"configurable":{"fail":"boom"}},`+hook("fail")+`}`)
	stream := run("/threads/"+newThread(t, rg.URL)+"/runs/stream", `{"assistant_id":"agent",`+in+`,`+hook("stream")+`}`)
	stateless := run("/runs", `{"assistant_id":"agent",`+in+`,`+hook("stateless")+`}`)
	cancels := map[string]string{}
	for _, action := range []string{"interrupt", "rollback"} {
		tid := newThread(t, rg.URL)
		rid := run("/threads/"+tid+"/runs", `{"assistant_id":"agent",`+in+`,"config":{"configurable":{"sleep_ms":3000}},`+hook(action)+`}`)
		for deadline := time.Now().Add(10 * time.Second); ; {
			if _, b := get(t, base+"/threads/"+tid+"/runs/"+rid); strings.Contains(string(b), `"status":"running"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("run never started")
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // let the observer see it running
		if code, b, _ := post(t, rg.URL+"/threads/"+tid+"/runs/"+rid+"/cancel?action="+action, ``); code/100 != 2 {
			t.Fatalf("cancel: %d %s", code, b)
		}
		cancels[action] = rid
	}
	for _, c := range []struct {
		rid, status, last string
		temp              bool
		errMsg            string
	}{
		{bg, "success", "hi", false, ""},
		// hooklab's echo graph writes no checkpoint for a run that fails
		// or is cancelled, so there are no values of the run's own.
		{wait, "error", "-", false, "boom"},
		{stream, "success", "hi", false, ""},
		{stateless, "success", "-", true, ""},
		{cancels["interrupt"], "interrupted", "-", false, ""},
		{cancels["rollback"], "rollback", "-", false, ""},
	} {
		h := rg.recv.waitRun(t, c.rid, 1, 20*time.Second)[0]
		if h.Body["status"] != c.status {
			t.Errorf("run %s: status %v, want %s: %s", c.rid, h.Body["status"], c.status, h.Raw)
			continue
		}
		errType := ""
		if c.errMsg != "" {
			e, _ := h.Body["error"].(map[string]any)
			errType, _ = e["error"].(string)
		}
		checkHook(t, c.status, h, c.status, c.last, errType, c.errMsg, c.temp, rg.recv.URL)
	}
	waitIdle(t, rg)
	if n := rg.recv.count(); n != 6 {
		t.Errorf("%d webhooks, want 6", n)
	}
}
