package server

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/config"
)

const pageOrigin = "http://localhost:3000"

// langGraphRoutes is every LangGraph API route, with ids that exist in no
// hooklab: each answer is an error or a harmless success, and each must
// carry the CORS headers all the same.
func langGraphRoutes() [][2]string {
	const a, th, run, cron = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222",
		"33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"
	return [][2]string{
		{"GET", "/ok"}, {"GET", "/info"},
		{"POST", "/assistants"}, {"POST", "/assistants/search"}, {"POST", "/assistants/count"},
		{"GET", "/assistants/" + a}, {"PATCH", "/assistants/" + a}, {"DELETE", "/assistants/" + a},
		{"POST", "/threads"}, {"POST", "/threads/search"}, {"POST", "/threads/count"},
		{"GET", "/threads/" + th}, {"PATCH", "/threads/" + th}, {"DELETE", "/threads/" + th},
		{"GET", "/threads/" + th + "/state"}, {"POST", "/threads/" + th + "/state"},
		{"GET", "/threads/" + th + "/history"}, {"POST", "/threads/" + th + "/history"},
		{"POST", "/threads/" + th + "/runs"}, {"POST", "/threads/" + th + "/runs/stream"}, {"POST", "/threads/" + th + "/runs/wait"},
		{"GET", "/threads/" + th + "/runs"}, {"GET", "/threads/" + th + "/runs/" + run}, {"DELETE", "/threads/" + th + "/runs/" + run},
		{"GET", "/threads/" + th + "/runs/" + run + "/join"}, {"GET", "/threads/" + th + "/runs/" + run + "/stream"},
		{"POST", "/threads/" + th + "/runs/" + run + "/cancel"},
		{"POST", "/runs"}, {"POST", "/runs/stream"}, {"POST", "/runs/wait"}, {"POST", "/runs/batch"}, {"POST", "/runs/cancel"},
		{"GET", "/runs/" + run + "/stream"}, {"GET", "/runs/" + run},
		{"POST", "/runs/crons"}, {"POST", "/threads/" + th + "/runs/crons"}, {"POST", "/runs/crons/search"},
		{"POST", "/runs/crons/count"}, {"GET", "/runs/crons/" + cron}, {"PATCH", "/runs/crons/" + cron}, {"DELETE", "/runs/crons/" + cron},
		{"GET", "/no/such/route"}, {"PUT", "/threads"},
	}
}

func bodyFor(method string) string {
	if method == "GET" || method == "DELETE" {
		return ""
	}
	return `{}`
}

// wantHeader fails unless h[name] is want ("" : absent).
func wantHeader(t *testing.T, what string, h http.Header, name, want string) {
	t.Helper()
	if got := strings.Join(h.Values(name), ", "); got != want {
		t.Errorf("%s: %s = %q, want %q", what, name, got, want)
	}
}

// TestCORSDefaultEveryRoute: without http.cors, the platform's defaults on
// every LangGraph route: any origin, echoed because credentials are on.
func TestCORSDefaultEveryRoute(t *testing.T) {
	ts := mustStart(t)
	g := &guardLab{testServer: ts}
	for _, r := range langGraphRoutes() {
		what := "preflight " + r[0] + " " + r[1]
		status, h, body := g.send(t, "OPTIONS", r[1], "", map[string]string{"Origin": pageOrigin,
			"Access-Control-Request-Method": r[0], "Access-Control-Request-Headers": "content-type,x-api-key"}, "")
		if status != 204 || len(body) != 0 {
			t.Errorf("%s = %d %s, want 204 and no body", what, status, body)
		}
		wantHeader(t, what, h, "Access-Control-Allow-Origin", pageOrigin)
		wantHeader(t, what, h, "Access-Control-Allow-Methods", "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT")
		wantHeader(t, what, h, "Access-Control-Allow-Headers", "content-type,x-api-key")
		wantHeader(t, what, h, "Access-Control-Allow-Credentials", "true")
		wantHeader(t, what, h, "Access-Control-Max-Age", "600")
		wantHeader(t, what, h, "Vary", "Origin")

		what = r[0] + " " + r[1]
		status, h, _ = g.send(t, r[0], r[1], bodyFor(r[0]), map[string]string{"Origin": pageOrigin, "Content-Type": "application/json"}, "")
		if status == 403 {
			t.Errorf("%s from a page = 403", what)
		}
		wantHeader(t, what, h, "Access-Control-Allow-Origin", pageOrigin)
		wantHeader(t, what, h, "Access-Control-Allow-Credentials", "true")
		wantHeader(t, what, h, "Access-Control-Expose-Headers", "x-pagination-total, x-pagination-next, content-location")
		wantHeader(t, what, h, "Vary", "Origin")

		// Not a cross-origin request: no CORS headers, as the platform does.
		_, h, _ = g.send(t, r[0], r[1], bodyFor(r[0]), map[string]string{"Content-Type": "application/json"}, "")
		wantHeader(t, what+" without Origin", h, "Access-Control-Allow-Origin", "")
	}
	// A page on a public address asking for a private one (Chrome's
	// private network access) is let through, as the platform's dev server does.
	_, h, _ := g.send(t, "OPTIONS", "/threads", "", map[string]string{"Origin": "https://app.example.com",
		"Access-Control-Request-Method": "POST", "Access-Control-Request-Private-Network": "true"}, "")
	wantHeader(t, "private network preflight", h, "Access-Control-Allow-Private-Network", "true")
	// OPTIONS that is no preflight reaches the routes (405).
	status, _, _ := g.send(t, "OPTIONS", "/threads", "", map[string]string{"Origin": pageOrigin}, "")
	if status != 405 {
		t.Errorf("OPTIONS /threads without Access-Control-Request-Method = %d, want 405", status)
	}
	// hooklab's own API gets none, and its preflight is refused.
	status, h, _ = g.send(t, "OPTIONS", "/hooklab/config", "", map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "PUT"}, "")
	if status != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight of PUT /hooklab/config = %d with Allow-Origin %q, want 403 and none", status, h.Get("Access-Control-Allow-Origin"))
	}
}

// TestCORSStreamAndErrors: a run streamed to a page carries the headers
// on its SSE answer, and Content-Location is there to read.
func TestCORSStreamAndErrors(t *testing.T) {
	ts := mustStart(t)
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	ts.mustDo(t, "POST", "/threads", `{}`, 200, &th)
	req, _ := http.NewRequest("POST", ts.URL+"/threads/"+th.ThreadID+"/runs/stream",
		strings.NewReader(`{"assistant_id":"agent","input":{"messages":[{"role":"user","content":"hi"}]}}`))
	req.Header.Set("Origin", pageOrigin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	wantHeader(t, "stream", resp.Header, "Access-Control-Allow-Origin", pageOrigin)
	if resp.Header.Get("Content-Location") == "" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "content-location") {
		t.Errorf("stream: Content-Location %q not exposed (%q)", resp.Header.Get("Content-Location"), resp.Header.Get("Access-Control-Expose-Headers"))
	}
	sc := bufio.NewScanner(resp.Body)
	events := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "event: ") {
			events++
		}
	}
	if events == 0 {
		t.Error("the stream sent no event")
	}
	// A refused Host still tells an allowed page why.
	g := &guardLab{testServer: ts}
	status, h, body := g.send(t, "POST", "/threads", `{}`, map[string]string{"Origin": pageOrigin, "Content-Type": "application/json"}, "box.lan")
	if status != 403 || h.Get("Access-Control-Allow-Origin") != pageOrigin || !strings.Contains(string(body), "--allow-host box.lan") {
		t.Errorf("refused Host: %d %q %s", status, h.Get("Access-Control-Allow-Origin"), body)
	}
}

// corsLab starts a hooklab whose langgraph.json has http.cors = block.
func corsLab(t *testing.T, block string) (*guardLab, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "langgraph.json")
	data := `{"graphs": {"agent": "./a.py:g"}, "http": {"cors": ` + block + `}}`
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return &guardLab{testServer: mustStart(t, withRuntime(mustRuntime(t, f, nil)))}, path
}

// TestCORSConfiguredEveryRoute: http.cors is honoured on every route:
// only its origins, methods and headers, its max_age, no credentials.
func TestCORSConfiguredEveryRoute(t *testing.T) {
	g, _ := corsLab(t, `{"allow_origins": ["http://localhost:3000"], "allow_origin_regex": "https://.*\\.example\\.com",
		"allow_methods": ["GET", "POST", "PATCH", "DELETE", "PUT"], "allow_headers": ["x-api-key"],
		"expose_headers": ["content-location", "x-pagination-total"], "max_age": 60}`)
	for _, r := range langGraphRoutes() {
		for _, origin := range []string{pageOrigin, "https://app.example.com"} {
			what := "preflight " + r[0] + " " + r[1] + " from " + origin
			status, h, _ := g.send(t, "OPTIONS", r[1], "", map[string]string{"Origin": origin,
				"Access-Control-Request-Method": r[0], "Access-Control-Request-Headers": "Content-Type, X-Api-Key"}, "")
			if status != 204 {
				t.Errorf("%s = %d, want 204", what, status)
			}
			wantHeader(t, what, h, "Access-Control-Allow-Origin", origin)
			wantHeader(t, what, h, "Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, PUT")
			wantHeader(t, what, h, "Access-Control-Allow-Headers", "Accept, Accept-Language, Content-Language, Content-Type, x-api-key")
			wantHeader(t, what, h, "Access-Control-Max-Age", "60")
			wantHeader(t, what, h, "Access-Control-Allow-Credentials", "")

			what = r[0] + " " + r[1] + " from " + origin
			_, h, _ = g.send(t, r[0], r[1], bodyFor(r[0]), map[string]string{"Origin": origin, "Content-Type": "application/json"}, "")
			wantHeader(t, what, h, "Access-Control-Allow-Origin", origin)
			wantHeader(t, what, h, "Vary", "Origin")
			wantHeader(t, what, h, "Access-Control-Expose-Headers", "content-location, x-pagination-total")
		}
		what := r[0] + " " + r[1] + " from an origin not listed"
		status, h, _ := g.send(t, "OPTIONS", r[1], "", map[string]string{"Origin": "http://evil.example", "Access-Control-Request-Method": r[0]}, "")
		if status != 400 || h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight %s = %d, Allow-Origin %q; want 400 and none", what, status, h.Get("Access-Control-Allow-Origin"))
		}
		_, h, _ = g.send(t, r[0], r[1], bodyFor(r[0]), map[string]string{"Origin": "https://app.example.com.evil.net", "Content-Type": "application/json"}, "")
		wantHeader(t, what, h, "Access-Control-Allow-Origin", "")
	}
	for _, c := range []struct{ method, headers, want string }{
		{"OPTIONS", "", "method"}, {"POST", "x-other", "headers"}, {"HEAD", "authorization", "method, headers"},
	} {
		hdr := map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": c.method}
		if c.headers != "" {
			hdr["Access-Control-Request-Headers"] = c.headers
		}
		status, _, body := g.send(t, "OPTIONS", "/threads", "", hdr, "")
		if status != 400 || !strings.Contains(string(body), "Disallowed CORS "+c.want) {
			t.Errorf("preflight %s with %q = %d %s, want 400 naming %q", c.method, c.headers, status, body, c.want)
		}
	}
}

// TestCORSAnyOriginWithoutCredentials: "*" is answered as "*" when no
// credentials are allowed; with credentials the origin is echoed.
func TestCORSAnyOriginWithoutCredentials(t *testing.T) {
	g, path := corsLab(t, `{"allow_origins": ["*"], "allow_methods": ["*"], "allow_headers": ["*"]}`)
	status, h, _ := g.send(t, "OPTIONS", "/threads", "", map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "POST"}, "")
	if status != 204 {
		t.Errorf("preflight = %d", status)
	}
	wantHeader(t, "preflight", h, "Access-Control-Allow-Origin", "*")
	wantHeader(t, "preflight", h, "Vary", "")
	_, h, _ = g.send(t, "POST", "/threads", `{}`, map[string]string{"Origin": pageOrigin, "Content-Type": "application/json"}, "")
	wantHeader(t, "POST /threads", h, "Access-Control-Allow-Origin", "*")
	wantHeader(t, "POST /threads", h, "Access-Control-Expose-Headers", "")

	// An edit of langgraph.json applies: now with credentials.
	data := []byte(`{"graphs": {"agent": "./a.py:g"}, "http": {"cors": {"allow_origins": ["*"], "allow_credentials": true, "expose_headers": ["content-location"]}}}`)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	g.Srv.reloadConfig(path, data, false)
	_, h, _ = g.send(t, "POST", "/threads", `{}`, map[string]string{"Origin": pageOrigin, "Content-Type": "application/json"}, "")
	wantHeader(t, "after the edit", h, "Access-Control-Allow-Origin", pageOrigin)
	wantHeader(t, "after the edit", h, "Access-Control-Allow-Credentials", "true")
	wantHeader(t, "after the edit", h, "Access-Control-Expose-Headers", "content-location")
}

// TestCORSForwardedAddsNothing: a request whose CORS comes from an
// upstream passes through the CORS layer untouched (its preflight too),
// while the guards still apply.
func TestCORSForwardedAddsNothing(t *testing.T) {
	rt := mustRuntime(t, config.Default(), nil)
	srv, err := New(Options{Live: liveRuntime(rt), ForwardsCORS: func(r *http.Request) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Close(t.Context()) })
	serve := func(method, path, host string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(bodyFor(method)))
		req.Host = host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		return rec
	}
	rec := serve("OPTIONS", "/threads", "127.0.0.1", map[string]string{"Origin": pageOrigin, "Access-Control-Request-Method": "POST"})
	if rec.Code != 405 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("forwarded preflight = %d %v, want it to reach the routes (405) untouched", rec.Code, rec.Header())
	}
	rec = serve("POST", "/threads", "127.0.0.1", map[string]string{"Origin": pageOrigin, "Content-Type": "application/json"})
	if rec.Code != 200 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("forwarded POST /threads = %d %v, want no CORS header", rec.Code, rec.Header())
	}
	if rec = serve("POST", "/threads", "evil.example", nil); rec.Code != 403 {
		t.Errorf("rebinding with forwarded CORS = %d, want 403", rec.Code)
	}
	if rec = serve("GET", "/hooklab/config", "127.0.0.1", map[string]string{"Origin": pageOrigin}); rec.Code != 403 {
		t.Errorf("cross-origin own API with forwarded CORS = %d, want 403", rec.Code)
	}
}
