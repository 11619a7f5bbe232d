package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"hooklab/config"
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
	routes := []string{"/runs", "/runs/batch", "/runs/crons", "/threads", "/assistants", "/threads/search", "/runs/crons/search", "/runs/cancel"}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, route := range routes {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, route, bytes.NewReader(body))
			req.Host = "127.0.0.1" // httptest says example.com, which the Host guard refuses
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", route, body, rec.Code, rec.Body.Bytes())
			}
		}
	})
}
