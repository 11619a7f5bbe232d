package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/server/crons"
	"hooklab/server/engine"
)

// TestBadInputEveryRoute sends bad input to every route: each answer is a 4xx
// with a detail naming the field, and the server keeps serving.
func TestBadInputEveryRoute(t *testing.T) {
	ts := mustStart(t, withMaxBody(1<<20))
	var thread engine.Thread
	ts.mustDo(t, "POST", "/threads", map[string]any{}, 200, &thread)
	tid := thread.ThreadID
	var cron crons.Cron
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 * * *"}, 200, &cron)
	missing := "00000000-0000-4000-8000-000000000000"
	ts.mustDo(t, "POST", "/runs/wait", map[string]any{"assistant_id": "agent", "webhook": "/hooklab/sink/h"}, 200, nil)
	delivered := ts.waitAnyDelivery(t)
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	huge := `{"assistant_id":"agent","input":"` + strings.Repeat("x", 2<<20) + `"}`

	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string // the detail must mention it
	}{
		{"malformed json", "POST", "/runs", `{"assistant_id": `, 422, "JSON"},
		{"not an object", "POST", "/runs", `[1,2]`, 422, "request body"},
		{"empty body", "POST", "/runs", ``, 422, "request body"},
		{"missing assistant", "POST", "/runs", `{}`, 422, "assistant_id"},
		{"assistant wrong type", "POST", "/runs", `{"assistant_id": 5}`, 422, "assistant_id"},
		{"unknown assistant", "POST", "/runs", `{"assistant_id": "nope"}`, 404, "nope"},
		{"bad stream_mode", "POST", "/runs/stream", `{"assistant_id":"agent","stream_mode":"everything"}`, 422, "stream_mode"},
		{"bad stream_mode type", "POST", "/runs/stream", `{"assistant_id":"agent","stream_mode":7}`, 422, "stream_mode"},
		{"bad multitask", "POST", "/threads/" + tid + "/runs", `{"assistant_id":"agent","multitask_strategy":"yolo"}`, 422, "multitask_strategy"},
		{"bad if_not_exists", "POST", "/threads/" + tid + "/runs", `{"assistant_id":"agent","if_not_exists":"maybe"}`, 422, "if_not_exists"},
		{"bad on_completion", "POST", "/runs/wait", `{"assistant_id":"agent","on_completion":"never"}`, 422, "on_completion"},
		{"bad on_disconnect", "POST", "/runs/wait", `{"assistant_id":"agent","on_disconnect":"explode"}`, 422, "on_disconnect"},
		{"negative after_seconds", "POST", "/runs", `{"assistant_id":"agent","after_seconds":-1}`, 422, "after_seconds"},
		{"bad interrupt_before", "POST", "/runs", `{"assistant_id":"agent","interrupt_before":"all"}`, 422, "interrupt_before"},
		{"config wrong type", "POST", "/runs", `{"assistant_id":"agent","config":"x"}`, 422, "config"},
		{"metadata wrong type", "POST", "/runs", `{"assistant_id":"agent","metadata":[1]}`, 422, "metadata"},
		{"webhook wrong type", "POST", "/runs", `{"assistant_id":"agent","webhook":42}`, 422, "webhook"},
		{"refused webhook on /runs", "POST", "/runs", `{"assistant_id":"agent","webhook":"ftp://x.example/h"}`, 422, "http"},
		{"refused webhook on /stream", "POST", "/threads/" + tid + "/runs/stream", `{"assistant_id":"agent","webhook":"gopher://x"}`, 422, "http"},
		{"refused webhook on thread cron", "POST", "/threads/" + tid + "/runs/crons", `{"assistant_id":"agent","schedule":"* * * * *","webhook":"http://169.254.169.254/x"}`, 422, "blocked"},
		{"refused webhook on cron patch", "PATCH", "/runs/crons/" + cron.CronID, `{"webhook":"http://169.254.169.254/"}`, 422, "blocked"},
		{"batch not array", "POST", "/runs/batch", `{"assistant_id":"agent"}`, 422, "request body"},
		{"batch empty", "POST", "/runs/batch", `[]`, 422, "request body"},
		{"batch bad item", "POST", "/runs/batch", `[{"assistant_id":"agent"},{"stream_mode":"x"}]`, 422, "[1]"},
		{"bad thread uuid", "GET", "/threads/not-a-uuid", ``, 422, "thread_id"},
		{"unknown thread", "GET", "/threads/" + missing, ``, 404, missing},
		{"run on unknown thread", "POST", "/threads/" + missing + "/runs", `{"assistant_id":"agent"}`, 404, "if_not_exists"},
		{"bad run uuid", "GET", "/threads/" + tid + "/runs/xyz", ``, 422, "run_id"},
		{"unknown run", "GET", "/threads/" + tid + "/runs/" + missing, ``, 404, missing},
		{"unknown run join", "GET", "/threads/" + tid + "/runs/" + missing + "/join", ``, 404, missing},
		{"unknown run stream", "GET", "/threads/" + tid + "/runs/" + missing + "/stream", ``, 404, missing},
		{"cancel bad action", "POST", "/threads/" + tid + "/runs/" + missing + "/cancel?action=explode", ``, 422, "action"},
		{"cancel bad wait", "POST", "/threads/" + tid + "/runs/" + missing + "/cancel?wait=maybe", ``, 422, "wait"},
		{"cancel unknown run", "POST", "/threads/" + tid + "/runs/" + missing + "/cancel", ``, 404, missing},
		{"cancel many bad status", "POST", "/runs/cancel", `{"status":"sleeping"}`, 422, "status"},
		{"cancel many nothing", "POST", "/runs/cancel", `{}`, 422, "run_ids"},
		{"run list bad limit", "GET", "/threads/" + tid + "/runs?limit=-3", ``, 422, "limit"},
		{"run list bad status", "GET", "/threads/" + tid + "/runs?status=weird", ``, 422, "status"},
		{"thread bad if_exists", "POST", "/threads", `{"if_exists":"explode"}`, 422, "if_exists"},
		{"thread id not uuid", "POST", "/threads", `{"thread_id":"abc"}`, 422, "thread_id"},
		{"thread duplicate", "POST", "/threads", `{"thread_id":"` + tid + `"}`, 409, "if_exists"},
		{"thread search bad status", "POST", "/threads/search", `{"status":"sleepy"}`, 422, "status"},
		{"thread search bad limit", "POST", "/threads/search", `{"limit":-1}`, 422, "limit"},
		{"history bad limit", "GET", "/threads/" + tid + "/history?limit=x", ``, 422, "limit"},
		{"state bad values", "POST", "/threads/" + tid + "/state", `{"values":[1]}`, 422, "values"},
		{"assistant missing graph", "POST", "/assistants", `{}`, 422, "graph_id"},
		{"assistant unknown graph", "POST", "/assistants", `{"graph_id":"ghost"}`, 404, "ghost"},
		{"assistant bad sort", "POST", "/assistants/search", `{"sort_by":"color"}`, 422, "sort_by"},
		{"unknown assistant get", "GET", "/assistants/" + missing, ``, 404, missing},
		{"cron bad schedule", "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"every day"}`, 422, "schedule"},
		{"cron missing schedule", "POST", "/runs/crons", `{"assistant_id":"agent"}`, 422, "schedule"},
		{"cron bad timezone", "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"* * * * *","timezone":"Mars/Olympus"}`, 422, "timezone"},
		{"cron bad end_time", "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"* * * * *","end_time":"soon"}`, 422, "end_time"},
		{"cron bad on_run_completed", "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"* * * * *","on_run_completed":"x"}`, 422, "on_run_completed"},
		{"cron on unknown thread", "POST", "/threads/" + missing + "/runs/crons", `{"assistant_id":"agent","schedule":"* * * * *"}`, 404, missing},
		{"cron unknown", "GET", "/runs/crons/" + missing, ``, 404, missing},
		{"cron bad uuid", "DELETE", "/runs/crons/zzz", ``, 422, "cron_id"},
		{"cron patch bad schedule", "PATCH", "/runs/crons/" + cron.CronID, `{"schedule":"61 * * * *"}`, 422, "schedule"},
		{"cron search bad sort", "POST", "/runs/crons/search", `{"sort_order":"sideways"}`, 422, "sort_order"},
		{"cron fire unknown", "POST", "/hooklab/crons/" + missing + "/fire", ``, 404, missing},
		{"nested too deep", "POST", "/runs", deep, 422, "request body"},
		{"body over the limit", "POST", "/runs", huge, 413, "limit"},
		{"sink bad status", "POST", "/hooklab/sink/x?status=42", `{}`, 422, "status"},
		{"replay unknown delivery", "POST", "/hooklab/deliveries/" + missing + "/replay", `{}`, 404, missing},
		{"replay bad header name", "POST", "/hooklab/deliveries/" + delivered + "/replay", `{"headers":{"Bad Name":"x"}}`, 422, "header"},
		{"deliveries bad status", "GET", "/hooklab/deliveries?status=lost", ``, 422, "status"},
		{"events bad since", "GET", "/hooklab/history?since=-1", ``, 422, "since"},
		{"config put bad", "PUT", "/hooklab/config", `{"webhooks":{"url":{"allowed_ports":["x"]}}}`, 422, "allowed_ports"},
		{"feed without websocket", "GET", "/hooklab/events", ``, 400, "websocket"},
		{"unknown route", "GET", "/nope/nothing", ``, 404, "no route"},
		{"wrong method", "PUT", "/threads", `{}`, 405, "POST"},
		{"wrong method on a run", "PUT", "/threads/" + tid + "/runs/" + missing, `{}`, 405, "GET"},
		{"check-url no body", "POST", "/hooklab/check-url", ``, 422, "request body"},
		{"cron patch bad interrupt_before", "PATCH", "/runs/crons/" + cron.CronID, `{"interrupt_before":5}`, 422, "interrupt_before"},
		{"cron patch bad configurable", "PATCH", "/runs/crons/" + cron.CronID, `{"config":{"configurable":"s"}}`, 422, "config.configurable"},
		{"cron patch bad context", "PATCH", "/runs/crons/" + cron.CronID, `{"context":5}`, 422, "context"},
		{"cron patch bad multitask", "PATCH", "/runs/crons/" + cron.CronID, `{"multitask_strategy":"bogus"}`, 422, "multitask_strategy"},
		{"cron patch bad stream_mode", "PATCH", "/runs/crons/" + cron.CronID, `{"stream_mode":"bogus"}`, 422, "stream_mode"},
		{"cron patch unknown assistant", "PATCH", "/runs/crons/" + cron.CronID, `{"assistant_id":"nope"}`, 404, "nope"},
		{"cron metadata wrong type names the key", "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"* * * * *","metadata":[]}`, 422, `"metadata"`},
		{"cron @every", "POST", "/runs/crons", `{"assistant_id":"agent","schedule":"@every 1s"}`, 422, "schedule"},
		{"command wrong type", "POST", "/runs", `{"assistant_id":"agent","command":"x"}`, 422, "command"},
		{"feedback_keys wrong type", "POST", "/runs", `{"assistant_id":"agent","feedback_keys":5}`, 422, "feedback_keys"},
		{"invalid UTF-8", "POST", "/runs", "{\"assistant_id\":\"agent\",\"input\":{\"x\":\"\xff\xfe\"}}", 422, "UTF-8"},
		{"uppercase duplicate thread", "POST", "/threads", `{"thread_id":"` + strings.ToUpper(tid) + `"}`, 409, "if_exists"},
		{"cancel many bad id", "POST", "/runs/cancel", `{"run_ids":["abc"]}`, 422, "run_ids[0]"},
		{"empty path segment", "POST", "//runs", `{"assistant_id":"agent"}`, 404, "segment"},
		{"dot path segment", "POST", "/threads/x/../../runs", `{"assistant_id":"agent"}`, 404, "segment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := ts.do(t, c.method, c.path, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %s", status, c.status, body)
			}
			var e struct{ Detail string }
			if err := json.Unmarshal(body, &e); err != nil || e.Detail == "" {
				t.Fatalf("answer is not {\"detail\": ...}: %s", body)
			}
			if !strings.Contains(e.Detail, c.field) {
				t.Errorf("detail %q does not name %q", e.Detail, c.field)
			}
			if code, _, _ := ts.do(t, "GET", "/ok", nil); code != http.StatusOK {
				t.Fatalf("server stopped answering /ok after %s", c.name)
			}
		})
	}
}

// TestOversizedBodies: with and without Content-Length, a body over the
// limit is a 413 the client can read (the rest is drained), and the next
// request is served normally.
func TestOversizedBodies(t *testing.T) {
	ts := mustStart(t, withMaxBody(1<<20))
	big := bytes.Repeat([]byte("x"), 3<<20)
	for _, chunked := range []bool{false, true} {
		var body io.Reader = bytes.NewReader(big)
		if chunked {
			pr, pw := io.Pipe()
			go func() { pw.Write(big); pw.Close() }()
			body = pr
		}
		req, _ := http.NewRequest("POST", ts.URL+"/runs", body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(out), "--max-body") {
			t.Errorf("chunked=%v: %d %s", chunked, resp.StatusCode, out)
		}
		ts.mustDo(t, "GET", "/ok", nil, 200, nil)
		ts.mustDo(t, "POST", "/runs/wait", runBodyWith("", nil), 200, nil)
	}
}

// TestOversizedBodyWithExpectContinue: a client that sends only its headers
// and waits for "100 Continue" gets the 413 at once, on /runs and on
// hooklab's own routes. (It once waited for a body that never came.)
func TestOversizedBodyWithExpectContinue(t *testing.T) {
	ts := mustStart(t, withMaxBody(1<<20))
	addr := strings.TrimPrefix(ts.URL, "http://")
	for _, path := range []string{"/runs", "/hooklab/sink/x"} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", path, 60<<20)
		// A bound, not a speed claim: the drain that waited here is 30 s.
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: no answer without the body: %v", path, err)
		}
		out, _ := io.ReadAll(resp.Body)
		conn.Close()
		if resp.StatusCode != 413 || !strings.Contains(string(out), `"detail"`) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, out)
		}
	}

	// Chunked, so refused while being read: Go sent "100 Continue", the
	// client streams its body, and it must be able to finish writing it and
	// read the 413 (not a reset).
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n")
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("chunked: want 100 Continue first: %v %v", resp, err)
	}
	wrote := make(chan error, 1)
	go func() {
		chunk := fmt.Sprintf("%x\r\n%s\r\n", 64<<10, bytes.Repeat([]byte("x"), 64<<10))
		for range 128 { // 8 MiB against a 1 MiB limit
			if _, err := io.WriteString(conn, chunk); err != nil {
				wrote <- err
				return
			}
		}
		_, err := io.WriteString(conn, "0\r\n\r\n")
		wrote <- err
	}()
	resp, err = http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 413 {
		t.Fatalf("chunked: %v %v", resp, err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("chunked: the client could not finish its body: %v", err)
	}
	ts.mustDo(t, "GET", "/ok", nil, 200, nil)
}

// TestUppercaseIDsNameTheSameObjects: ids are UUIDs, so case does not make
// a new object (the platform parses them as UUIDs).
func TestUppercaseIDsNameTheSameObjects(t *testing.T) {
	ts := mustStart(t)
	up := "D84E118F-1F6B-4E5A-9C1D-0A1B2C3D4E5F"
	var th engine.Thread
	ts.mustDo(t, "POST", "/threads", map[string]any{"thread_id": up}, 200, &th)
	if th.ThreadID != strings.ToLower(up) {
		t.Fatalf("thread_id %q, want it lowercased", th.ThreadID)
	}
	ts.mustDo(t, "POST", "/threads/"+up+"/runs/wait", map[string]any{"assistant_id": "agent"}, 200, nil)
	var runs []engine.Run
	ts.mustDo(t, "GET", "/threads/"+strings.ToLower(up)+"/runs", nil, 200, &runs)
	if len(runs) != 1 {
		t.Fatalf("runs on the lowercase thread: %d, want 1", len(runs))
	}
	ts.mustDo(t, "GET", "/threads/"+up+"/runs/"+strings.ToUpper(runs[0].RunID), nil, 200, nil)
	ts.mustDo(t, "GET", "/assistants/"+strings.ToUpper(engine.SystemAssistantID("agent")), nil, 200, nil)
}

// TestThreadAliasIsFlagged: /thread/ works and the event says it is not the platform's path.
func TestThreadAliasIsFlagged(t *testing.T) {
	ts := mustStart(t)
	tid := newThreadID(t, ts)
	sub := ts.Hub.Subscribe(t.Context(), 0)
	ts.mustDo(t, "POST", "/thread/"+tid+"/runs/wait", runBodyWith("", nil), 200, nil)
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-sub.C():
			if e.Kind != "request" {
				continue
			}
			var info struct{ Path, NonStandard string }
			json.Unmarshal(e.Payload, &info)
			if !strings.HasSuffix(info.Path, "/runs/wait") {
				continue
			}
			if info.NonStandard == "" || !strings.HasPrefix(info.Path, "/threads/") {
				t.Fatalf("alias request event %s", e.Payload)
			}
			return
		case <-deadline:
			t.Fatal("no request event")
		}
	}
}

// TestSearchPagination: the search routes say how many match and, when
// there is another page, where it starts, as the SDK's includePagination
// reads them.
func TestSearchPagination(t *testing.T) {
	ts := mustStart(t)
	for range 5 {
		ts.mustDo(t, "POST", "/threads", map[string]any{"metadata": map[string]string{"page": "test"}}, 200, nil)
	}
	for _, c := range []struct {
		offset      int
		total, next string
		rows        int
	}{{0, "5", "2", 2}, {2, "5", "4", 2}, {4, "5", "", 1}, {9, "5", "", 0}} {
		status, body, h := ts.do(t, "POST", "/threads/search", map[string]any{"metadata": map[string]string{"page": "test"}, "limit": 2, "offset": c.offset})
		var rows []map[string]any
		json.Unmarshal(body, &rows)
		if status != 200 || len(rows) != c.rows || h.Get("X-Pagination-Total") != c.total || h.Get("X-Pagination-Next") != c.next {
			t.Errorf("offset %d: %d, %d rows, total %q next %q; want %d rows, total %s next %q",
				c.offset, status, len(rows), h.Get("X-Pagination-Total"), h.Get("X-Pagination-Next"), c.rows, c.total, c.next)
		}
	}
	if _, _, h := ts.do(t, "POST", "/threads/search", map[string]any{"limit": 0}); h.Get("X-Pagination-Next") != "" {
		t.Errorf("limit 0: next %q, want none (a client following it would loop)", h.Get("X-Pagination-Next"))
	}
	if _, _, h := ts.do(t, "POST", "/assistants/search", map[string]any{"limit": 100}); h.Get("X-Pagination-Total") != "1" || h.Get("X-Pagination-Next") != "" {
		t.Errorf("assistants: total %q next %q", h.Get("X-Pagination-Total"), h.Get("X-Pagination-Next"))
	}
}

// TestInternalTruncate: the route test suites of the JS dev server call
// before each test empties what it names and nothing else; system
// assistants stay.
func TestInternalTruncate(t *testing.T) {
	ts := mustStart(t)
	var th struct {
		ThreadID string `json:"thread_id"`
	}
	ts.mustDo(t, "POST", "/threads", map[string]any{}, 200, &th)
	ts.mustDo(t, "POST", "/threads/"+th.ThreadID+"/runs/wait", map[string]any{"assistant_id": "agent", "input": map[string]any{"messages": []string{"hi"}}}, 200, nil)
	ts.mustDo(t, "POST", "/assistants", map[string]any{"graph_id": "agent"}, 200, nil)
	ts.mustDo(t, "PUT", "/store/items", map[string]any{"namespace": []string{"a"}, "key": "k", "value": map[string]int{"v": 1}}, 204, nil)
	count := func(path string) int {
		var n int
		ts.mustDo(t, "POST", path, map[string]any{}, 200, &n)
		return n
	}
	items := func() int {
		var res struct {
			Items []any `json:"items"`
		}
		ts.mustDo(t, "POST", "/store/items/search", map[string]any{"namespace_prefix": []string{}}, 200, &res)
		return len(res.Items)
	}
	if count("/threads/count") != 1 || count("/assistants/count") != 2 || items() != 1 {
		t.Fatal("premise: the objects were not made")
	}

	// A web page may not: one simple request would empty the store on disk.
	for _, c := range []struct {
		hdr  map[string]string
		want int
	}{
		{map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, 403},
		{map[string]string{"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, 403},
		{map[string]string{"Content-Type": "text/plain"}, 415},
		{map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415},
	} {
		req, _ := http.NewRequest("POST", ts.URL+"/internal/truncate", strings.NewReader(`{"threads": true, "store": true}`))
		for k, v := range c.hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want || count("/threads/count") != 1 || items() != 1 {
			t.Fatalf("truncate with %v: %d (want %d), threads %d, items %d", c.hdr, resp.StatusCode, c.want, count("/threads/count"), items())
		}
	}

	ts.mustDo(t, "POST", "/internal/truncate", map[string]any{"checkpointer": true}, 200, nil)
	var hist []any
	ts.mustDo(t, "POST", "/threads/"+th.ThreadID+"/history", map[string]any{}, 200, &hist)
	if len(hist) != 0 || count("/threads/count") != 1 {
		t.Fatalf("checkpointer: %d checkpoints left, %d threads", len(hist), count("/threads/count"))
	}
	var ok map[string]bool
	ts.mustDo(t, "POST", "/internal/truncate", map[string]any{"threads": true, "assistants": true, "store": true, "checkpoint": true}, 200, &ok)
	if !ok["ok"] || count("/threads/count") != 0 || count("/assistants/count") != 1 || items() != 0 {
		t.Fatalf("after truncate: %v, threads %d, assistants %d (the system one stays), items %d",
			ok, count("/threads/count"), count("/assistants/count"), items())
	}
	ts.mustDo(t, "GET", "/assistants/agent", nil, 200, nil)
}

// TestLanggraphConfigEnv: LANGGRAPH_CONFIG (here from langgraph.json's
// env) gives a graph's system assistant its config and context, as both
// LangGraph servers read it; a value that does not read stops the start,
// naming the variable.
func TestLanggraphConfigEnv(t *testing.T) {
	f, err := config.Parse("langgraph.json", []byte(`{"graphs": {"agent": "x", "other": "y"},
		"env": {"LANGGRAPH_CONFIG": "{\"agent\": {\"configurable\": {\"model_name\": \"openai\"}, \"context\": {\"lang\": \"fr\"}}}"}}`))
	if err != nil {
		t.Fatal(err)
	}
	ts := mustStart(t, withRuntime(mustRuntime(t, f, nil)))
	var a struct {
		Config  map[string]any `json:"config"`
		Context map[string]any `json:"context"`
	}
	ts.mustDo(t, "GET", "/assistants/agent", nil, 200, &a)
	if a.Config["configurable"].(map[string]any)["model_name"] != "openai" || a.Context["lang"] != "fr" || a.Config["context"] != nil {
		t.Errorf("agent: config %v, context %v", a.Config, a.Context)
	}
	var other struct {
		Config map[string]any `json:"config"`
	}
	ts.mustDo(t, "GET", "/assistants/other", nil, 200, &other)
	if len(other.Config) != 0 {
		t.Errorf("other: config %v, want none", other.Config)
	}

	f, _ = config.Parse("langgraph.json", []byte(`{"graphs": {"agent": "x"}, "env": {"LANGGRAPH_CONFIG": "[1]"}}`))
	if _, err := New(Options{Live: liveRuntime(mustRuntime(t, f, nil))}); err == nil || !strings.Contains(err.Error(), "LANGGRAPH_CONFIG") {
		t.Errorf("a LANGGRAPH_CONFIG that does not read: %v", err)
	}
}
