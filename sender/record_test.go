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
