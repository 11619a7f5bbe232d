package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// tap stands between hooklab and the JS server and records every request
// that reaches the upstream (the health checks aside).
type tap struct {
	URL  string
	mu   sync.Mutex
	seen []string // "METHOD /path body"
}

func newTap(t testing.TB, target string) *tap {
	u, _ := url.Parse(target)
	tp := &tap{}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) { pr.SetURL(u) }, FlushInterval: -1}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" && r.URL.Path != "/info" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			tp.mu.Lock()
			tp.seen = append(tp.seen, r.Method+" "+r.URL.Path+" "+string(b))
			tp.mu.Unlock()
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	tp.URL = srv.URL
	return tp
}

func (tp *tap) requests() []string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]string(nil), tp.seen...)
}

func newThread(t testing.TB, base string) string {
	t.Helper()
	code, b, _ := post(t, base+"/threads", `{}`)
	if code != 200 {
		t.Fatalf("create thread: %d %s", code, b)
	}
	return decodeMap(t, b)["thread_id"].(string)
}

// TestRefusedWebhookForwardsNothing: a URL the policy refuses gets the
// same 422 as in standalone mode, and the upstream never hears of it.
func TestRefusedWebhookForwardsNothing(t *testing.T) {
	js := sharedJSServer(t)
	tp := newTap(t, js.URL)
	rg := newRig(t, tp.URL, loadRuntime(t, "")) // loopback refused
	tid := newThread(t, rg.URL)
	before := len(tp.requests())
	hook := rg.recv.URL + "/refused"
	for _, c := range []struct{ path, body, want string }{
		{"/threads/" + tid + "/runs", `{"assistant_id":"agent","input":{},"webhook":"` + hook + `"}`, ""},
		{"/threads/" + tid + "/runs/wait", `{"assistant_id":"agent","webhook":"` + hook + `"}`, ""},
		{"/runs/stream", `{"assistant_id":"agent","webhook":"` + hook + `"}`, ""},
		{"/runs/batch", `[{"assistant_id":"agent"},{"assistant_id":"agent","webhook":"` + hook + `"}]`, "[1]: "},
	} {
		code, b, _ := post(t, rg.URL+c.path, c.body)
		detail, _ := decodeMap(t, b)["detail"].(string)
		if code != 422 || !strings.HasPrefix(detail, c.want) || !strings.Contains(detail, "127.0.0.1") && !strings.Contains(strings.ToLower(detail), "loopback") {
			t.Errorf("POST %s: %d %s, want 422 naming the refused address", c.path, code, b)
		}
	}
	if got := tp.requests()[before:]; len(got) != 0 {
		t.Errorf("refused requests reached the upstream: %q", got)
	}
	if code, b := get(t, js.URL+"/threads/"+tid+"/runs"); code != 200 || !bytes.Equal(bytes.TrimSpace(b), []byte("[]")) {
		t.Errorf("the upstream has runs after refusals: %d %s", code, b)
	}
	// An allowed request still goes through, with the webhook taken out.
	code, b, _ := post(t, rg.URL+"/threads/"+tid+"/runs", `{"assistant_id":"agent","input":{"messages":[]},"webhook":""}`)
	if code != 200 {
		t.Fatalf("run without webhook: %d %s", code, b)
	}
	got := tp.requests()
	if last := got[len(got)-1]; strings.Contains(last, "webhook") {
		t.Errorf("the forwarded body still has a webhook key: %s", last)
	}
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// streamBody POSTs body and returns the raw SSE bytes and headers.
func streamBody(t *testing.T, url, body string) ([]byte, http.Header) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("stream %s: %d %v %s", url, resp.StatusCode, err, b)
	}
	return b, resp.Header
}

// TestStreamBytesEqual: the same stream, direct and through hooklab (with
// a webhook hooklab takes out), is the same bytes but for the ids the
// upstream makes up per run.
func TestStreamBytesEqual(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil)
	body := `{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"same bytes"}]},"stream_mode":["values","updates","messages-tuple","custom"]%s}`
	hook := fmt.Sprintf(`,"webhook":%q`, rg.recv.URL+"/bytes")
	for _, route := range []string{"/threads/%s/runs/stream", "/runs/stream"} {
		path := func(base string) string {
			if strings.Contains(route, "%s") {
				return base + fmt.Sprintf(route, newThread(t, base))
			}
			return base + route
		}
		direct, dh := streamBody(t, path(js.URL), fmt.Sprintf(body, ""))
		proxied, ph := streamBody(t, path(rg.URL), fmt.Sprintf(body, hook))
		nd, np := uuidRE.ReplaceAll(direct, []byte("<uuid>")), uuidRE.ReplaceAll(proxied, []byte("<uuid>"))
		if !bytes.Equal(nd, np) {
			t.Errorf("%s: bodies differ beyond ids:\ndirect:\n%s\nproxied:\n%s", route, nd, np)
		}
		if len(direct) != len(proxied) || dh.Get("Content-Type") != ph.Get("Content-Type") {
			t.Errorf("%s: %d bytes %q direct, %d bytes %q proxied", route, len(direct), dh.Get("Content-Type"), len(proxied), ph.Get("Content-Type"))
		}
		_, rid := parseLocation(ph.Get("Content-Location"))
		if hs := rg.recv.waitRun(t, rid, 1, 20*time.Second); hs[0].Body["status"] != "success" {
			t.Errorf("%s: webhook status %v", route, hs[0].Body["status"])
		}
	}
}

// TestThreadAlias: the documentation's /thread/ reaches the upstream's
// /threads/, webhook included.
func TestThreadAlias(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil)
	tid := newThread(t, rg.URL)
	code, b, h := post(t, rg.URL+"/thread/"+tid+"/runs/wait", `{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"alias"}]},"webhook":"`+rg.recv.URL+`/alias"}`)
	if code != 200 {
		t.Fatalf("/thread/ wait: %d %s", code, b)
	}
	_, rid := parseLocation(h.Get("Content-Location"))
	hs := rg.recv.waitRun(t, rid, 1, 20*time.Second)
	if hs[0].Body["status"] != "success" || lastMessage(hs[0].Body["values"]) != "review saw: alias" {
		t.Errorf("alias webhook: %s", hs[0].Raw)
	}
}

// TestCronFiring: a cron firing is an ordinary run upstream, observed and
// delivered to the cron's webhook; a stateless cron's kept thread is
// deleted afterwards.
func TestCronFiring(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil)
	tid := newThread(t, js.URL)
	body := json.RawMessage(`{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"tick"}]},"webhook":"http://ignored.invalid/"}`)
	ctx := context.Background()
	rid, gotTid, err := rg.up.CreateRun(ctx, CronRun{CronID: "cron-1", ThreadID: tid, Body: body, Webhook: rg.recv.URL + "/cron"})
	if err != nil || gotTid != tid {
		t.Fatalf("CreateRun: %v (thread %s)", err, gotTid)
	}
	h := rg.recv.waitRun(t, rid, 1, 20*time.Second)[0]
	checkHook(t, "cron", h, "success", "review saw: tick", "", "", false, rg.recv.URL)
	srid, stid, err := rg.up.CreateRun(ctx, CronRun{CronID: "cron-2", Body: body, Webhook: rg.recv.URL + "/scron"})
	if err != nil {
		t.Fatal(err)
	}
	h = rg.recv.waitRun(t, srid, 1, 20*time.Second)[0]
	checkHook(t, "stateless cron", h, "success", "-", "", "", true, rg.recv.URL)
	waitIdle(t, rg)
	if code, _ := get(t, js.URL+"/threads/"+stid); code != 404 {
		t.Errorf("stateless cron thread still there: %d", code)
	}
	ds, _ := rg.store.Deliveries(ctx, deliveriesFor(rid))
	if len(ds) != 1 || ds[0].CronID != "cron-1" {
		t.Errorf("cron delivery: %+v", ds)
	}
	if _, _, err := rg.up.CreateRun(ctx, CronRun{CronID: "bad", Body: json.RawMessage(`{"assistant_id":"nope"}`), Webhook: rg.recv.URL + "/x"}); err == nil || !strings.Contains(err.Error(), "HTTP 4") {
		t.Errorf("a cron for an unknown assistant: %v, want the upstream's 4xx", err)
	}
}

// TestInfoServesCrons: the relayed /info says crons are served (hooklab
// serves them), where the JS server says they are not; every other byte is
// the upstream's.
func TestInfoServesCrons(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil)
	code, direct := get(t, js.URL+"/info")
	crons := regexp.MustCompile(`("crons":\s*)false`)
	if code != 200 || !crons.Match(direct) {
		t.Fatalf("direct /info: %d %s; want flags.crons false (the test proves nothing otherwise)", code, direct)
	}
	code, relayed := get(t, rg.URL+"/info")
	if want := crons.ReplaceAll(direct, []byte("${1}true")); code != 200 || !bytes.Equal(relayed, want) {
		t.Errorf("relayed /info: %d\n%s\nwant\n%s", code, relayed, want)
	}
	var info struct {
		Flags map[string]any `json:"flags"`
	}
	if err := json.Unmarshal(relayed, &info); err != nil || info.Flags["crons"] != true {
		t.Errorf("relayed flags %v (%v)", info.Flags, err)
	}
}
