package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestSSEWireFormat checks CRLF framing, ids and the Location headers.
func TestSSEWireFormat(t *testing.T) {
	ts := mustStart(t)
	tid := newThreadID(t, ts)
	body := runBodyWith("", map[string]any{"fail": "nope"})
	body["stream_mode"] = []string{"values", "updates"}
	body["stream_resumable"] = true
	b, _ := json.Marshal(body)
	resp, err := http.Post(ts.URL+"/threads/"+tid+"/runs/stream", "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	loc, cloc := resp.Header.Get("Location"), resp.Header.Get("Content-Location")
	if !strings.HasPrefix(cloc, "/threads/"+tid+"/runs/") || loc != cloc+"/stream" {
		t.Errorf("Location %q Content-Location %q", loc, cloc)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Errorf("content type %q", resp.Header.Get("Content-Type"))
	}
	s := string(raw)
	if !strings.HasPrefix(s, "event: metadata\r\ndata: {\"run_id\":\"") || !strings.Contains(s, "\",\"attempt\":1}\r\n") || !strings.Contains(s, "\r\nid: 1\r\n\r\n") {
		t.Errorf("first event framing wrong:\n%q", s)
	}
	if !strings.Contains(s, "event: error\r\ndata: {\"error\":\"ValueError\",\"message\":\"nope\"}\r\n") {
		t.Errorf("no final error event:\n%q", s)
	}
	if strings.Contains(strings.ReplaceAll(s, "\r\n", ""), "\n") {
		t.Errorf("bare LF in stream:\n%q", s)
	}
}

// TestWaitKeepAlive: /wait writes a newline per heartbeat while it waits.
func TestWaitKeepAlive(t *testing.T) {
	ts := mustStart(t) // heartbeat 200 ms in tests
	status, out, hdr := ts.do(t, "POST", "/runs/wait", runBodyWith("", map[string]any{"sleep_ms": 450}))
	if status != 200 || !strings.HasPrefix(string(out), "\n") || !strings.HasSuffix(hdr.Get("Location"), "/join") {
		t.Fatalf("status %d body %q location %q", status, out, hdr.Get("Location"))
	}
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil || v["messages"] == nil {
		t.Fatalf("wait body %q: %v", out, err)
	}
}
