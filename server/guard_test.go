package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func withToken(tok string) startOpt { return func(c *Config) { c.Token = tok } }

func withAllowHosts(h ...string) startOpt { return func(c *Config) { c.AllowHosts = h } }

// send sends one request with extra headers; host, when set, replaces the
// Host header (the connection still goes to ts).
func (ts *testServer) send(t testing.TB, method, path, body string, hdr map[string]string, host string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if host != "" {
		req.Host = host
	}
	// Bounded: a websocket upgrade that got through would never end.
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

// guardLab is a hooklab over a real langgraph.json with one delivery (to
// the sink, through a relative URL) and one cron, settled: every event
// of the setup is stored before the test looks at the history.
type guardLab struct {
	*testServer
	cfgPath, deliveryID, cronID string
	port                        string
}

func startGuardLab(t *testing.T, opts ...startOpt) *guardLab {
	t.Helper()
	cfgPath := filepath.Join(t.TempDir(), "langgraph.json")
	if err := os.WriteFile(cfgPath, []byte(`{"graphs": {"agent": "./agent.py:graph"},
  "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ts := mustStart(t, append([]startOpt{withRuntime(mustRuntime(t, f, nil))}, opts...)...)
	g := &guardLab{testServer: ts, cfgPath: cfgPath}
	_, g.port, _ = net.SplitHostPort(strings.TrimPrefix(ts.URL, "http://"))
	var run struct {
		RunID string `json:"run_id"`
	}
	ts.mustDo(t, "POST", "/runs/wait", `{"assistant_id":"agent","webhook":"/hooklab/sink/guard"}`, 200, nil)
	ts.mustDo(t, "POST", "/runs", `{"assistant_id":"agent","webhook":"/hooklab/sink/guard2"}`, 200, &run)
	d := ts.waitDelivery(t, run.RunID)
	if d.Outcome != sender.OutcomeDelivered || d.Status != 200 {
		t.Fatalf("a relative webhook to the sink: %s %d (%s)", d.Outcome, d.Status, d.Reason)
	}
	g.deliveryID = d.ID
	var cron struct {
		CronID string `json:"cron_id"`
	}
	ts.mustDo(t, "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"0 0 1 1 *"}`, 200, &cron)
	g.cronID = cron.CronID
	return g
}

// state is what a refused request must leave alone.
type labState struct {
	rt         *config.Runtime
	file       []byte
	seq        uint64
	deliveries int
}

func (g *guardLab) state(t *testing.T) labState {
	t.Helper()
	// A marker request: once its event is stored, every earlier request's is.
	g.mustDo(t, "GET", "/ok?marker="+time.Now().Format(time.RFC3339Nano), nil, 200, nil)
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.Store.Flush(ctx)
		evs, _ := g.Store.Events(ctx, store.Query{Since: 0, Newest: true, Limit: 1, Kinds: []string{string(hub.KindRequest)}})
		if len(evs) == 1 && bytes.Contains(evs[0].Payload, []byte("marker=")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the marker request was never recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	file, err := os.ReadFile(g.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := g.Store.Deliveries(ctx, store.DeliveryQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return labState{rt: g.Srv.Runtime(), file: file, seq: g.Store.LastSeq(), deliveries: len(ds)}
}

// unchanged fails unless nothing changed since before.
func (g *guardLab) unchanged(t *testing.T, before labState) {
	t.Helper()
	ctx := context.Background()
	g.Store.Flush(ctx)
	if g.Srv.Runtime() != before.rt {
		t.Error("the config in force was replaced")
	}
	if file, _ := os.ReadFile(g.cfgPath); !bytes.Equal(file, before.file) {
		t.Errorf("langgraph.json changed:\n%s", file)
	}
	if evs, _ := g.Store.Events(ctx, store.Query{Since: before.seq}); len(evs) != 0 {
		t.Errorf("the history grew by %d events, the first %s %s", len(evs), evs[0].Kind, evs[0].Payload)
	}
	if ds, _ := g.Store.Deliveries(ctx, store.DeliveryQuery{}); len(ds) != before.deliveries {
		t.Errorf("deliveries: %d, was %d", len(ds), before.deliveries)
	}
}

type ownRoute struct {
	method, path, body string
	changes            bool // state-changing: JSON only
}

// ownRoutes is every route of hooklab's own API, with a body that would
// change the config, the file or the history if it were served.
func (g *guardLab) ownRoutes() []ownRoute {
	return []ownRoute{
		{"GET", "/hooklab/healthz", "", false},
		{"GET", "/hooklab/events", "", false},
		{"GET", "/hooklab/history?since=0", "", false},
		{"GET", "/hooklab/deliveries", "", false},
		{"GET", "/hooklab/deliveries/" + g.deliveryID, "", false},
		{"POST", "/hooklab/deliveries/" + g.deliveryID + "/replay", `{}`, true},
		{"GET", "/hooklab/config", "", false},
		{"PUT", "/hooklab/config", `{"webhooks": {"url": {"require_https": true}}, "save": true}`, true},
		{"POST", "/hooklab/check-url", `{"url": "http://127.0.0.1:1/x"}`, true},
		{"POST", "/hooklab/crons/" + g.cronID + "/fire", `{}`, true},
		{"POST", "/hooklab/sink/guard", `{"forged": true}`, false},
		{"GET", "/hooklab/no-such-route", "", false},
	}
}

// TestOwnAPIRefusesBrowsers is the table of issue 15: cross-origin,
// rebinding and content-type attempts on every /hooklab/ route are
// refused, and nothing changes.
func TestOwnAPIRefusesBrowsers(t *testing.T) {
	g := startGuardLab(t)
	before := g.state(t)
	ws := map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}
	attacks := []struct {
		name   string
		hdr    map[string]string
		host   string
		status int
		only   func(ownRoute) bool // nil: every route
	}{
		{"cross-origin", map[string]string{"Origin": "http://evil.example"}, "", 403, nil},
		{"cross-origin text/plain", map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}, "", 403, nil},
		{"another loopback origin", map[string]string{"Origin": "http://127.0.0.1:1"}, "", 403, nil},
		{"localhost dev server", map[string]string{"Origin": "http://localhost:3000"}, "", 403, nil},
		{"opaque origin", map[string]string{"Origin": "null"}, "", 403, nil},
		{"cross-site without Origin", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", 403, nil},
		{"same-site without Origin", map[string]string{"Sec-Fetch-Site": "same-site"}, "", 403, nil},
		{"rebinding", nil, "evil.example:" + g.port, 403, nil},
		{"rebinding with our origin", map[string]string{"Origin": "http://evil.example:" + g.port}, "evil.example:" + g.port, 403, nil},
		{"the sender's pseudo host", nil, "hooklab.local", 403, nil},
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, "", 415, changes},
		{"form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "", 415, changes},
		{"multipart", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, "", 415, changes},
		{"no content type", map[string]string{}, "", 415, changes},
		{"json-ish", map[string]string{"Content-Type": "application/jsonx"}, "", 415, changes},
	}
	for _, a := range attacks {
		for _, r := range g.ownRoutes() {
			if a.only != nil && !a.only(r) {
				continue
			}
			hdr := map[string]string{"Content-Type": "application/json"}
			if r.path == "/hooklab/events" {
				hdr = map[string]string{}
				for k, v := range ws {
					hdr[k] = v
				}
			}
			delete(hdr, "Content-Type")
			if _, set := a.hdr["Content-Type"]; !set && a.only == nil {
				hdr["Content-Type"] = "application/json"
			}
			for k, v := range a.hdr {
				hdr[k] = v
			}
			status, _, body := g.send(t, r.method, r.path, r.body, hdr, a.host)
			var e struct{ Detail string }
			if status != a.status || json.Unmarshal(body, &e) != nil || e.Detail == "" {
				t.Errorf("%s: %s %s = %d %s, want %d {\"detail\"}", a.name, r.method, r.path, status, body, a.status)
			}
		}
	}
	// The LangGraph routes refuse a rebinding Host too.
	for _, r := range [][2]string{{"GET", "/ok"}, {"POST", "/threads/search"}, {"POST", "/threads"}, {"GET", "/info"}} {
		if status, _, body := g.send(t, r[0], r[1], `{}`, map[string]string{"Content-Type": "application/json"}, "evil.example:"+g.port); status != 403 {
			t.Errorf("rebinding %s %s = %d %s, want 403", r[0], r[1], status, body)
		}
	}
	g.unchanged(t, before)

	// The same requests from hooklab's CLI, or from hooklab's own origin,
	// are served: the refusals above were the guards, not the routes.
	for _, c := range []struct {
		name, method, path, body string
		hdr                      map[string]string
		host                     string
	}{
		{"same origin", "GET", "/hooklab/config", "", map[string]string{"Origin": g.URL, "Sec-Fetch-Site": "same-origin"}, ""},
		{"localhost", "GET", "/hooklab/history", "", nil, "localhost:" + g.port},
		{"dry run", "PUT", "/hooklab/config", `{"http": {"disable_webhooks": true}, "dry_run": true}`, map[string]string{"Content-Type": "application/json; charset=utf-8"}, ""},
		{"check-url", "POST", "/hooklab/check-url", `{"url": "http://127.0.0.1:1/x"}`, map[string]string{"Content-Type": "application/json"}, ""},
		// The sink is a receiver: any content type from anything but a page.
		{"sink text/plain", "POST", "/hooklab/sink/plain", "hello", map[string]string{"Content-Type": "text/plain"}, ""},
	} {
		if status, _, body := g.send(t, c.method, c.path, c.body, c.hdr, c.host); status != 200 {
			t.Errorf("%s: %s %s = %d %s, want 200", c.name, c.method, c.path, status, body)
		}
	}
	if status, _, body := g.send(t, "PUT", "/hooklab/config", `{"webhooks": {"url": {"require_https": true}}, "save": true}`,
		map[string]string{"Content-Type": "application/json"}, ""); status != 200 {
		t.Fatalf("PUT /hooklab/config from the CLI = %d %s", status, body)
	}
	if file, _ := os.ReadFile(g.cfgPath); bytes.Equal(file, before.file) || !strings.Contains(string(file), `"require_https": true`) {
		t.Errorf("the CLI's PUT with save did not reach the file:\n%s", file)
	}
}

func changes(r ownRoute) bool { return r.changes }

// TestRelativeWebhookStaysOutOfOwnAPI: a run any web page may create
// names a relative webhook URL into hooklab's own API; the in-process
// sender reaches the sink, never the rest.
func TestRelativeWebhookStaysOutOfOwnAPI(t *testing.T) {
	g := startGuardLab(t)
	g.Store.Flush(context.Background())
	before := g.Store.LastSeq()
	var run struct {
		RunID string `json:"run_id"`
	}
	g.mustDo(t, "POST", "/runs", `{"assistant_id":"agent","webhook":"/hooklab/crons/`+g.cronID+`/fire"}`, 200, &run)
	if d := g.waitDelivery(t, run.RunID); d.Status != 403 || d.Outcome == sender.OutcomeDelivered {
		t.Fatalf("relative webhook into /hooklab/crons/../fire: %s %d", d.Outcome, d.Status)
	}
	g.Store.Flush(context.Background())
	evs, _ := g.Store.Events(context.Background(), store.Query{Since: before, Kinds: []string{string(hub.KindCron)}})
	for _, e := range evs {
		t.Errorf("the cron was touched: %s", e.Payload)
	}
	// The same webhook to the sink is delivered (the sender still works).
	g.mustDo(t, "POST", "/runs", `{"assistant_id":"agent","webhook":"/hooklab/sink/ok"}`, 200, &run)
	if d := g.waitDelivery(t, run.RunID); d.Status != 200 {
		t.Fatalf("relative webhook to the sink: %s %d", d.Outcome, d.Status)
	}
}

// TestHostAllowList: IP addresses, localhost names, the listen host and
// --allow-host names are served; any other name is refused.
func TestHostAllowList(t *testing.T) {
	g := startGuardLab(t, withAllowHosts("box.lan", ".dev.test"))
	p := ":" + g.port
	for host, want := range map[string]int{
		"127.0.0.1" + p: 200, "[::1]" + p: 200, "10.1.2.3" + p: 200, "localhost" + p: 200, "LOCALHOST." + p: 200,
		"app.localhost" + p: 200, "box.lan" + p: 200, "Box.Lan" + p: 200, "dev.test" + p: 200, "a.b.dev.test" + p: 200,
		"evil.example" + p: 403, "box.lan.evil.example" + p: 403, "notdev.test" + p: 403, "localhost.evil" + p: 403,
		"hooklab.local": 403,
	} {
		for _, path := range []string{"/ok", "/hooklab/healthz"} {
			if status, _, body := g.send(t, "GET", path, "", nil, host); status != want {
				t.Errorf("Host %s: GET %s = %d %s, want %d", host, path, status, body, want)
			}
		}
	}
	_, _, body := g.send(t, "GET", "/ok", "", nil, "evil.example"+p)
	if !strings.Contains(string(body), "--allow-host evil.example") {
		t.Errorf("a refused Host does not name the fix: %s", body)
	}
}

// TestTokenGuardsOwnAPI: with a token, hooklab's own API needs it; the
// sink and the LangGraph routes do not.
func TestTokenGuardsOwnAPI(t *testing.T) {
	const tok = "t0ken-for-tests"
	g := startGuardLab(t, withToken(tok))
	for _, c := range []struct {
		path, auth string
		want       int
	}{
		{"/hooklab/history", "", 401},
		{"/hooklab/history", "Bearer wrong", 401},
		{"/hooklab/history", "Basic " + tok, 401},
		{"/hooklab/config", "Bearer " + tok + "x", 401},
		{"/hooklab/history", "Bearer " + tok, 200},
		{"/hooklab/config", "bearer " + tok, 200},
		{"/ok", "", 200},
		{"/hooklab/sink/no-token", "", 200},
	} {
		hdr := map[string]string{}
		if c.auth != "" {
			hdr["Authorization"] = c.auth
		}
		status, h, body := g.send(t, "GET", c.path, "", hdr, "")
		if status != c.want {
			t.Errorf("GET %s with %q = %d %s, want %d", c.path, c.auth, status, body, c.want)
		}
		if status == 401 && (h.Get("WWW-Authenticate") == "" || !strings.Contains(string(body), "HOOKLAB_TOKEN")) {
			t.Errorf("401 without WWW-Authenticate or a hint: %v %s", h, body)
		}
		if wrong := strings.Contains(string(body), "not the one"); status == 401 && wrong != (c.auth != "") {
			t.Errorf("401 for %q does not say whether a token came: %s", c.auth, body)
		}
	}
	if status, _, _ := g.send(t, "POST", "/threads", `{}`, map[string]string{"Content-Type": "application/json"}, ""); status != 200 {
		t.Errorf("POST /threads without a token = %d, want 200 (the LangGraph routes are the platform's)", status)
	}
	// A wrong-origin request with the right token is still refused.
	if status, _, _ := g.send(t, "GET", "/hooklab/history", "", map[string]string{"Authorization": "Bearer " + tok, "Origin": "http://evil.example"}, ""); status != 403 {
		t.Errorf("cross-origin with the token = %d, want 403", status)
	}
}

func TestExposedAndListenHost(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:2024": false, "[::1]:2024": false, "127.0.0.2:80": false,
		"0.0.0.0:2024": true, "[::]:2024": true, "192.168.1.5:2024": true} {
		a, err := net.ResolveTCPAddr("tcp", addr) // IP literals only: no lookup
		if err != nil {
			t.Fatal(err)
		}
		if exposed(a) != want {
			t.Errorf("exposed(%s) = %v, want %v", addr, !want, want)
		}
	}
	for addr, want := range map[string]string{"myhost:2024": "myhost", ":2024": "", "[::1]:2024": "::1", "junk": ""} {
		if got := listenHost(addr); got != want {
			t.Errorf("listenHost(%q) = %q, want %q", addr, got, want)
		}
	}
	if a, b := newToken(), newToken(); a == b || len(a) < 32 {
		t.Errorf("tokens %q %q: want distinct and at least 32 characters", a, b)
	}
}
