package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func newTestEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(Options{Graphs: []string{"agent"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		e.Close(ctx)
	})
	return e
}

func ptr[T any](v T) *T { return &v }

func raw(s string) json.RawMessage { return json.RawMessage(s) }

func mustThread(t *testing.T, e *Engine, metadata map[string]any) string {
	t.Helper()
	th, err := e.CreateThread(ThreadRequest{Metadata: metadata})
	if err != nil {
		t.Fatal(err)
	}
	return th.ThreadID
}

// run creates a run of body on thread tid, waits for its end and returns
// it with its /wait answer.
func run(t *testing.T, e *Engine, tid string, body RunRequest) (Run, json.RawMessage) {
	t.Helper()
	if body.AssistantID == nil {
		body.AssistantID = ptr("agent")
	}
	h, _, err := e.CreateRun(context.Background(), RunSpec{Request: &body, ThreadID: tid})
	if err != nil {
		t.Fatalf("create run: %v", err)
	}
	select {
	case <-h.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("run did not end")
	}
	return h.Run(), h.Result()
}

func history(t *testing.T, e *Engine, tid string, q HistoryQuery) []ThreadState {
	t.Helper()
	if q.Limit == nil {
		q.Limit = ptr(100)
	}
	h, err := e.ThreadHistory(tid, q)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func contents(values json.RawMessage) []string {
	var out []string
	for _, m := range asList(decodeState(values)["messages"]) {
		out = append(out, m.(map[string]any)["content"].(string))
	}
	return out
}

func TestAddMessages(t *testing.T) {
	h1 := map[string]any{"type": "human", "content": "a", "id": "1"}
	ai := map[string]any{"type": "ai", "content": "b", "id": "2"}
	cases := []struct {
		name  string
		right any
		want  []string // id:content
	}{
		{"append", map[string]any{"role": "user", "content": "c", "id": "3"}, []string{"1:a", "2:b", "3:c"}},
		{"replace in place", map[string]any{"type": "human", "content": "A", "id": "1"}, []string{"1:A", "2:b"}},
		{"remove", map[string]any{"type": "remove", "id": "1"}, []string{"2:b"}},
		{"remove all, then add", []any{map[string]any{"type": "remove", "id": removeAll}, map[string]any{"type": "ai", "content": "z", "id": "9"}}, []string{"9:z"}},
		{"same id twice: the last wins", []any{map[string]any{"content": "x", "id": "5"}, map[string]any{"content": "y", "id": "5"}}, []string{"1:a", "2:b", "5:y"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := addMessages([]any{h1, ai}, c.right)
			var ids []string
			for _, m := range got {
				mm := m.(map[string]any)
				ids = append(ids, mm["id"].(string)+":"+mm["content"].(string))
			}
			if strings.Join(ids, ",") != strings.Join(c.want, ",") {
				t.Errorf("got %v, want %v", ids, c.want)
			}
		})
	}
	got := addMessages(nil, "plain")
	if m := got[0].(map[string]any); m["type"] != "human" || m["content"] != "plain" || m["id"] == "" {
		t.Errorf("a string becomes a human message with an id: %v", got)
	}
	state := applyUpdate(map[string]any{"messages": []any{h1}, "k": 1}, map[string]any{"k": 2, "messages": []any{ai}})
	if state["k"] != 2 || len(state["messages"].([]any)) != 2 {
		t.Errorf("other keys are replaced, messages merged: %v", state)
	}
}

// TestRecursionLimit: the loop counts the last, empty superstep, so the
// one-node echo graph needs a limit of 2; a resumed run starts from its
// checkpoint's step.
func TestRecursionLimit(t *testing.T) {
	e := newTestEngine(t)
	input := raw(`{"messages":["hi"]}`)
	tid := mustThread(t, e, nil)
	r, res := run(t, e, tid, RunRequest{Input: input, Config: map[string]any{"recursion_limit": 1.0}})
	if r.Status != RunError || !strings.Contains(string(res), `"error":"GraphRecursionError"`) || !strings.Contains(string(res), "Recursion limit of 1 reached") {
		t.Fatalf("limit 1: %s %s", r.Status, res)
	}
	th, _ := e.Thread(tid)
	if th.Status != ThreadError || !strings.Contains(string(th.Error), "GraphRecursionError") {
		t.Errorf("thread after the error: %s %s", th.Status, th.Error)
	}
	if r, res := run(t, e, tid, RunRequest{Input: input, Config: map[string]any{"recursion_limit": 2.0}}); r.Status != RunSuccess {
		t.Fatalf("limit 2: %s %s", r.Status, res)
	}
	// Stopped before echo, then resumed with limit 1: one superstep to go.
	tid = mustThread(t, e, nil)
	run(t, e, tid, RunRequest{Input: input, InterruptBefore: raw(`["echo"]`)})
	if r, res := run(t, e, tid, RunRequest{Config: map[string]any{"recursion_limit": 1.0}}); r.Status != RunSuccess {
		t.Fatalf("resumed with limit 1: %s %s", r.Status, res)
	}
	if _, err := (&RunRequest{AssistantID: ptr("agent"), Config: map[string]any{"recursion_limit": 0.5}}).Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("a fractional limit: %v", err)
	}
}

func TestHistoryFilters(t *testing.T) {
	e := newTestEngine(t)
	tid := mustThread(t, e, nil)
	run(t, e, tid, RunRequest{Input: raw(`{"messages":["one"]}`), Metadata: map[string]any{"round": 1.0}})
	run(t, e, tid, RunRequest{Input: raw(`{"messages":["two"]}`), Metadata: map[string]any{"round": 2.0}})
	all := history(t, e, tid, HistoryQuery{})
	var steps []int
	for _, st := range all {
		steps = append(steps, stepOf(st))
	}
	if got := steps; len(got) != 6 || got[0] != 4 || got[5] != -1 {
		t.Fatalf("steps of two runs: %v", got)
	}
	id := func(i int) string { return all[i].Checkpoint.CheckpointID }
	if h, _ := e.ThreadHistory(tid, HistoryQuery{}); len(h) != 1 || id(0) != h[0].Checkpoint.CheckpointID {
		t.Errorf("no limit is a limit of 1: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Before: MustJSON(id(2))}); len(h) != 3 || h[0].Checkpoint.CheckpointID != id(3) {
		t.Errorf("before a checkpoint id: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Before: raw(`{"configurable":{"checkpoint_id":"` + id(4) + `"}}`)}); len(h) != 1 {
		t.Errorf("before a config: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Before: MustJSON("ffffffff-ffff-7fff-bfff-ffffffffffff")}); len(h) != 6 {
		t.Errorf("before an id later than every checkpoint: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Before: MustJSON("00000000-0000-7000-8000-000000000000")}); len(h) != 0 {
		t.Errorf("before an id earlier than every checkpoint: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Metadata: map[string]any{"round": 1.0}}); len(h) != 3 || h[0].Checkpoint.CheckpointID != id(3) {
		t.Errorf("metadata round 1: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Metadata: map[string]any{"source": "input", "round": 2.0}}); len(h) != 1 || h[0].Checkpoint.CheckpointID != id(2) {
		t.Errorf("metadata source input of round 2: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Checkpoint: map[string]any{"checkpoint_id": id(4)}}); len(h) != 1 || h[0].Checkpoint.CheckpointID != id(4) {
		t.Errorf("checkpoint filter: %d", len(h))
	}
	if h := history(t, e, tid, HistoryQuery{Checkpoint: map[string]any{"checkpoint_ns": "echo:x"}}); len(h) != 0 {
		t.Errorf("a subgraph namespace: %d", len(h))
	}
	if _, err := e.ThreadHistory(tid, HistoryQuery{Limit: ptr(-1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative limit: %v", err)
	}
}

func TestSupersteps(t *testing.T) {
	e := newTestEngine(t)
	steps := []Superstep{
		{Updates: []StateUpdate{{AsNode: ptr(nodeInput), Values: raw(`{"messages":["a"]}`)}}},
		{Updates: []StateUpdate{{AsNode: ptr(nodeStart), Values: raw(`{"messages":["a"]}`)}}},
		{Updates: []StateUpdate{{AsNode: ptr(nodeEcho), Values: raw(`{"messages":[{"type":"ai","content":"b"}]}`)}}},
	}
	th, err := e.CreateThread(ThreadRequest{Metadata: map[string]any{"graph_id": "agent"}, Supersteps: steps})
	if err != nil {
		t.Fatal(err)
	}
	h := history(t, e, th.ThreadID, HistoryQuery{})
	want := []string{"update 1 [] a,b", "update 0 [echo] a", "input -1 [__start__] "}
	for i, st := range h {
		got := fmt.Sprintf("%s %d [%s] %s", st.Metadata["source"], stepOf(st), strings.Join(st.Next, ","), strings.Join(contents(st.Values), ","))
		if i >= len(want) || got != want[i] {
			t.Errorf("checkpoint %d: %q, want %q", i, got, want[min(i, len(want)-1)])
		}
	}
	if th, _ := e.Thread(th.ThreadID); th.Status != ThreadIdle {
		t.Errorf("thread status %s", th.Status)
	}
	// Without a graph_id the thread is made, and the answer says what failed.
	th2, err := e.CreateThread(ThreadRequest{Supersteps: steps})
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "has no assigned graph ID") {
		t.Fatalf("no graph id: %v", err)
	}
	if _, err := e.Thread(th2.ThreadID); err != nil {
		t.Errorf("the thread was not kept: %v", err)
	}
}

func TestStateUpdates(t *testing.T) {
	e := newTestEngine(t)
	tid := mustThread(t, e, nil)
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`{"x":1}`)}); !errors.Is(err, ErrRejected) {
		t.Fatalf("a thread with no graph: %v", err)
	}
	run(t, e, tid, RunRequest{Input: raw(`{"messages":[{"content":"q","id":"m1"}]}`), InterruptBefore: raw(`["echo"]`)})
	// As the node that wrote last (__start__): echo is still to run.
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`{"messages":[{"content":"Q","id":"m1"}]}`)}); err != nil {
		t.Fatal(err)
	}
	st, _ := e.ThreadState(tid, "")
	th, _ := e.Thread(tid)
	if strings.Join(st.Next, ",") != "echo" || th.Status != ThreadInterrupted || strings.Join(contents(st.Values), ",") != "Q" || st.Tasks[0].Name != nodeEcho {
		t.Fatalf("after an update as __start__: next %v, status %s, values %s", st.Next, th.Status, st.Values)
	}
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`{"y":2}`), AsNode: ptr(nodeEcho)}); err != nil {
		t.Fatal(err)
	}
	st, _ = e.ThreadState(tid, "")
	if th, _ := e.Thread(tid); len(st.Next) != 0 || th.Status != ThreadIdle {
		t.Errorf("after an update as echo: next %v, status %s", st.Next, th.Status)
	}
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`{}`), AsNode: ptr("ghost")}); !errors.Is(err, ErrRejected) {
		t.Errorf("an unknown node: %v", err)
	}
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`[1]`)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("values not objects: %v", err)
	}
	h, _, err := e.CreateRun(context.Background(), RunSpec{Request: &RunRequest{AssistantID: ptr("agent"), AfterSeconds: ptr(30.0)}, ThreadID: tid})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.UpdateThreadState(tid, StateUpdate{Values: raw(`{"z":1}`)}); !errors.Is(err, ErrConflict) {
		t.Errorf("while a run is pending: %v", err)
	}
	h.CancelIfRunning()
}

func TestAssistantVersions(t *testing.T) {
	e := newTestEngine(t)
	a, err := e.CreateAssistant(AssistantRequest{GraphID: ptr("agent"), Context: map[string]any{"fail": "no"}})
	if err != nil {
		t.Fatal(err)
	}
	if conf := a.Config["configurable"].(map[string]any); conf["fail"] != "no" || a.Name != "Untitled" {
		t.Errorf("context mirrored into configurable: %v, name %q", a.Config, a.Name)
	}
	if _, err := e.CreateAssistant(AssistantRequest{GraphID: ptr("agent"), Context: map[string]any{"a": 1}, Config: map[string]any{"configurable": map[string]any{"b": 2}}}); !errors.Is(err, ErrRejected) {
		t.Errorf("both context and configurable: %v", err)
	}
	e.PatchAssistant(a.AssistantID, AssistantRequest{Metadata: map[string]any{"k": "v"}, Name: ptr("two")})
	e.PatchAssistant(a.AssistantID, AssistantRequest{Config: map[string]any{"configurable": map[string]any{"x": 1.0}}})
	vs, err := e.AssistantVersions(a.AssistantID, VersionQuery{})
	if err != nil || len(vs) != 3 || vs[0].Version != 3 || vs[2].Version != 1 {
		t.Fatalf("versions: %+v %v", vs, err)
	}
	if vs, _ := e.AssistantVersions(a.AssistantID, VersionQuery{Metadata: map[string]any{"k": "v"}, Limit: ptr(1), Offset: 1}); len(vs) != 1 || vs[0].Version != 2 {
		t.Errorf("filtered and paged: %+v", vs)
	}
	if _, err := e.AssistantVersions(a.AssistantID, VersionQuery{Metadata: map[string]any{"k": "w"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("no version to list: %v", err)
	}
	back, err := e.SetLatestVersion(a.AssistantID, 2)
	if err != nil || back.Version != 2 || back.Name != "two" || back.Config["configurable"].(map[string]any)["fail"] != "no" {
		t.Fatalf("latest 2: %+v %v", back, err)
	}
	if next, _ := e.PatchAssistant(a.AssistantID, AssistantRequest{}); next.Version != 4 {
		t.Errorf("the version after going back: %d", next.Version)
	}
	if _, err := e.SetLatestVersion(a.AssistantID, 9); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "Version 9 not found") {
		t.Errorf("a missing version: %v", err)
	}
	found, _ := e.SearchAssistants(AssistantQuery{Name: "TW"})
	if len(found) != 1 || found[0].AssistantID != a.AssistantID {
		t.Errorf("name search is a case-insensitive substring: %d", len(found))
	}
}

// TestCreatedJSON: the hand-encoded answer to a run's creation is the run
// snapshot as encoding/json writes it, and the webhook's kwargs and
// metadata are the same bytes.
func TestCreatedJSON(t *testing.T) {
	e := newTestEngine(t)
	tid := mustThread(t, e, nil)
	for _, body := range []RunRequest{
		{AssistantID: ptr("agent"), Input: raw(`{"messages":[{"role":"user","content":"<a> & \"b\" é"}]}`),
			Metadata: map[string]any{"k": "v", "n": 1.5, "z": []any{true, nil}}, Config: map[string]any{"configurable": map[string]any{"x": "y"}},
			Webhook: ptr("http://127.0.0.1:9/h?a=1&b=2")},
		{AssistantID: ptr("agent")},
	} {
		h, created, err := e.CreateRun(context.Background(), RunSpec{Request: &body, ThreadID: tid})
		if err != nil {
			t.Fatal(err)
		}
		<-h.Done()
		var got, want any
		if err := json.Unmarshal(h.CreatedJSON(created), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, h.CreatedJSON(created))
		}
		json.Unmarshal(MustJSON(created), &want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("hand-encoded run\n%v\nencoding/json\n%v", got, want)
		}
		kw, md := h.r.encoded()
		if string(kw) != string(MustJSON(created.Kwargs)) || string(md) != string(MustJSON(created.Metadata)) {
			t.Errorf("kwargs %s / metadata %s differ from the run's", kw, md)
		}
	}
}
