package sender_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
)

// templatedRuntime resolves a config whose Authorization header is the
// template tmpl, with every LG_WEBHOOK_ variable set to value.
func templatedRuntime(t *testing.T, tmpl, value string) *config.Runtime {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"graphs": map[string]string{"a": "x"}, "webhooks": map[string]any{
		"headers": map[string]string{"Authorization": tmpl, "X-Static": "abc"},
		"url":     map[string]any{"require_https": false},
	}})
	f, err := config.Parse("langgraph.json", doc)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := config.Resolve(f, func(k string) (string, bool) { return value, strings.HasPrefix(k, "LG_WEBHOOK_") })
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

// TestDeliveryKeepsItsTemplatesAndOrigin: a delivery keeps the header
// templates in force when it was made (a replay, those in force then),
// and a relative one the address of the hooklab it went to.
func TestDeliveryKeepsItsTemplatesAndOrigin(t *testing.T) {
	rt := newSwappable(templatedRuntime(t, "Bearer ${{ env.LG_WEBHOOK_TOKEN }}", "first-secret-value"))
	rec := newRecorder(t)
	if err := rec.SetOwnerAddr("127.0.0.1:4321"); err != nil {
		t.Fatal(err)
	}
	o := fastOptions(rec, rt.get)
	o.Local = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	s := mustStart(t, o)
	rv := newReceiver(t)

	abs := waitFinal(t, rec, mustSend(t, s, rv.URL+"/hook", sampleRun()))
	want := []config.Header{{Name: "Authorization", Template: "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}}
	if !reflect.DeepEqual(abs.HeaderTemplates, want) || abs.Origin != "" {
		t.Fatalf("absolute delivery: templates %+v, origin %q", abs.HeaderTemplates, abs.Origin)
	}
	rel := waitFinal(t, rec, mustSend(t, s, "/hooklab/sink/x?q=1", sampleRun()))
	if rel.Outcome != sender.OutcomeDelivered || rel.Origin != "http://127.0.0.1:4321" || !reflect.DeepEqual(rel.HeaderTemplates, want) {
		t.Fatalf("relative delivery: %+v", rel)
	}

	// The config changed since: the replay records the template it used,
	// and the original keeps its own.
	rt.p.Store(templatedRuntime(t, "Token ${{ env.LG_WEBHOOK_OTHER }}", "second-secret-value"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rep, err := s.Replay(ctx, sender.Replay{ID: rel.ID})
	if err != nil || rep.Origin != "http://127.0.0.1:4321" ||
		!reflect.DeepEqual(rep.HeaderTemplates, []config.Header{{Name: "Authorization", Template: "Token ${{ env.LG_WEBHOOK_OTHER }}"}}) {
		t.Fatalf("replay: %+v, %v", rep, err)
	}
	if back, _ := rec.Delivery(ctx, abs.ID); !reflect.DeepEqual(back.HeaderTemplates, want) {
		t.Fatalf("stored original: %+v", back.HeaderTemplates)
	}
	// A header replaced by a literal value is no secret: no template.
	rep, err = s.Replay(ctx, sender.Replay{ID: abs.ID, Headers: []sender.Header{{Name: "Authorization", Value: "Bearer typed"}}})
	if err != nil || rep.HeaderTemplates != nil || rep.Origin != "" {
		t.Fatalf("replay with a literal header: %+v, %v", rep, err)
	}
	if dump := rec.dump(t); strings.Contains(dump, "first-secret-value") || strings.Contains(dump, "second-secret-value") {
		t.Fatal("a secret reached the store")
	}
}

func TestDiffReplay(t *testing.T) {
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	orig := sender.Delivery{ID: "aaaaaaaa-1111", URL: "http://127.0.0.1:9/h", Outcome: sender.OutcomeFailed,
		Headers: []sender.Header{{Name: "Authorization", Value: "Bear…"}}, Body: json.RawMessage(`{"a":1}`),
		AttemptLog: []sender.Attempt{{URL: "http://127.0.0.1:9/h", RequestHeaders: []sender.Header{{Name: "Authorization", Value: "Bear…"}},
			RequestBody: json.RawMessage(`{"a":1}`), Status: 500, ResponseHeaders: []sender.Header{{Name: "Content-Type", Value: "text/plain"}},
			ResponseBody: "boom", StartedAt: at}}}
	rep := orig
	rep.ID, rep.Outcome, rep.ReplayOf = "bbbbbbbb-2222", sender.OutcomeDelivered, orig.ID
	rep.AttemptLog = []sender.Attempt{orig.AttemptLog[0]}
	rep.AttemptLog[0].RequestBody, rep.AttemptLog[0].Status, rep.AttemptLog[0].ResponseBody = json.RawMessage(`{"a":2}`), 200, `{"ok":true}`

	d := sender.DiffReplay(orig, rep)
	wantOrig := "POST http://127.0.0.1:9/h\nAuthorization: Bear…\n\n{\n  \"a\": 1\n}\n\n=== response: failed 500\nContent-Type: text/plain\n\nboom\n"
	if d.Original != wantOrig {
		t.Fatalf("original text:\n%q\nwant\n%q", d.Original, wantOrig)
	}
	for _, s := range []string{"--- original aaaaaaaa\n", "+++ replay bbbbbbbb\n", "-  \"a\": 1\n", "+  \"a\": 2\n",
		"-=== response: failed 500\n", "+=== response: delivered 200\n", "-boom\n", "+{\n+  \"ok\": true\n+}\n"} {
		if !strings.Contains(d.Unified, s) {
			t.Errorf("diff lacks %q:\n%s", s, d.Unified)
		}
	}
	if d.Text() != d.Unified {
		t.Fatal("Text of a diff is not the diff")
	}
	same := sender.DiffReplay(orig, orig)
	if same.Unified != "" || same.Text() != "(request and response are identical)\n" {
		t.Fatalf("identical: %+v", same)
	}
	// Nothing sent yet: the stored request, and the outcome alone.
	pending := sender.Delivery{URL: "/x", Outcome: sender.OutcomePending, Body: json.RawMessage(`null`)}
	if got := sender.DeliveryText(pending); got != "POST /x\n\nnull\n\n=== response: pending\n" {
		t.Fatalf("pending text %q", got)
	}
}
