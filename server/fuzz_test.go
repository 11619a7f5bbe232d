package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hooklab/config"
	"hooklab/server/engine"
)

// FuzzRequestDecoding sends arbitrary bodies to the run, thread, cron and
// assistant routes: a client's mistake is never a 5xx (the SDKs re-send on
// 5xx, duplicating runs) and never a panic.
func FuzzRequestDecoding(f *testing.F) {
	for _, seed := range []string{
		`{"assistant_id":"agent","input":{"messages":[{"role":"user","content":"hi"}]}}`,
		`{"assistant_id":"agent","stream_mode":["values","events"],"webhook":"/hooklab/sink/x"}`,
		`{"assistant_id":"agent","config":{"configurable":{"fail":"x"}},"interrupt_before":"*"}`,
		`{"assistant_id":"agent","schedule":"*/5 * * * *","timezone":"UTC","end_time":"2030-01-01T00:00:00Z"}`,
		`[{"assistant_id":"agent"}]`, `{"graph_id":"agent","metadata":{"a":[1,{"b":null}]}}`,
		`{"assistant_id":"agent","after_seconds":1e308}`, `{"assistant_id":"agent","webhook":"http://[::1]:0/"}`,
		`{"thread_id":"00000000-0000-4000-8000-000000000000","if_exists":"do_nothing"}`, `null`, `"x"`, `{`,
		`{"assistant_id":"agent","command":{"update":[["k",1]],"goto":[{"node":"echo","input":{}}],"resume":1}}`,
		`{"assistant_id":"agent","context":{"a":1},"config":{"configurable":{"b":2},"recursion_limit":1}}`,
		`{"assistant_id":"agent","checkpoint":{"checkpoint_id":"x"},"checkpoint_id":"y"}`,
		`{"metadata":{"graph_id":"agent"},"supersteps":[{"updates":[{"as_node":"__input__","values":{"messages":["a"]}},{"as_node":"echo","command":{"goto":"echo"}}]}]}`,
		`{"values":[{"messages":[{"type":"remove","id":"__remove_all__"}]}],"as_node":"echo","checkpoint":{"checkpoint_id":"z"}}`,
		`{"limit":2,"before":{"configurable":{"checkpoint_id":"x"}},"metadata":{"source":"loop"},"checkpoint":{"checkpoint_ns":""}}`,
		`{"namespace":["a","b"],"key":"k","value":{"n":1},"index":["n"],"ttl":5}`,
		`{"namespace_prefix":["a"],"filter":{"n":{"$gt":0,"$ne":3}},"limit":0,"offset":1}`,
		`{"prefix":["a","*"],"suffix":["b"],"max_depth":1,"limit":5}`, `{"version":1,"metadata":{},"limit":1000}`,
	} {
		f.Add([]byte(seed))
	}
	rt, err := config.Resolve(config.Default(), func(string) (string, bool) { return "", false })
	if err != nil {
		f.Fatal(err)
	}
	srv, err := New(Options{Live: liveRuntime(rt), MaxBody: 1 << 20})
	if err != nil {
		f.Fatal(err)
	}
	srv.Start()
	f.Cleanup(func() { srv.Close(f.Context()) })
	h := srv.Handler()
	th, err := srv.eng.CreateThread(engine.ThreadRequest{Metadata: map[string]any{"graph_id": "agent"}})
	if err != nil {
		f.Fatal(err)
	}
	tid := th.ThreadID
	routes := []string{"/runs", "/runs/batch", "/runs/crons", "/threads", "/assistants", "/threads/search", "/runs/crons/search", "/runs/cancel",
		"/threads/" + tid + "/state", "/threads/" + tid + "/history", "/threads/" + tid + "/state/checkpoint", "/threads/" + tid + "/runs",
		"/assistants/agent/versions", "/assistants/agent/latest", "/store/items/search", "/store/namespaces",
		"PUT /store/items", "DELETE /store/items"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, route := range routes {
			method, path, ok := strings.Cut(route, " ")
			if !ok {
				method, path = http.MethodPost, route
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(method, path, bytes.NewReader(body))
			req.Host = "127.0.0.1" // httptest says example.com, which the Host guard refuses
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
