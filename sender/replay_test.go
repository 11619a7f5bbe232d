package sender_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/store"
)

func secretRuntime(value string) *config.Runtime {
	return &config.Runtime{Headers: []config.ResolvedHeader{
		{Name: "Authorization", Value: value, Masked: config.Mask(value), Secret: true},
		{Name: "X-Static", Value: "abc"},
	}}
}

// replayFixture delivers one webhook to a receiver and returns what is
// needed to replay it.
func replayFixture(t *testing.T) (*sender.Sender, *testRecorder, *swappable, *receiver, sender.Delivery) {
	t.Helper()
	rt := newSwappable(secretRuntime("Bearer first-secret"))
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, rt.get))
	rv := newReceiver(t)
	orig := waitFinal(t, rec, mustSend(t, s, rv.URL+"/hook?q=1", sampleRun()))
	if orig.Outcome != sender.OutcomeDelivered {
		t.Fatalf("original %+v", orig)
	}
	return s, rec, rt, rv, orig
}

func replay(t *testing.T, s *sender.Sender, r sender.Replay) sender.Delivery {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := s.Replay(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReplayAsIsReResolvesSecrets(t *testing.T) {
	s, rec, rt, rv, orig := replayFixture(t)
	// The environment changed since: the replay must use the value in force now.
	rt.p.Store(secretRuntime("Bearer second-secret"))
	d := replay(t, s, sender.Replay{ID: orig.ID})
	if d.Outcome != sender.OutcomeDelivered || d.ReplayOf != orig.ID || d.ID == orig.ID || d.URL != orig.URL || d.RunID != orig.RunID {
		t.Fatalf("replay %+v", d)
	}
	reqs := rv.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	first, again := reqs[0], reqs[1]
	if again.URL != "/hook?q=1" || again.Header.Get("Authorization") != "Bearer second-secret" || again.Header.Get("X-Static") != "abc" {
		t.Fatalf("replayed request %+v", again)
	}
	if !jsonEqual(sender.SetSentAt(again.Body, sentAt()), sender.SetSentAt(first.Body, sentAt())) || string(again.Body) == string(first.Body) {
		t.Fatalf("replayed body should differ only in webhook_sent_at:\n%s\n%s", first.Body, again.Body)
	}
	stored, err := rec.Delivery(context.Background(), d.ID)
	if err != nil || stored.ReplayOf != orig.ID || stored.Outcome != sender.OutcomeDelivered {
		t.Fatalf("stored replay %+v %v", stored, err)
	}
	if ds := rec.decisions(t, d.ID); len(ds) != 1 || ds[0].Stage != "replay" {
		t.Errorf("decisions %+v", ds)
	}
	if dump := rec.dump(t); strings.Contains(dump, "first-secret") || strings.Contains(dump, "second-secret") {
		t.Fatal("a secret reached the recorder")
	}
}

func TestReplayToAnotherURL(t *testing.T) {
	s, _, _, rv, orig := replayFixture(t)
	other := newReceiver(t)
	d := replay(t, s, sender.Replay{ID: orig.ID, URL: other.URL + "/elsewhere"})
	if d.Outcome != sender.OutcomeDelivered || d.URL != other.URL+"/elsewhere" {
		t.Fatalf("replay %+v", d)
	}
	if rv.hits.Load() != 1 || other.hits.Load() != 1 {
		t.Fatalf("hits: original %d, other %d", rv.hits.Load(), other.hits.Load())
	}
	if got := other.requests()[0]; got.Header.Get("Authorization") != "Bearer first-secret" {
		t.Errorf("headers %v", got.Header)
	}
}

func TestReplayEditedBodyAndHeaders(t *testing.T) {
	s, _, _, rv, orig := replayFixture(t)
	d := replay(t, s, sender.Replay{
		ID:   orig.ID,
		Body: json.RawMessage("{\n  \"run_id\": \"edited\",\n  \"status\": \"error\"\n}"),
		Headers: []sender.Header{
			{Name: "x-static", Value: "changed"},
			{Name: "X-Extra", Value: "1"},
		},
	})
	if d.Outcome != sender.OutcomeDelivered {
		t.Fatalf("replay %+v", d)
	}
	got := rv.requests()[1]
	if string(got.Body) != `{"run_id":"edited","status":"error"}` {
		t.Errorf("body %s", got.Body)
	}
	if got.Header.Get("X-Static") != "changed" || got.Header.Get("X-Extra") != "1" || got.Header.Get("Authorization") != "Bearer first-secret" {
		t.Errorf("headers %v", got.Header)
	}
	want := []string{"Content-Type", "Authorization", "x-static", "User-Agent", "X-Extra"}
	for i, h := range d.Headers {
		if i >= len(want) || h.Name != want[i] {
			t.Fatalf("recorded headers %v, want names %v", d.Headers, want)
		}
	}
	if _, err := s.Replay(context.Background(), sender.Replay{ID: orig.ID, Body: json.RawMessage(`{"broken"`)}); err == nil {
		t.Error("invalid body accepted")
	}
	if _, err := s.Replay(context.Background(), sender.Replay{ID: orig.ID, Headers: []sender.Header{{Name: "Bad Name", Value: "x"}}}); err == nil {
		t.Error("invalid header name accepted")
	}
}

func TestReplayRefusedTarget(t *testing.T) {
	s, rec, rt, rv, orig := replayFixture(t)
	next := secretRuntime("Bearer first-secret")
	next.Policy = config.Policy{AllowedDomains: explicit([]string{"*.example.com"})}
	rt.p.Store(next)
	d, err := s.Replay(context.Background(), sender.Replay{ID: orig.ID})
	if err != nil {
		t.Fatalf("a refused target is an outcome, not an error: %v", err)
	}
	if d.Outcome != sender.OutcomeRefused || d.Reason != "Webhook domain not allowed" || d.Attempts != 0 || rv.hits.Load() != 1 {
		t.Fatalf("replay %+v (hits %d)", d, rv.hits.Load())
	}
	if ds := rec.decisions(t, d.ID); len(ds) != 1 || ds[0].Stage != "replay" || ds[0].Decision.Rule != config.RuleDomain {
		t.Errorf("decisions %+v", ds)
	}
}

func TestReplayUnknownAndLostSecret(t *testing.T) {
	s, _, rt, _, orig := replayFixture(t)
	if _, err := s.Replay(context.Background(), sender.Replay{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown id: %v", err)
	}
	rt.p.Store(&config.Runtime{})
	if _, err := s.Replay(context.Background(), sender.Replay{ID: orig.ID}); err == nil || !strings.Contains(err.Error(), "Authorization") {
		t.Fatalf("secret header no longer configured: %v", err)
	}
}

func TestReplayRetriesLikeAFirstDelivery(t *testing.T) {
	s, _, _, _, orig := replayFixture(t)
	flaky := newReceiver(t, 500, 502, 200)
	d := replay(t, s, sender.Replay{ID: orig.ID, URL: flaky.URL})
	if d.Outcome != sender.OutcomeDelivered || d.Attempts != 3 || len(d.AttemptLog) != 3 {
		t.Fatalf("replay %s %d", d.Outcome, d.Attempts)
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
