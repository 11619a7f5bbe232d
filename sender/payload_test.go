package sender_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
)

// topKeys lists the top-level keys of a JSON object in order.
func topKeys(t *testing.T, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// sentAt is a fixed send time for payload comparisons.
func sentAt() time.Time { return time.Date(2024, 8, 30, 23, 7, 41, 5000, time.UTC) }

func TestPayloadSuccessExact(t *testing.T) {
	got := string(sender.Payload(sampleRun(), sentAt(), nil))
	want := `{"run_id":"1ef6a2e0-0000-6000-8000-000000000001","thread_id":"1ef6a2e0-0000-6000-8000-0000000000aa",` +
		`"assistant_id":"fe096781-5601-53d2-b2f6-0d3403f7e9ca","created_at":"2024-08-30T23:07:38.242730+00:00",` +
		`"updated_at":"2024-08-30T23:07:39.242730+00:00","metadata":{"source":"test"},"status":"success",` +
		`"kwargs":{"input":{"messages":[]}},"multitask_strategy":"enqueue","run_started_at":"2024-08-30T23:07:38.243730+00:00",` +
		`"run_ended_at":"2024-08-30T23:07:40.242730+00:00","webhook_sent_at":"2024-08-30T23:07:41.000005+00:00",` +
		`"values":{"messages":[{"type":"ai","content":"hi <b>&</b>"}]}}`
	if got != want {
		t.Fatalf("payload\n got %s\nwant %s", got, want)
	}
}

func TestPayloadStatuses(t *testing.T) {
	base := []string{"run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata", "status",
		"kwargs", "multitask_strategy", "run_started_at", "run_ended_at", "webhook_sent_at", "values"}
	cases := []struct {
		name   string
		edit   func(*sender.RunResult)
		keys   []string
		values string
		err    string
	}{
		{"success", func(*sender.RunResult) {}, base, `{"messages":[{"type":"ai","content":"hi <b>&</b>"}]}`, ""},
		{"error", func(r *sender.RunResult) {
			r.Status, r.Error = "error", &sender.RunError{Error: "ValueError", Message: "boom \"quoted\"\n"}
		}, append(slices.Clone(base), "error"), `{"messages":[{"type":"ai","content":"hi <b>&</b>"}]}`,
			`{"error":"ValueError","message":"boom \"quoted\"\n"}`},
		{"timeout", func(r *sender.RunResult) {
			r.Status, r.Error = "timeout", &sender.RunError{Error: "TimeoutError", Message: "run timed out"}
		}, append(slices.Clone(base), "error"), `{"messages":[{"type":"ai","content":"hi <b>&</b>"}]}`,
			`{"error":"TimeoutError","message":"run timed out"}`},
		{"interrupted", func(r *sender.RunResult) { r.Status = "interrupted" }, base,
			`{"messages":[{"type":"ai","content":"hi <b>&</b>"}]}`, ""},
		{"rollback", func(r *sender.RunResult) { r.Status, r.Values = "rollback", nil }, base, `null`, ""},
		{"stateless nil metadata", func(r *sender.RunResult) { r.Metadata, r.Kwargs, r.Values = nil, nil, nil }, base, `null`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := sampleRun()
			c.edit(&r)
			b := sender.Payload(r, sentAt(), nil)
			if !json.Valid(b) {
				t.Fatalf("invalid JSON: %s", b)
			}
			if got := topKeys(t, b); !slices.Equal(got, c.keys) {
				t.Fatalf("keys %v, want %v", got, c.keys)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if string(m["status"]) != `"`+r.Status+`"` {
				t.Errorf("status %s", m["status"])
			}
			if string(m["values"]) != c.values {
				t.Errorf("values %s, want %s", m["values"], c.values)
			}
			if c.err != "" && string(m["error"]) != c.err {
				t.Errorf("error %s, want %s", m["error"], c.err)
			}
			if r.Metadata == nil && (string(m["metadata"]) != "{}" || string(m["kwargs"]) != "{}") {
				t.Errorf("metadata %s kwargs %s, want {}", m["metadata"], m["kwargs"])
			}
		})
	}
}

func TestPayloadAllowedFields(t *testing.T) {
	r := sampleRun()
	r.Status, r.Error = "error", &sender.RunError{Error: "E", Message: "m"}
	b := sender.Payload(r, sentAt(), []string{"values", "error", "run_id", "status"})
	want := `{"run_id":"1ef6a2e0-0000-6000-8000-000000000001","status":"error",` +
		`"values":{"messages":[{"type":"ai","content":"hi <b>&</b>"}]},"error":{"error":"E","message":"m"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
}

func TestPayloadEscapes(t *testing.T) {
	r := sampleRun()
	r.Status = "a\x01b\tc\\d\xffé"
	b := sender.Payload(r, sentAt(), []string{"status"})
	if want := `{"status":"a\u0001b\tc\\d\ufffdé"}`; string(b) != want {
		t.Fatalf("got %s want %s", b, want)
	}
}

func TestSetSentAt(t *testing.T) {
	later := sentAt().Add(90 * time.Minute)
	orig := sender.Payload(sampleRun(), sentAt(), nil)
	got := sender.SetSentAt(orig, later)
	if want := sender.Payload(sampleRun(), later, nil); !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	pretty := []byte("{\n  \"a\": {\"webhook_sent_at\": 1},\n  \"webhook_sent_at\" :  \"x\",\n  \"z\": [1, 2]\n}")
	wantPretty := "{\n  \"a\": {\"webhook_sent_at\": 1},\n  \"webhook_sent_at\" :  \"2024-08-31T00:37:41.000005+00:00\",\n  \"z\": [1, 2]\n}"
	if got := sender.SetSentAt(pretty, later); string(got) != wantPretty {
		t.Fatalf("pretty: got %s", got)
	}
	for _, in := range []string{`{"run_id":"x"}`, `[1]`, `not json`, ``, `{"webhook_sent_at":null}`} {
		got := string(sender.SetSentAt([]byte(in), later))
		if in == `{"webhook_sent_at":null}` {
			if got != `{"webhook_sent_at":"2024-08-31T00:37:41.000005+00:00"}` {
				t.Errorf("%q -> %q", in, got)
			}
			continue
		}
		if got != in {
			t.Errorf("%q changed to %q", in, got)
		}
	}
}

func BenchmarkPayload(b *testing.B) {
	r := sampleRun()
	b.ReportAllocs()
	for b.Loop() {
		_ = sender.Payload(r, sentAt(), nil)
	}
}

// TestJobBodyRenderedOnce: a job's body is rendered when it is queued and
// only its send time is written over at the first attempt; the result is
// byte for byte the payload rendered at that time, with and without
// allowed_fields, and the pending record keeps its own bytes.
func TestJobBodyRenderedOnce(t *testing.T) {
	queued := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
	sent := queued.Add(1500 * time.Millisecond)
	run := sender.RunResult{RunID: "r", ThreadID: "t", AssistantID: "a", Status: "success", CreatedAt: queued, UpdatedAt: queued,
		Kwargs: json.RawMessage(`{"input": {"x": "webhook_sent_at"}}`), Values: json.RawMessage(`{"m":[]}`)}
	for _, allowed := range [][]string{nil, {"run_id", "webhook_sent_at", "values"}, {"run_id", "status"}} {
		s := sender.New(sender.Options{Runtime: func() *config.Runtime { return &config.Runtime{AllowedFields: allowed} }})
		first, pending := sender.JobBody(s, sender.Job{URL: "http://127.0.0.1:9/h", Run: run}, queued, sent)
		if want := sender.Payload(run, sent, allowed); !bytes.Equal(first, want) {
			t.Errorf("allowed %v: first attempt sends\n%s\nwant\n%s", allowed, first, want)
		}
		if want := sender.Payload(run, queued, allowed); !bytes.Equal(pending, want) {
			t.Errorf("allowed %v: pending record holds\n%s\nwant\n%s", allowed, pending, want)
		}
	}
}
