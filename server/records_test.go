package server

import (
	"bytes"
	"context"
	"testing"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// TestRunRecordsHoldEachThingOnce: a run with a webhook records one
// URL-policy decision (at creation, without its checks, which the delivery
// keeps), an attempt event without the body (the delivery holds it, and
// gives it back in its attempt log), and its thread and webhook on its
// first run event only.
func TestRunRecordsHoldEachThingOnce(t *testing.T) {
	ts := mustStart(t)
	var run struct {
		RunID string `json:"run_id"`
	}
	ts.mustDo(t, "POST", "/runs", `{"assistant_id":"agent","webhook":"/hooklab/sink/once","input":{"messages":[{"role":"user","content":"hi"}]}}`, 200, &run)
	d := ts.waitDelivery(t, run.RunID)
	if err := ts.Store.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d.Decision == nil || !d.Decision.Allowed || len(d.Decision.Checks) == 0 {
		t.Fatalf("the delivery's decision: %+v", d.Decision)
	}
	if len(d.AttemptLog) != 1 || !bytes.Equal(d.AttemptLog[0].RequestBody, d.Body) || len(d.AttemptLog[0].RequestHeaders) == 0 {
		t.Fatalf("the delivery's attempt log: %+v", d.AttemptLog)
	}
	evs, err := ts.Store.Events(context.Background(), store.Query{Kinds: []hub.Kind{hub.KindDecision, hub.KindAttempt, hub.KindRun}})
	if err != nil {
		t.Fatal(err)
	}
	var decisions, attempts, runs int
	for _, e := range evs {
		switch e.Kind {
		case hub.KindDecision:
			var p hub.DecisionInfo
			_ = e.Decode(&p)
			decisions++
			if p.Stage != "create" || !p.Decision.Allowed || p.Decision.URL != "/hooklab/sink/once" || len(p.Decision.Checks) != 0 {
				t.Errorf("decision event %s", e.Payload)
			}
		case hub.KindAttempt:
			var p hub.AttemptInfo
			_ = e.Decode(&p)
			attempts++
			if p.RequestBody != nil || p.DeliveryID != d.ID || p.Status != 200 {
				t.Errorf("attempt event %s", e.Payload)
			}
		case hub.KindRun:
			var p hub.RunInfo
			_ = e.Decode(&p)
			if p.RunID != run.RunID {
				continue
			}
			first := runs == 0
			runs++
			if got := p.ThreadID != "" && p.AssistantID != "" && p.Webhook != ""; got != first {
				t.Errorf("run event %d %s: thread, assistant and webhook only on the first", runs, e.Payload)
			}
		}
	}
	if decisions != 1 || attempts != 1 || runs != 3 {
		t.Errorf("%d decision, %d attempt and %d run events, want 1, 1 and 3", decisions, attempts, runs)
	}
}
