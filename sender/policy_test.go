package sender_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
)

// portOf is the port of an httptest server URL.
func portOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func TestRedirectFollowedAndRechecked(t *testing.T) {
	rv := newReceiver(t)
	final := rv.URL + "/final"
	mux := http.NewServeMux()
	mux.HandleFunc("/start", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, final, http.StatusTemporaryRedirect)
	})
	hop := httptest.NewServer(mux)
	defer hop.Close()
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, nil))
	id := mustSend(t, s, hop.URL+"/start", sampleRun())
	d := waitFinal(t, rec, id)
	if d.Outcome != sender.OutcomeDelivered || d.Attempts != 1 {
		t.Fatalf("delivery %+v", d)
	}
	if got := rv.requests(); len(got) != 1 || got[0].Method != http.MethodPost || len(got[0].Body) == 0 {
		t.Fatalf("final hop got %+v", got)
	}
	if a := d.AttemptLog[0]; len(a.Redirects) != 1 || a.Redirects[0] != final {
		t.Errorf("redirects %v", a.Redirects)
	}
	ds := rec.decisions(t, id)
	if len(ds) != 2 || ds[0].Stage != "send" || ds[1].Stage != "redirect" || ds[1].Decision.URL != final {
		t.Errorf("decisions %+v", ds)
	}
}

func TestRedirectIntoRefusedHost(t *testing.T) {
	rv := newReceiver(t)
	port := portOf(t, rv.URL)
	cases := []struct {
		name   string
		target string
		reason string
	}{
		{"domain not allowed", "http://127.0.0.1:" + port + "/x",
			"Webhook domain not allowed (redirect to http://127.0.0.1:" + port + "/x)"},
		{"cloud metadata", "http://169.254.169.254/latest/meta-data",
			"Webhook host blocked: cloud metadata address 169.254.169.254 (redirect to http://169.254.169.254/latest/meta-data)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var firstHop atomic.Int64
			hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				firstHop.Add(1)
				http.Redirect(w, r, c.target, http.StatusTemporaryRedirect)
			}))
			defer hop.Close()
			rt := policyRuntime(config.Policy{
				AllowedDomains:  explicit([]string{"*.hooks.test", "169.254.169.254"}),
				DisableLoopback: explicit(false),
			})
			res := &fakeResolver{table: map[string][]string{"in.hooks.test": {"127.0.0.1"}}}
			rec := newRecorder(t)
			o := fastOptions(rec, func() *config.Runtime { return rt })
			o.Resolver = res
			s := mustStart(t, o)
			id := mustSend(t, s, "http://in.hooks.test:"+portOf(t, hop.URL)+"/start", sampleRun())
			d := waitFinal(t, rec, id)
			if d.Outcome != sender.OutcomeRefused || d.Reason != c.reason || d.Attempts != 1 {
				t.Fatalf("got %s %d %q, want refused %q", d.Outcome, d.Attempts, d.Reason, c.reason)
			}
			if firstHop.Load() != 1 || rv.hits.Load() != 0 {
				t.Fatalf("hops: first %d, refused target %d", firstHop.Load(), rv.hits.Load())
			}
			ds := rec.decisions(t, id)
			if len(ds) != 2 || ds[1].Stage != "redirect" || ds[1].Decision.Allowed {
				t.Fatalf("decisions %+v", ds)
			}
		})
	}
}

func TestLoopbackNameRefusedAtSend(t *testing.T) {
	rv := newReceiver(t)
	rt := policyRuntime(config.Policy{DisableLoopback: explicit(true)})
	rec := newRecorder(t)
	s := mustStart(t, fastOptions(rec, func() *config.Runtime { return rt }))
	id := mustSend(t, s, "http://localhost:"+portOf(t, rv.URL)+"/hook", sampleRun())
	d := waitFinal(t, rec, id)
	if d.Outcome != sender.OutcomeRefused || d.Attempts != 0 || !strings.HasPrefix(d.Reason, "Webhook host blocked: loopback") {
		t.Fatalf("delivery %s %d %q", d.Outcome, d.Attempts, d.Reason)
	}
	if d.Decision == nil || d.Decision.Rule != config.RuleAddress || rv.hits.Load() != 0 {
		t.Fatalf("decision %+v, hits %d", d.Decision, rv.hits.Load())
	}
}

// DNS rebinding: the name resolves to a public address when checked, then
// to loopback when dialled. The dial hook refuses it before connecting.
func TestRebindingBlockedAtDial(t *testing.T) {
	rv := newReceiver(t)
	rt := policyRuntime(config.Policy{DisableLoopback: explicit(true)})
	res := &fakeResolver{table: map[string][]string{"rebind.test": {"93.184.216.34", "127.0.0.1"}}}
	rec := newRecorder(t)
	o := fastOptions(rec, func() *config.Runtime { return rt })
	o.Resolver = res
	s := mustStart(t, o)
	id := mustSend(t, s, "http://rebind.test:"+portOf(t, rv.URL)+"/hook", sampleRun())
	d := waitFinal(t, rec, id)
	want := "Webhook host blocked: loopback address 127.0.0.1 (checked at dial)"
	if d.Outcome != sender.OutcomeRefused || d.Attempts != 1 || d.Reason != want {
		t.Fatalf("got %s %d %q, want refused %q", d.Outcome, d.Attempts, d.Reason, want)
	}
	if d.AttemptLog[0].Error != want || rv.hits.Load() != 0 {
		t.Fatalf("attempt %+v, hits %d", d.AttemptLog[0], rv.hits.Load())
	}
	if ds := rec.decisions(t, id); len(ds) != 1 || !ds[0].Decision.Allowed {
		t.Fatalf("the send-time check should have passed: %+v", ds)
	}
}

func TestRelativeURLThroughLocalHandler(t *testing.T) {
	var calls atomic.Int64
	var got atomic.Pointer[received]
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hooklab/sink/{name}", func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		got.Store(&received{Method: r.Method, URL: r.URL.String(), Header: r.Header.Clone(), Body: b})
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("X-Sink", r.PathValue("name"))
		_, _ = io.WriteString(w, "captured")
	})
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	s := mustStart(t, o)
	s.SetLocal(mux)
	id := mustSend(t, s, "/hooklab/sink/mine?status=200", sampleRun())
	d := waitFinal(t, rec, id)
	if d.Outcome != sender.OutcomeDelivered || d.Attempts != 2 || d.URL != "/hooklab/sink/mine?status=200" {
		t.Fatalf("delivery %+v", d)
	}
	r := got.Load()
	if r.URL != "/hooklab/sink/mine?status=200" || r.Header.Get("Content-Type") != "application/json" || !jsonEqual(r.Body, d.Body) {
		t.Fatalf("local handler got %+v", r)
	}
	a := d.AttemptLog[1]
	if a.ResponseBody != "captured" || len(a.ResponseHeaders) != 1 || a.ResponseHeaders[0].Value != "mine" {
		t.Errorf("attempt %+v", a)
	}
}

func TestRelativeURLTimeoutAndNoHandler(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Timeout = 100 * time.Millisecond
	s := mustStart(t, o)
	id := mustSend(t, s, "/hook", sampleRun())
	d := waitFinal(t, rec, id)
	if d.Outcome != sender.OutcomeFailed || d.Attempts != 1 || d.Reason != "relative webhook URL but no local handler is set" {
		t.Fatalf("no handler: %s %d %q", d.Outcome, d.Attempts, d.Reason)
	}
	s.SetLocal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	d = waitFinal(t, rec, mustSend(t, s, "/hook", sampleRun()))
	if d.Outcome != sender.OutcomeFailed || d.Attempts != 3 || d.Reason != "gave up after 3 attempts: timeout after 100ms (whole request)" {
		t.Fatalf("hanging handler: %s %d %q", d.Outcome, d.Attempts, d.Reason)
	}
}

// A remote receiver redirecting to the in-process pseudo host must not
// reach the local handler (hooklab's own API).
func TestRemoteRedirectCannotReachLocalHandler(t *testing.T) {
	var localHits atomic.Int64
	hop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://hooklab.local/runs", http.StatusTemporaryRedirect)
	}))
	defer hop.Close()
	rec := newRecorder(t)
	o := fastOptions(rec, nil)
	o.Resolver = &fakeResolver{table: map[string][]string{}}
	s := mustStart(t, o)
	s.SetLocal(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { localHits.Add(1) }))
	d := waitFinal(t, rec, mustSend(t, s, hop.URL, sampleRun()))
	if d.Outcome != sender.OutcomeRefused || localHits.Load() != 0 || !strings.HasPrefix(d.Reason, "Failed to resolve webhook host") {
		t.Fatalf("delivery %s %q, local hits %d", d.Outcome, d.Reason, localHits.Load())
	}
}

// TestSendTimeCheckAfterAdmit: the policy runs again just before sending,
// but a decision the creation-time check (Admit) already recorded is not
// recorded again when nothing that decides it changed; the delivery keeps
// it. A new config, or a name that now resolves elsewhere, is recorded.
func TestSendTimeCheckAfterAdmit(t *testing.T) {
	rv := newReceiver(t)
	port := portOf(t, rv.URL)
	rt := newSwappable(policyRuntime(config.Policy{}))
	res := &fakeResolver{table: map[string][]string{
		"same.test":  {"127.0.0.1"},
		"moved.test": {"127.0.0.1", "127.0.0.2", "127.0.0.1"}, // admit, send-time check, dial
	}}
	rec := newRecorder(t)
	o := fastOptions(rec, rt.get)
	o.Resolver = res
	s := mustStart(t, o)
	ctx := context.Background()
	send := func(url string) (sender.Delivery, []sender.DecisionInfo) {
		t.Helper()
		if d := s.Admit(ctx, url); !d.Allowed {
			t.Fatalf("admit %s: %+v", url, d)
		}
		d := waitFinal(t, rec, mustSend(t, s, url, sampleRun()))
		return d, rec.decisions(t, d.ID)
	}

	d, ds := send(rv.URL + "/ip")
	if len(ds) != 0 || d.Outcome != sender.OutcomeDelivered || d.Decision == nil || !d.Decision.Allowed || len(d.Decision.Checks) == 0 {
		t.Fatalf("an IP address under the same config: decisions %+v, delivery %+v", ds, d)
	}
	d, ds = send("http://same.test:" + port + "/name")
	if len(ds) != 0 || d.Outcome != sender.OutcomeDelivered || res.count("same.test") != 3 {
		t.Fatalf("a name resolving as before: decisions %+v, %d lookups (want admit, send-time check, dial), delivery %+v",
			ds, res.count("same.test"), d)
	}
	if _, ds = send("http://moved.test:" + port + "/name"); len(ds) != 1 || ds[0].Stage != "send" {
		t.Fatalf("a name resolving elsewhere at send time: decisions %+v, want the send-time one", ds)
	}
	url := rv.URL + "/ip"
	s.Admit(ctx, url)
	rt.p.Store(policyRuntime(config.Policy{})) // a live edit: a new config, whatever it says
	id := mustSend(t, s, url, sampleRun())
	waitFinal(t, rec, id)
	if ds = rec.decisions(t, id); len(ds) != 1 || ds[0].Stage != "send" || !ds[0].Decision.Allowed {
		t.Fatalf("after a config change: decisions %+v, want the send-time one", ds)
	}
}

// count is how often host was looked up.
func (f *fakeResolver) count(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[host]
}
