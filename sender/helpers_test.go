package sender_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// testRecorder is the real SQLite store in t.TempDir(), with helpers to
// read back what the sender recorded.
type testRecorder struct{ *store.Store }

func newRecorder(t *testing.T) *testRecorder {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hooklab.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &testRecorder{st}
}

func (r *testRecorder) events(t *testing.T, kinds ...hub.Kind) []hub.Event {
	t.Helper()
	evs, err := r.Events(context.Background(), store.Query{Kinds: kinds})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// dump is everything recorded, as text, to look for leaked secrets.
func (r *testRecorder) dump(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	for _, e := range r.events(t) {
		sb.Write(e.Payload)
	}
	ds, err := r.Deliveries(context.Background(), store.DeliveryQuery{Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		b, _ := json.Marshal(d)
		sb.Write(b)
	}
	return sb.String()
}

func (r *testRecorder) attempts(t *testing.T, id string) []sender.Attempt {
	t.Helper()
	var out []sender.Attempt
	for _, e := range r.events(t, sender.KindAttempt) {
		var a sender.Attempt
		if err := e.Decode(&a); err != nil {
			t.Fatal(err)
		}
		if a.DeliveryID == id {
			out = append(out, a)
		}
	}
	return out
}

func (r *testRecorder) decisions(t *testing.T, id string) []sender.DecisionInfo {
	t.Helper()
	var out []sender.DecisionInfo
	for _, e := range r.events(t, sender.KindDecision) {
		var d sender.DecisionInfo
		if err := e.Decode(&d); err != nil {
			t.Fatal(err)
		}
		if d.DeliveryID == id {
			out = append(out, d)
		}
	}
	return out
}

// waitFor polls the stored delivery until cond holds.
func waitFor(t *testing.T, rec sender.Recorder, id string, cond func(sender.Delivery) bool) sender.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := rec.Delivery(context.Background(), id)
		if err == nil && cond(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %s: condition not met in time; last %+v (err %v)", id, d, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitFinal(t *testing.T, rec sender.Recorder, id string) sender.Delivery {
	t.Helper()
	return waitFor(t, rec, id, func(d sender.Delivery) bool { return d.Outcome != sender.OutcomePending })
}

// swappable is a Runtime that a test can change mid-flight, as a live
// config edit does.
type swappable struct {
	p atomic.Pointer[config.Runtime]
}

func newSwappable(rt *config.Runtime) *swappable {
	s := &swappable{}
	s.p.Store(rt)
	return s
}

func (s *swappable) get() *config.Runtime { return s.p.Load() }

func policyRuntime(p config.Policy) *config.Runtime { return &config.Runtime{Policy: p} }

func explicit[T any](v T) config.Setting[T] {
	return config.Setting[T]{Value: v, Source: config.SourceExplicit}
}

func fastOptions(rec sender.Recorder, rt func() *config.Runtime) sender.Options {
	return sender.Options{
		Recorder: rec, Runtime: rt, Workers: 4, Queue: 16, Version: "test",
		Backoff: func(int) time.Duration { return 10 * time.Millisecond },
		Timeout: 2 * time.Second, ConnectTimeout: time.Second,
	}
}

// mustStart starts a sender.Sender and closes it at cleanup.
func mustStart(t *testing.T, o sender.Options) *sender.Sender {
	t.Helper()
	s := sender.New(o)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

func mustSend(t *testing.T, s *sender.Sender, url string, run sender.RunResult) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	id, err := s.Send(ctx, sender.Job{URL: url, Run: run})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// received is one request a test receiver got.
type received struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// receiver is a loopback webhook receiver answering with the statuses in
// answers (the last one repeats).
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	got  []received
	hits atomic.Int64
}

func newReceiver(t *testing.T, answers ...int) *receiver {
	t.Helper()
	if len(answers) == 0 {
		answers = []int{http.StatusOK}
	}
	rv := &receiver{}
	rv.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(rv.hits.Add(1)) - 1
		rv.record(r)
		code := answers[min(n, len(answers)-1)]
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(rv.Close)
	return rv
}

func (rv *receiver) record(r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rv.mu.Lock()
	defer rv.mu.Unlock()
	rv.got = append(rv.got, received{r.Method, r.URL.String(), r.Header.Clone(), b})
}

func (rv *receiver) requests() []received {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return append([]received(nil), rv.got...)
}

// fakeResolver answers from a table; a host with several answers gives
// them in turn (the last repeats), to play DNS rebinding.
type fakeResolver struct {
	mu    sync.Mutex
	table map[string][]string
	calls map[string]int
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	answers, ok := f.table[host]
	if !ok {
		return nil, &netipLookupError{host}
	}
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	n := f.calls[host]
	f.calls[host]++
	return []netip.Addr{netip.MustParseAddr(answers[min(n, len(answers)-1)])}, nil
}

type netipLookupError struct{ host string }

func (e *netipLookupError) Error() string { return "no such host " + e.host }

// jsonEqual compares two JSON texts by value: a store may re-encode a raw
// body (escaping <, > and & as \u003c...), which is the same JSON.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func sampleRun() sender.RunResult {
	at := time.Date(2024, 8, 30, 23, 7, 38, 242730000, time.UTC)
	return sender.RunResult{
		RunID: "1ef6a2e0-0000-6000-8000-000000000001", ThreadID: "1ef6a2e0-0000-6000-8000-0000000000aa",
		AssistantID: "fe096781-5601-53d2-b2f6-0d3403f7e9ca", CreatedAt: at, UpdatedAt: at.Add(time.Second),
		Metadata: json.RawMessage(`{"source": "test"}`), Kwargs: json.RawMessage(`{"input":{"messages":[]}}`),
		MultitaskStrategy: "enqueue", Status: "success", StartedAt: at.Add(time.Millisecond), EndedAt: at.Add(2 * time.Second),
		Values: json.RawMessage(`{"messages":[{"type":"ai","content":"hi <b>&</b>"}]}`),
	}
}
