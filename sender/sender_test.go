package sender_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
)

func TestDeliverHeadersBodyAndMasking(t *testing.T) {
	const secret = "Bearer sekret-token-123"
	rt := &config.Runtime{Headers: []config.ResolvedHeader{
		{Name: "Authorization", Value: secret, Masked: config.Mask(secret), Secret: true},
		{Name: "X-Static", Value: "abc"},
	}}
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, func() *config.Runtime { return rt }))
	rv := newReceiver(t)
	id := mustSend(t, s, rv.URL+"/hook?token=q1&x=2", sampleRun())
	d := waitFinal(t, rec, id)
	if d.Outcome != sender.OutcomeDelivered || d.Attempts != 1 || d.Status != 200 {
		t.Fatalf("delivery %+v", d)
	}
	got := rv.requests()
	if len(got) != 1 {
		t.Fatalf("%d requests", len(got))
	}
	r := got[0]
	if r.Method != http.MethodPost || r.URL != "/hook?token=q1&x=2" {
		t.Errorf("request %s %s", r.Method, r.URL)
	}
	if r.Header.Get("Authorization") != secret || r.Header.Get("X-Static") != "abc" ||
		r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != "hooklab/test" {
		t.Errorf("headers %v", r.Header)
	}
	if string(sender.SetSentAt(r.Body, sentAt())) != string(sender.Payload(sampleRun(), sentAt(), nil)) {
		t.Errorf("body %s", r.Body)
	}
	if !jsonEqual(d.Body, r.Body) {
		t.Errorf("stored body %s differs from sent %s", d.Body, r.Body)
	}
	want := []sender.Header{
		{Name: "Content-Type", Value: "application/json"},
		{Name: "Authorization", Value: config.Mask(secret)},
		{Name: "X-Static", Value: "abc"},
		{Name: "User-Agent", Value: "hooklab/test"},
	}
	as := rec.attempts(t, id)
	if len(as) != 1 || !slices.Equal(as[0].RequestHeaders, want) || !slices.Equal(d.Headers, want) {
		t.Fatalf("recorded headers %v / %v, want %v", as, d.Headers, want)
	}
	if !slices.Equal(d.SecretHeaders, []string{"Authorization"}) {
		t.Errorf("secret headers %v", d.SecretHeaders)
	}
	if a := as[0]; a.Status != 200 || a.ResponseBody != `{"ok":true}` || a.Timing.TotalMS <= 0 || a.Timing.FirstByteMS <= 0 || a.Retry {
		t.Errorf("attempt %+v", a)
	}
	if strings.Contains(rec.dump(t), "sekret") {
		t.Fatal("secret header value reached the recorder")
	}
	if ds := rec.decisions(t, id); len(ds) != 1 || ds[0].Stage != "send" || !ds[0].Decision.Allowed {
		t.Errorf("decisions %+v", ds)
	}
}

func TestAllowedFieldsOnTheWire(t *testing.T) {
	rt := &config.Runtime{AllowedFields: []string{"run_id", "status", "values"}}
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, func() *config.Runtime { return rt }))
	rv := newReceiver(t)
	waitFinal(t, rec, mustSend(t, s, rv.URL, sampleRun()))
	body := rv.requests()[0].Body
	if got := topKeys(t, body); !slices.Equal(got, []string{"run_id", "status", "values"}) {
		t.Fatalf("keys %v in %s", got, body)
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name     string
		answers  []int
		outcome  string
		attempts int
		reason   string
	}{
		{"500 three times", []int{500}, sender.OutcomeFailed, 3, "gave up after 3 attempts: HTTP 500 Internal Server Error"},
		{"429 three times", []int{429}, sender.OutcomeFailed, 3, "gave up after 3 attempts: HTTP 429 Too Many Requests"},
		{"503 then 200", []int{503, 200}, sender.OutcomeDelivered, 2, ""},
		{"400 no retry", []int{400}, sender.OutcomeFailed, 1, "HTTP 400 Bad Request"},
		{"404 no retry", []int{404}, sender.OutcomeFailed, 1, "HTTP 404 Not Found"},
		{"204 ok", []int{204}, sender.OutcomeDelivered, 1, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := newRecorder(t)
			s := mustStart(t, fastOptions(rec, nil))
			rv := newReceiver(t, c.answers...)
			id := mustSend(t, s, rv.URL, sampleRun())
			d := waitFinal(t, rec, id)
			if d.Outcome != c.outcome || d.Attempts != c.attempts || d.Reason != c.reason || len(d.AttemptLog) != c.attempts {
				t.Fatalf("got %s/%d %q (log %d), want %s/%d %q", d.Outcome, d.Attempts, d.Reason, len(d.AttemptLog), c.outcome, c.attempts, c.reason)
			}
			if n := int(rv.hits.Load()); n != c.attempts {
				t.Fatalf("receiver saw %d requests", n)
			}
			as := rec.attempts(t, id)
			for i, a := range as {
				last := i == len(as)-1
				if a.Attempt != i+1 || a.Retry == last || (a.NextAttemptAt != nil) == last {
					t.Errorf("attempt %d: %+v", i+1, a)
				}
			}
			// A retry sends the first attempt's bytes, webhook_sent_at included.
			reqs := rv.requests()
			for _, r := range reqs[1:] {
				if string(r.Body) != string(reqs[0].Body) {
					t.Errorf("retry body differs: %s vs %s", r.Body, reqs[0].Body)
				}
			}
		})
	}
}

func TestTimeoutRetriesThenFails(t *testing.T) {
	release := make(chan struct{})
	rv := newReceiver(t)
	rv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rv.hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Timeout = 150 * time.Millisecond
	s := mustStart(t, o)
	d := waitFinal(t, rec, mustSend(t, s, rv.URL, sampleRun()))
	if d.Outcome != sender.OutcomeFailed || d.Attempts != 3 || d.Reason != "gave up after 3 attempts: timeout after 150ms (whole request)" {
		t.Fatalf("delivery %s %d %q", d.Outcome, d.Attempts, d.Reason)
	}
	if a := d.AttemptLog[0]; a.Error != "timeout after 150ms (whole request)" || a.Timing.TotalMS < 150 {
		t.Errorf("attempt %+v", a)
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, nil))
	d := waitFinal(t, rec, mustSend(t, s, "http://"+addr+"/hook", sampleRun()))
	if d.Outcome != sender.OutcomeFailed || d.Attempts != 3 || d.Reason != "gave up after 3 attempts: connection refused" {
		t.Fatalf("delivery %s %d %q", d.Outcome, d.Attempts, d.Reason)
	}
}

func TestDisableWebhooksSkips(t *testing.T) {
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, func() *config.Runtime { return &config.Runtime{DisableWebhooks: true} }))
	rv := newReceiver(t)
	d := waitFinal(t, rec, mustSend(t, s, rv.URL, sampleRun()))
	if d.Outcome != sender.OutcomeSkipped || d.Reason != "webhooks disabled (http.disable_webhooks is true)" || d.Attempts != 0 {
		t.Fatalf("delivery %+v", d)
	}
	if rv.hits.Load() != 0 {
		t.Fatal("a request was sent")
	}
}

// A receiver that fails and waits to retry must not hold up another
// delivery, even with a single worker.
func TestFailingReceiverDoesNotDelayAnother(t *testing.T) {
	bad := newReceiver(t, 500)
	good := newReceiver(t)
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Workers = 1
	o.Backoff = func(int) time.Duration { return 3 * time.Second }
	s := mustStart(t, o)
	badID := mustSend(t, s, bad.URL, sampleRun())
	waitFor(t, rec, badID, func(d sender.Delivery) bool { return d.Attempts == 1 })
	d := waitFinal(t, rec, mustSend(t, s, good.URL, sampleRun()))
	if d.Outcome != sender.OutcomeDelivered {
		t.Fatalf("good delivery %+v", d)
	}
	if b, _ := rec.Delivery(context.Background(), badID); b.Outcome != sender.OutcomePending || b.NextAttemptAt == nil {
		t.Fatalf("bad delivery should still be waiting to retry: %+v", b)
	}
}

// A hanging receiver holds one worker, not the pool.
func TestHangingReceiverDoesNotDelayAnother(t *testing.T) {
	release := make(chan struct{})
	slow := newReceiver(t)
	slow.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	good := newReceiver(t)
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Workers = 2
	o.Timeout = 10 * time.Second
	s := mustStart(t, o)
	slowID := mustSend(t, s, slow.URL, sampleRun())
	d := waitFinal(t, rec, mustSend(t, s, good.URL, sampleRun()))
	if d.Outcome != sender.OutcomeDelivered {
		t.Fatalf("good delivery %+v", d)
	}
	if b, _ := rec.Delivery(context.Background(), slowID); b.Outcome != sender.OutcomePending {
		t.Fatalf("slow delivery finished first: %+v", b)
	}
	close(release)
	waitFinal(t, rec, slowID)
}

func TestSendBackPressure(t *testing.T) {
	release := make(chan struct{})
	rv := newReceiver(t)
	rv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Workers, o.Queue = 1, 1
	s := mustStart(t, o)
	mustSend(t, s, rv.URL, sampleRun())
	mustSend(t, s, rv.URL, sampleRun())
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Send(ctx, sender.Job{URL: rv.URL, Run: sampleRun()}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Send with a full pool: %v", err)
	}
}

func TestQueryKeptAndEscapedAsTheRequestLineNeeds(t *testing.T) {
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, nil))
	rv := newReceiver(t)
	id := mustSend(t, s, rv.URL+"/hook?token=a%2Fb&q=b c&e=é&x=<1>", sampleRun())
	if d := waitFinal(t, rec, id); d.Outcome != sender.OutcomeDelivered {
		t.Fatalf("outcome %s: %s", d.Outcome, d.Reason)
	}
	if got := rv.requests()[0].URL; got != "/hook?token=a%2Fb&q=b%20c&e=%C3%A9&x=%3C1%3E" {
		t.Fatalf("receiver saw %q", got)
	}
	if q := "a=1&b=%20"; sender.EscapeQuery(q) != q {
		t.Fatalf("a valid query must go out as written, got %q", sender.EscapeQuery(q))
	}
}
