package upstream

import (
	"strings"
	"testing"

	"hooklab/sender"
)

func TestObjectEdits(t *testing.T) {
	for _, c := range []struct{ in, key, want string }{
		{`{"a":1,"webhook":"x","b":2}`, "webhook", `{"a":1,"b":2}`},
		{`{"webhook":"x", "b":2}`, "webhook", `{"b":2}`},
		{`{"webhook":null}`, "webhook", `{}`},
		{"{\n  \"a\": [1, {\"webhook\": 1}],\n  \"webhook\": \"x\"\n}", "webhook", "{\n  \"a\": [1, {\"webhook\": 1}]\n}"},
		{`{"a":1}`, "webhook", `{"a":1}`},
	} {
		o, err := parseObject([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(o.without(c.key)); got != c.want {
			t.Errorf("without(%s) of %s = %s, want %s", c.key, c.in, got, c.want)
		}
	}
	o, _ := parseObject([]byte(`{"a":1,"on_completion":"delete"}`))
	if got := string(o.with("on_completion", []byte(`"keep"`))); got != `{"a":1,"on_completion":"keep"}` {
		t.Errorf("with (replace): %s", got)
	}
	o, _ = parseObject([]byte(`{"a":1}`))
	if got := string(o.with("on_completion", []byte(`"keep"`))); got != `{"on_completion":"keep","a":1}` {
		t.Errorf("with (insert): %s", got)
	}
	pretty := "{\n    \"stream_mode\": [\"values\"],\n    \"temporary\": false\n  }"
	if got := string(patchKwargs([]byte(pretty), restore{webhook: "http://h/<x>", temporary: true})); got != "{\n    \"stream_mode\": [\"values\"],\n    \"webhook\": \"http://h/<x>\",\n    \"temporary\": true\n  }" {
		t.Errorf("patchKwargs (pretty):\n%s", got)
	}
	if got := string(patchKwargs([]byte(`{"input":{}}`), restore{webhook: "u"})); got != `{"input":{},"webhook":"u"}` {
		t.Errorf("patchKwargs (no temporary): %s", got)
	}
	for _, bad := range []string{`[1]`, `{"a":}`, `{"a":1} x`, ``} {
		if _, err := parseObject([]byte(bad)); err == nil {
			t.Errorf("parseObject(%q) accepted", bad)
		}
	}
}

func TestOutcome(t *testing.T) {
	for _, c := range []struct {
		upstream, intent string
		started, abort   bool
		want             string
		send             bool
	}{
		{"success", "", true, true, "success", true},
		{"error", "", true, false, "error", true},
		{"error", "interrupt", true, true, "interrupted", true},
		{"error", "rollback", true, true, "rollback", true},
		{"error", "interrupt", true, false, "error", true}, // a real failure, cancel or not
		{"interrupted", "interrupt", false, true, "interrupted", false},
		{"interrupted", "interrupt", true, true, "interrupted", true},
		{"interrupted", "rollback", true, true, "rollback", true},
		{"timeout", "", true, false, "timeout", true},
		{"gone", "rollback", true, true, "rollback", true},
		{"gone", "rollback", false, true, "", false},
		{"gone", "", true, true, "", false},
	} {
		got, send := outcome(c.upstream, c.intent, c.started, c.abort)
		if got != c.want || send != c.send {
			t.Errorf("outcome(%s, %q, started %v, abort %v) = %s %v, want %s %v", c.upstream, c.intent, c.started, c.abort, got, send, c.want, c.send)
		}
	}
	if !abortLike(&sender.RunError{Error: "Error", Message: `"interrupt"`}) || abortLike(&sender.RunError{Error: "TypeError", Message: "boom"}) {
		t.Error("abortLike")
	}
}

func TestErrorSources(t *testing.T) {
	e := waitError([]byte(`{"__error__":{"error":"Error","message":"{\"error\":\"TypeError\",\"message\":\"agent failed\"}"}}`))
	if e == nil || e.Error != "TypeError" || e.Message != "agent failed" {
		t.Errorf("wait error: %+v", e)
	}
	if waitError([]byte(`{"messages":[]}`)) != nil || waitError([]byte("\n\n")) != nil {
		t.Error("a wait answer without __error__ gave an error")
	}
	for raw, want := range map[string]string{
		`"{\"message\":\"boom\",\"name\":\"TypeError\"}"`: "TypeError: boom",
		`"plain text"`:                           "Error: plain text",
		`{"error":"ValueError","message":"bad"}`: "ValueError: bad",
	} {
		if e := taskError([]byte(raw)); e == nil || e.Error+": "+e.Message != want {
			t.Errorf("taskError(%s) = %+v, want %s", raw, e, want)
		}
	}
	if taskError([]byte("null")) != nil {
		t.Error("taskError(null)")
	}
}

func TestSSEParser(t *testing.T) {
	var got []string
	p := sseParser{onEvent: func(name string, data []byte) { got = append(got, name+"="+string(data)) }}
	stream := "event: metadata\ndata: {\ndata:   \"run_id\": \"r\"\ndata: }\nid: 1\n\nevent: error\r\ndata: {\"error\":\"E\",\"message\":\"m\"}\r\n\r\n: comment\n\ndata: x\n\n"
	for i := 0; i < len(stream); i += 7 { // split anywhere
		p.feed([]byte(stream[i:min(i+7, len(stream))]))
	}
	want := []string{"metadata={\n  \"run_id\": \"r\"\n}", `error={"error":"E","message":"m"}`, "message=x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events %q, want %q", got, want)
	}
}

// TestChildStopsWholeGroup: Stop ends the child and what it started, even
// a process that ignores SIGTERM, and lines come through without ANSI.

func TestServesCrons(t *testing.T) {
	for in, want := range map[string]string{
		`{"version":"1","flags":{"assistants":true,"crons":false}}`: `{"version":"1","flags":{"assistants":true,"crons":true}}`,
		`{"flags":{"store":true}}`:                                  `{"flags":{"crons":true,"store":true}}`,
		`{"version":"1"}`:                                           `{"version":"1"}`,
		`{"flags":null}`:                                            `{"flags":null}`,
		`not json`:                                                  `not json`,
	} {
		if got := string(servesCrons([]byte(in))); got != want {
			t.Errorf("servesCrons(%s) = %s, want %s", in, got, want)
		}
	}
}
