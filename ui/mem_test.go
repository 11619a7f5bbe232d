package ui

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"hooklab/config"
	"hooklab/server/hub"
)

// loadRun makes the nine events one `hooklab bench` run produces, shaped
// like the real ones: the create request with its body, two policy
// decisions with every check, three run statuses, the attempt with a
// 1.5 KB request body and both header sets, and two delivery states.
func loadRun(seq uint64, run int) []hub.Event {
	id := fmt.Sprintf("%08x-7e1d-4c3a-9b2f-%012x", run, run)
	runID, thread, dlv := "run-"+id, "thread-"+id, "dlv-"+id
	url := "http://127.0.0.1:9000/hooks/langgraph?source=bench&token=abc"
	checks := []config.Check{
		{Rule: config.RuleLength, Passed: true, Value: 4096, Source: config.SourceDefaultAbsent, Detail: "62 characters"},
		{Rule: config.RuleLoopback, Passed: true, Value: true, Source: config.SourceExplicit, Detail: "loopback allowed for local development"},
		{Rule: config.RuleHTTPS, Passed: true, Value: false, Source: config.SourceExplicit, Detail: "plain http allowed"},
		{Rule: config.RulePort, Passed: true, Value: []int{80, 443, 9000}, Source: config.SourceExplicit, Detail: "port 9000 is listed"},
		{Rule: config.RuleHostname, Passed: true, Value: "127.0.0.1", Source: config.SourceAlways, Detail: "an IP literal needs no lookup"},
		{Rule: config.RuleDomain, Passed: true, Value: []string{"127.0.0.1", "localhost", "*.mycompany.com"}, Source: config.SourceExplicit},
		{Rule: config.RuleAddress, Passed: true, Value: "127.0.0.1", Source: config.SourceExplicit, Detail: "resolved to 127.0.0.1"},
	}
	dec := config.Decision{URL: url, Allowed: true, Checks: checks}
	msgs := make([]string, 6)
	for i := range msgs {
		msgs[i] = fmt.Sprintf(`{"type":"ai","id":"msg-%d-%s","content":"%s"}`, i, id, strings.Repeat("lorem ipsum dolor ", 8))
	}
	body := json.RawMessage(fmt.Sprintf(`{"run_id":%q,"thread_id":%q,"assistant_id":"agent","status":"success","values":{"messages":[%s]}}`,
		runID, thread, strings.Join(msgs, ",")))
	reqHdr := []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}, {Name: "User-Agent", Value: "hooklab/test"},
		{Name: "Authorization", Value: "Bear…"}, {Name: "X-Request-Id", Value: id}}
	respHdr := []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}, {Name: "Date", Value: "Tue, 04 Mar 2025 12:00:10 GMT"}}
	started := fixedNow.Add(time.Duration(seq) * time.Millisecond)
	// In the order hooklab records them: the URL is checked before the run
	// exists (so that decision names no run), the request is logged once
	// it is answered, after the run's first statuses.
	pay := []any{
		hub.DecisionInfo{Stage: "create", Decision: dec},
		hub.RunInfo{RunID: runID, ThreadID: thread, AssistantID: "agent", Status: "pending", Webhook: url},
		hub.RunInfo{RunID: runID, ThreadID: thread, AssistantID: "agent", Status: "running", Webhook: url},
		hub.RequestInfo{Method: "POST", Path: "/threads/" + thread + "/runs", Status: 200, DurationMS: 2.1, RunID: runID,
			Body: json.RawMessage(fmt.Sprintf(`{"assistant_id":"agent","input":{"messages":[]},"webhook":%q}`, url))},
		hub.RunInfo{RunID: runID, ThreadID: thread, AssistantID: "agent", Status: "success", Webhook: url},
		hub.DeliveryInfo{ID: dlv, RunID: runID, ThreadID: thread, URL: url, Outcome: "pending"},
		hub.DecisionInfo{Stage: "send", DeliveryID: dlv, RunID: runID, Decision: dec},
		hub.AttemptInfo{DeliveryID: dlv, RunID: runID, Attempt: 1, Method: "POST", URL: url, RequestHeaders: reqHdr,
			RequestBody: body, Status: 200, ResponseHeaders: respHdr, ResponseBody: `{"ok":true}`,
			Timing: hub.Timing{DialMS: 0.2, FirstByteMS: 1.4, TotalMS: 1.6}, StartedAt: started},
		hub.DeliveryInfo{ID: dlv, RunID: runID, ThreadID: thread, URL: url, Outcome: "delivered", Attempts: 1, Status: 200, DurationMS: 1.6},
	}
	kinds := []hub.Kind{hub.KindDecision, hub.KindRun, hub.KindRun, hub.KindRequest, hub.KindRun, hub.KindDelivery,
		hub.KindDecision, hub.KindAttempt, hub.KindDelivery}
	evs := make([]hub.Event, len(pay))
	for i, p := range pay {
		evs[i] = ev(seq+uint64(i), kinds[i], p)
		evs[i].Value = p // as the store publishes it in process
	}
	return evs
}

// overJSON is evs as they arrive over the network: without the typed
// payloads.
func overJSON(evs []hub.Event) []hub.Event {
	out := make([]hub.Event, len(evs))
	for i, e := range evs {
		e.Value = nil
		out[i] = e
	}
	return out
}

// loadEvents makes the events with Seq start+1..start+n of consecutive
// bench runs; run k holds Seq 9k+1..9k+9, so batches join up.
func loadEvents(start, n int) []hub.Event {
	first := start / 9
	evs := make([]hub.Event, 0, n+18)
	for run := first; run*9 < start+n; run++ {
		evs = append(evs, loadRun(uint64(run*9+1), run)...)
	}
	off := start - first*9
	return evs[off : off+n]
}

func heapInUse() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// modelHeapBound is what a 100k-row window may hold. A row is about 64
// bytes plus one string of its text and delivery id (about 100 bytes);
// the per-delivery index is about 150 bytes for each of the ~11k
// deliveries; the payload cache holds at most recentPayloads+1/4 events
// of about 2 KB: 16+2+5 MB, with room for the list index and slack.
const modelHeapBound = 40 << 20

// TestWindowHeapIsBounded: 100k realistic events (attempts with 1.5 KB
// bodies, decisions with every check) cost the model a bounded heap,
// because rows keep no payload bytes and only the newest events keep
// their payloads. It also checks that what the window shows survives the
// compaction: counts, row texts, and the detail of a recent delivery.
func TestWindowHeapIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 100k events")
	}
	b := newTestBackend(t)
	before := heapInUse()
	m := New(b, WithNow(fixedClock))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	const total = defaultMaxEvents
	for i := 0; i < total; i += maxBatch {
		m.Update(eventsMsg{events: loadEvents(i, min(maxBatch, total-i))})
	}
	after := heapInUse()
	runtime.KeepAlive(m)
	held := int64(after) - int64(before)
	t.Logf("rows cap %d, idx cap %d, recent %d, deliveries %d", cap(m.feed.rows), cap(m.list.idx), len(m.feed.recent), len(m.feed.deliveries))
	t.Logf("model holds %d rows in %.1f MB of heap (%.0f bytes per row)", m.Events(), float64(held)/(1<<20), float64(held)/float64(m.Events()))
	if m.Events() != total {
		t.Fatalf("holds %d events, want %d", m.Events(), total)
	}
	if held > modelHeapBound {
		t.Fatalf("model holds %.1f MB for %d rows, bound %d MB", float64(held)/(1<<20), total, modelHeapBound>>20)
	}
	if c := m.feed.counts; c.delivered != total/9 {
		t.Fatalf("header counts %d delivered, want %d", c.delivered, total/9)
	}
	m.Update(press("v")) // the raw events
	content := ansi.Strip(m.View().Content)
	for _, want := range []string{"delivered http://127.0.0.1:9000/h", "decision #99991", "stage create"} {
		if !strings.Contains(content, want) {
			t.Fatalf("the screen lost %q:\n%s", want, content)
		}
	}
	if n := len(m.feed.recent); n > recentPayloads+recentPayloads/4 {
		t.Fatalf("%d payloads held, bound %d", n, recentPayloads+recentPayloads/4)
	}
	if n := len(m.feed.deliveries); n > total/9+1 {
		t.Fatalf("delivery index holds %d entries for %d deliveries in the window", n, total/9+1)
	}
}

// TestTypedPayloadsSummariseAsJSON: the rows and run entries the feed
// makes from the typed payloads of the hub (in process) are those it
// makes from their JSON (attach): the shortcut changes nothing shown.
func TestTypedPayloadsSummariseAsJSON(t *testing.T) {
	evs := append(loadEvents(0, 900), upstreamEvents()...)
	for i := range evs[900:] {
		evs[900+i].Seq = uint64(901 + i)
	}
	typed, plain := newFeed(0), newFeed(0)
	typed.add(evs, true)
	plain.add(overJSON(evs), true)
	if len(typed.rows) != len(plain.rows) || len(typed.runs.entries) != len(plain.runs.entries) {
		t.Fatalf("%d rows, %d entries typed; %d, %d from JSON", len(typed.rows), len(typed.runs.entries), len(plain.rows), len(plain.runs.entries))
	}
	for i := range typed.rows {
		if typed.rows[i] != plain.rows[i] {
			t.Fatalf("row %d: typed %+v, JSON %+v", i, typed.rows[i], plain.rows[i])
		}
	}
	for i, e := range typed.runs.entries {
		a, b := *e, *plain.runs.entries[i]
		a.touch, b.touch = 0, 0
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("entry %d: typed %+v, JSON %+v", i, a, b)
		}
	}
	if typed.counts != plain.counts {
		t.Fatalf("counts: typed %+v, JSON %+v", typed.counts, plain.counts)
	}
	for k, e := range typed.recent {
		if e.Value != nil {
			t.Fatalf("the recent set holds the typed payload of %v", k)
		}
	}
}
