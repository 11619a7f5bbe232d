package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// testBackend wires the dashboard to real parts: a hub, a SQLite store in a
// temp dir that publishes into the hub after commit, a real sender, and
// config.Resolve over the test's environment. It adapts; it does not
// answer from a script.
type testBackend struct {
	hub  *hub.Hub
	st   *store.Store
	snd  *sender.Sender
	rt   atomic.Pointer[config.Runtime]
	info Info
	env  func(string) (string, bool) // the watched hooklab's environment

	mu          sync.Mutex
	crons       []Cron
	fired       []string
	resolves    int // ResolveConfig calls
	loosenCalls int // Loosenings calls
	upstream    *hub.UpstreamInfo
	upLog       []string
	dns         *testResolver
}

func newTestBackend(t testing.TB) *testBackend {
	t.Helper()
	b := &testBackend{hub: hub.New(), info: Info{Addr: "127.0.0.1:2024", Version: "test", Embedded: true}, env: os.LookupEnv,
		dns: &testResolver{}}
	st, err := store.Open(filepath.Join(t.TempDir(), "hooklab.db"), store.Options{Publish: b.hub.Publish})
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	b.st = st
	rt, err := config.Resolve(config.Default(), os.LookupEnv)
	if err != nil {
		t.Fatalf("config.Resolve: %v", err)
	}
	b.rt.Store(rt)
	b.snd = sender.New(sender.Options{Recorder: st, Runtime: b.rt.Load, Version: "test",
		Backoff: func(int) time.Duration { return 10 * time.Millisecond }, Timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	if err := b.snd.Start(ctx); err != nil {
		t.Fatalf("sender.Start: %v", err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = b.snd.Close(cctx)
		cancel()
		b.hub.Close()
		_ = st.Close()
	})
	return b
}

func (b *testBackend) Subscribe(ctx context.Context) *hub.Subscription {
	return b.hub.Subscribe(ctx, 0)
}

func (b *testBackend) History(ctx context.Context, q store.Query) ([]hub.Event, error) {
	return b.st.Events(ctx, q)
}

func (b *testBackend) Delivery(ctx context.Context, id string) (sender.Delivery, error) {
	return b.st.Delivery(ctx, id)
}

func (b *testBackend) Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error) {
	return b.snd.Replay(ctx, r)
}

// NewURLTester is a session over the policy in force, as the server's:
// its cache resolves each name once, through the test resolver, which
// never touches the network.
func (b *testBackend) NewURLTester() URLTester {
	return &testTester{b: b, cache: config.NewResolveCache(b.dns, 0)}
}

type testTester struct {
	b     *testBackend
	cache *config.ResolveCache
}

func (t *testTester) Test(ctx context.Context, raw string, offline bool) config.Decision {
	return t.b.rt.Load().Policy.Explain(ctx, raw, config.CheckOptions{Resolver: t.cache, Offline: offline})
}

// testResolver answers from a table and counts the names asked; a name
// not in it does not exist. Nothing goes to the network.
type testResolver struct {
	mu    sync.Mutex
	asked map[string]int
}

func (r *testResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	if r.asked == nil {
		r.asked = map[string]int{}
	}
	r.asked[host]++
	r.mu.Unlock()
	table := map[string]string{"hooks.test": "203.0.113.7", "loop.test": "127.0.0.1", "priv.test": "10.1.2.3", "localhost": "127.0.0.1"}
	if a, ok := table[host]; ok {
		return []netip.Addr{netip.MustParseAddr(a)}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// lookups is how often host was resolved.
func (r *testResolver) lookups(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked[host]
}

func (b *testBackend) Loosenings(ctx context.Context, f *config.File) ([]config.Loosening, error) {
	b.mu.Lock()
	b.loosenCalls++
	b.mu.Unlock()
	return f.Loosenings(), nil
}

// ReloadConfig reads the file in force again, as the server's does: a
// file that does not load becomes the config's Problem.
func (b *testBackend) ReloadConfig(ctx context.Context) (*config.Runtime, error) {
	cur := b.rt.Load()
	if cur.File == nil || cur.File.Path == "" {
		return nil, errors.New("no file to reload")
	}
	data, err := os.ReadFile(cur.File.Path)
	if err == nil {
		var f *config.File
		if f, err = config.Parse(cur.File.Path, data); err == nil {
			var rt *config.Runtime
			if rt, err = config.Resolve(f, b.env); err == nil {
				b.rt.Store(rt)
				b.st.Append(hub.KindConfig, hub.ConfigInfo{Action: "reloaded", Path: f.Path})
				return rt, nil
			}
		}
	}
	b.setProblem(config.NewProblem(cur.File.Path, err, fixedNow))
	b.st.Append(hub.KindConfig, hub.ConfigInfo{Action: "reload-failed", Path: cur.File.Path, Error: err.Error()})
	return nil, err
}

// setProblem marks the config in force as that of a file that no longer
// loads (nil: fixed).
func (b *testBackend) setProblem(p *config.Problem) {
	next := *b.rt.Load()
	next.Problem = p
	b.rt.Store(&next)
}

func (b *testBackend) UpstreamLog(ctx context.Context) ([]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.upstream == nil {
		return nil, fmt.Errorf("no upstream: %w", store.ErrNotFound)
	}
	return slices.Clone(b.upLog), nil
}

func (b *testBackend) Config() *config.Runtime { return b.rt.Load() }

func (b *testBackend) ResolveConfig(ctx context.Context, f *config.File) (*config.Runtime, error) {
	b.mu.Lock()
	b.resolves++
	b.mu.Unlock()
	rt, err := config.Resolve(f.Clone(), b.env)
	if err != nil {
		return nil, err
	}
	hs := make([]config.ResolvedHeader, len(rt.Headers))
	for i, h := range rt.Headers {
		h.Value = h.Masked // the secret stays where hooklab runs
		hs[i] = h
	}
	rt.Headers = hs
	return rt, nil
}

// ApplyConfig is the server's: a save goes through config.File.Save,
// which refuses to overwrite a file that changed on disk or no longer
// parses (the latter becomes the config's Problem); a live apply keeps
// the Problem, since the file on disk is still broken.
func (b *testBackend) ApplyConfig(ctx context.Context, f *config.File, save bool) error {
	rt, err := config.Resolve(f, b.env)
	if err != nil {
		b.st.Append(hub.KindConfig, hub.ConfigInfo{Action: "refused", Error: err.Error()})
		return err
	}
	action := "applied"
	if save {
		if err := f.Save(f.Path); err != nil {
			b.st.Append(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
			var ce *config.ConflictError
			if errors.As(err, &ce) && ce.Reason == config.ConflictInvalid && ce.Problem != nil {
				b.setProblem(config.NewProblem(ce.Path, ce.Problem, fixedNow))
			}
			return err
		}
		if rt, err = config.Resolve(f, b.env); err != nil {
			return err
		}
		action = "saved"
	} else {
		rt.Problem = b.rt.Load().Problem
	}
	b.rt.Store(rt)
	b.st.Append(hub.KindConfig, hub.ConfigInfo{Action: action, Path: f.Path})
	return nil
}

func (b *testBackend) Crons(ctx context.Context) ([]Cron, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Cron(nil), b.crons...), nil
}

func (b *testBackend) FireCron(ctx context.Context, id string) (string, error) {
	b.mu.Lock()
	b.fired = append(b.fired, id)
	b.mu.Unlock()
	b.st.Append(hub.KindCron, hub.CronInfo{CronID: id, Action: "fired", RunID: "run-" + id})
	return "run-" + id, nil
}

func (b *testBackend) DeleteCron(ctx context.Context, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.crons, func(c Cron) bool { return c.ID == id })
	if i < 0 {
		return fmt.Errorf("cron %s: %w", id, store.ErrNotFound)
	}
	b.crons = slices.Delete(b.crons, i, i+1)
	return nil
}
func (b *testBackend) SetCronEnabled(ctx context.Context, id string, enabled bool) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	i := slices.IndexFunc(b.crons, func(c Cron) bool { return c.ID == id })
	if i < 0 {
		return fmt.Errorf("cron %s: %w", id, store.ErrNotFound)
	}
	b.crons[i].Enabled = enabled
	return nil
}

// Info names the config in force, as server.Backend's does.
func (b *testBackend) Info() Info {
	i := b.info
	if rt := b.rt.Load(); rt != nil && rt.File != nil {
		i.ConfigPath, i.Embedded = rt.File.Path, rt.File.Embedded
	}
	b.mu.Lock()
	if b.upstream != nil {
		u := *b.upstream
		i.Upstream = &u
	}
	b.mu.Unlock()
	return i
}

// setUpstream changes the upstream's state and records it, as the
// upstream does.
func (b *testBackend) setUpstream(u hub.UpstreamInfo) {
	b.mu.Lock()
	b.upstream = &u
	b.mu.Unlock()
	b.st.Append(hub.KindUpstream, u)
}

var _ Backend = (*testBackend)(nil)

// Fixed clock and events for screens that must not change between runs.
var fixedNow = time.Date(2025, 3, 4, 12, 0, 10, 0, time.UTC)

func fixedClock() time.Time { return fixedNow }

func ev(seq uint64, kind hub.Kind, payload any) hub.Event {
	raw, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return hub.Event{Seq: seq, Time: fixedNow.Add(time.Duration(seq) * 137 * time.Millisecond), Kind: kind, Payload: raw}
}

// fixtureEvents is one run whose webhook needed a retry, a refused webhook,
// a sink capture and a non-standard path: every colour of the feed.
func fixtureEvents() []hub.Event {
	next := fixedNow.Add(2 * time.Second)
	allowed := config.Decision{URL: "http://127.0.0.1:9000/hook?token=abc", Allowed: true, Checks: []config.Check{
		{Rule: config.RuleLength, Passed: true, Value: 4096, Source: config.SourceDefaultAbsent},
		{Rule: config.RuleHTTPS, Passed: true, Value: false, Source: config.SourceExplicit},
		{Rule: config.RuleAddress, Passed: true, Value: "127.0.0.1", Source: config.SourceExplicit},
	}}
	refused := config.Decision{URL: "http://10.0.0.5/hook", Allowed: false, Rule: config.RuleDomain, Message: "Webhook domain not allowed",
		Checks: []config.Check{{Rule: config.RuleDomain, Value: []string{"*.mycompany.com"}, Source: config.SourceExplicit}}}
	hdr := []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}, {Name: "Authorization", Value: "Bear…"}}
	body := json.RawMessage(`{"run_id":"run-0001","status":"success","values":{"messages":[{"type":"ai","content":"hi"}]}}`)
	return []hub.Event{
		ev(1, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/threads/t-0001/runs", Status: 200, DurationMS: 3.2, RunID: "run-0001",
			Body: json.RawMessage(`{"assistant_id":"agent","webhook":"http://127.0.0.1:9000/hook?token=abc"}`)}),
		ev(2, hub.KindDecision, hub.DecisionInfo{Stage: "create", RunID: "run-0001", Decision: allowed}),
		ev(3, hub.KindRun, hub.RunInfo{RunID: "run-0001", ThreadID: "t-0001", AssistantID: "agent", Status: "success"}),
		ev(4, hub.KindDecision, hub.DecisionInfo{Stage: "send", DeliveryID: "dlv-0001", RunID: "run-0001", Decision: allowed}),
		ev(5, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "dlv-0001", RunID: "run-0001", Attempt: 1, Method: "POST", URL: allowed.URL,
			RequestHeaders: hdr, RequestBody: body, Status: 503, ResponseBody: "busy", Retry: true, NextAttemptAt: &next,
			Timing: hub.Timing{DialMS: 0.4, FirstByteMS: 11, TotalMS: 12.5}, StartedAt: fixedNow}),
		ev(6, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0001", RunID: "run-0001", URL: allowed.URL, Outcome: "pending", Attempts: 1, Status: 503}),
		ev(7, hub.KindAttempt, hub.AttemptInfo{DeliveryID: "dlv-0001", RunID: "run-0001", Attempt: 2, Method: "POST", URL: allowed.URL,
			RequestHeaders: hdr, RequestBody: body, Status: 200, ResponseHeaders: []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}},
			ResponseBody: `{"ok":true}`, Timing: hub.Timing{DialMS: 0.3, FirstByteMS: 7, TotalMS: 8.1}, StartedAt: next}),
		ev(8, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0001", RunID: "run-0001", URL: allowed.URL, Outcome: "delivered", Attempts: 2, Status: 200, DurationMS: 2021}),
		ev(9, hub.KindRequest, hub.RequestInfo{Method: "POST", Path: "/thread/t-0002/runs", Status: 422, DurationMS: 0.9,
			Detail: "Webhook domain not allowed", NonStandard: "/thread/ is an alias of /threads/"}),
		ev(10, hub.KindDecision, hub.DecisionInfo{Stage: "send", DeliveryID: "dlv-0002", Decision: refused}),
		ev(11, hub.KindDelivery, hub.DeliveryInfo{ID: "dlv-0002", URL: refused.URL, Outcome: "refused", Reason: "Webhook domain not allowed"}),
		ev(12, hub.KindSink, hub.SinkInfo{Name: "default", Method: "POST", Path: "/hooklab/sink/default", Status: 200,
			Headers: []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}}, Body: json.RawMessage(`{"hello":"world"}`)}),
		ev(13, hub.KindNotice, hub.NoticeInfo{Level: "warn", Text: "config reloaded with warnings"}),
	}
}
