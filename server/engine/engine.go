// Package engine is hooklab's run engine: the LangGraph assistants,
// threads, runs, checkpoints and store items, kept in memory and written
// through to the store, and the built-in echo graph that executes every
// run. It knows nothing of HTTP: the server package decodes requests,
// calls the engine and maps its errors (ErrNotFound, ErrConflict,
// ErrInvalid, ErrRejected, ErrPartial) to statuses.
//
// The platform facts it reproduces:
//   - every graph in langgraph.json has a system assistant whose id is the
//     UUID v5 of the graph id in the namespace 6ba7b821-9dad-11d1-80b4-00c04fd430c8,
//     named after the graph, with metadata {"created_by": "system"}; a graph
//     id is accepted wherever an assistant id is;
//   - runs on one thread execute one at a time; a new run on a busy thread
//     follows its multitask strategy (reject, rollback, interrupt, enqueue;
//     enqueue by default);
//   - a run ends as success (also when it stops at an interrupt: the thread
//     becomes interrupted), error, timeout (past the run timeout),
//     interrupted (cancelled with action interrupt) or rollback (cancelled
//     with action rollback: the run and the checkpoints it wrote are
//     deleted);
//   - a run cancelled while still pending sends no webhook;
//   - a run writes checkpoints as a LangGraph graph does (loop.go), and a
//     thread's state, history, copy and updates are made of them
//     (checkpoints.go, state.go).
//
// Temporary threads. A stateless run (POST /runs, /runs/stream,
// /runs/wait, /runs/batch) gets a thread of its own, as on the platform:
// an ordinary thread, with metadata {"graph_id", "assistant_id"} plus the
// run's config.metadata and metadata, busy while the run exists. So while
// the run is pending or running its thread is listed by POST
// /threads/search and /threads/count, and answers GET /threads/{id},
// GET /threads/{id}/runs, /threads/{id}/runs/{run_id} and the run's join
// and stream routes, and GET /threads/{id}/stream; the run object, the
// stream's run id and POST /runs/wait's Content-Location
// (/threads/{id}/runs/{run_id}) name it. With on_completion "delete" (the
// default) the run is temporary (kwargs.temporary true): it keeps no
// checkpoint, and when it ends its thread and the run are deleted, after
// which those routes answer 404. With on_completion "keep" the thread is
// an ordinary one for good: it keeps its checkpoints and stays listed,
// idle. A stateless run's webhook carries values null either way.
//
// One mutex guards every object (the store items and the threads' join
// streams have their own). Webhooks are handed to the Sender after it is
// released, so a slow receiver never holds the engine.
package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Store is where the engine keeps its objects and reports run status
// changes. The history store satisfies it.
type Store interface {
	Load(t store.Table) ([]store.Record, error)
	Put(t store.Table, r store.Record)
	// PutValue queues v, which must never change afterwards, to be encoded
	// off the caller's goroutine.
	PutValue(t store.Table, id, parent string, v any)
	Delete(t store.Table, id string)
	Append(kind hub.Kind, payload any)
}

// Sender delivers a run's webhook once the run has ended.
type Sender interface {
	Send(ctx context.Context, j sender.Job) (string, error)
}

// Options are the engine's dependencies and settings.
type Options struct {
	Store  Store    // nil: nothing is kept
	Sender Sender   // nil: no webhooks are sent
	Graphs []string // the graph ids served; fixed for the engine's life
	// GraphConfig is LANGGRAPH_CONFIG read (ParseGraphConfig): per graph
	// id, the config of its system assistant, whose "context" key is the
	// assistant's context instead. It applies at every start, to a system
	// assistant the store already holds too.
	GraphConfig map[string]map[string]any
	RunTimeout  time.Duration
	Logger      *slog.Logger
	// Admit checks a run's webhook URL at creation (the URL policy); its
	// error is returned to the caller as it is and no run is created. Nil
	// admits every URL.
	Admit func(ctx context.Context, webhook string) error
}

// Engine holds the live objects and executes runs.
type Engine struct {
	o      Options
	ctx    context.Context // ends at Close: stops runs
	stop   context.CancelFunc
	runsWG sync.WaitGroup

	mu         sync.Mutex
	assistants map[string]*Assistant
	versions   map[string][]AssistantVersion // by assistant id, oldest first
	threads    map[string]*threadState
	runs       map[string]*runState

	items items // the store API's items, under their own lock
	feeds feeds // the threads' join streams, under their own lock
}

// New builds an engine and loads the stored objects.
func New(o Options) (*Engine, error) {
	if o.RunTimeout <= 0 {
		o.RunTimeout = time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		o:          o,
		assistants: map[string]*Assistant{},
		versions:   map[string][]AssistantVersion{},
		threads:    map[string]*threadState{},
		runs:       map[string]*runState{},
	}
	e.ctx, e.stop = context.WithCancel(context.Background())
	if err := e.load(); err != nil {
		return nil, err
	}
	if err := e.loadItems(); err != nil {
		return nil, err
	}
	e.ensureSystemAssistants()
	return e, nil
}

// Start runs again what was pending or running when hooklab last stopped.
func (e *Engine) Start() { e.resumeRuns() }

// Closing is closed once Close has begun: answers waiting on runs give up.
func (e *Engine) Closing() <-chan struct{} { return e.ctx.Done() }

// Close cancels what is running; runs cut short stay pending in the store
// and run again at the next Start. It waits for run goroutines until ctx ends.
func (e *Engine) Close(ctx context.Context) error {
	// Under e.mu: startNextLocked checks e.ctx and calls runsWG.Add under
	// it too, so no run can start after this point and Wait sees them all.
	e.mu.Lock()
	e.stop()
	e.mu.Unlock()
	e.closeAllFeeds() // join streams end, so the HTTP server can shut down
	done := make(chan struct{})
	go func() { e.runsWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// HasGraph reports whether graph id g is served.
func (e *Engine) HasGraph(g string) bool {
	for _, x := range e.o.Graphs {
		if x == g {
			return true
		}
	}
	return false
}

// Graphs lists the graph ids served.
func (e *Engine) Graphs() []string { return e.o.Graphs }

func (e *Engine) emit(kind hub.Kind, payload any) {
	if e.o.Store != nil {
		e.o.Store.Append(kind, payload)
	}
}

func (e *Engine) persist(t store.Table, id, parent string, v any) {
	if e.o.Store == nil {
		return
	}
	b, err := marshal(v)
	if err != nil {
		e.o.Logger.Error("encode record", "table", t, "id", id, "err", err)
		return
	}
	e.o.Store.Put(t, store.Record{ID: id, Parent: parent, Data: b})
}

// persistSnapshot queues v, which must never change afterwards, for the
// store's writer to encode at commit: the encoding happens off the request
// path and outside e.mu, once per batch however often v was put.
func (e *Engine) persistSnapshot(t store.Table, id, parent string, v any) {
	if e.o.Store != nil {
		e.o.Store.PutValue(t, id, parent, v)
	}
}

func (e *Engine) unpersist(t store.Table, id string) {
	if e.o.Store != nil {
		e.o.Store.Delete(t, id)
	}
}

// load reads every stored object back into memory.
func (e *Engine) load() error {
	if e.o.Store == nil {
		return nil
	}
	var err error
	each := func(t store.Table, fn func(json.RawMessage) error) {
		if err != nil {
			return
		}
		recs, lerr := e.o.Store.Load(t)
		if lerr != nil {
			err = fmt.Errorf("load %s: %w", t, lerr)
			return
		}
		for _, r := range recs {
			if derr := fn(r.Data); derr != nil {
				e.o.Logger.Warn("skipping unreadable record", "table", t, "id", r.ID, "err", derr)
			}
		}
	}
	each(store.Assistants, func(b json.RawMessage) error {
		var rec assistantRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		a := rec.Assistant
		e.assistants[a.AssistantID] = &a
		if len(rec.Versions) == 0 {
			rec.Versions = []AssistantVersion{versionOf(&a)} // stored before versions were kept
		}
		e.versions[a.AssistantID] = rec.Versions
		return nil
	})
	each(store.Threads, func(b json.RawMessage) error {
		var rec threadRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		t := &threadState{Thread: rec.Thread, history: rec.History, temporary: rec.Temporary}
		if t.Interrupts == nil {
			t.Interrupts = map[string]any{}
		}
		for i := range t.history {
			t.history[i] = upgradeState(t.history[i])
		}
		e.threads[rec.ThreadID] = t
		return nil
	})
	each(store.Runs, func(b json.RawMessage) error {
		var rec runRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		r := newRunState(rec)
		if r.Status.Ended() {
			// Finished before the restart: join and stream answer at once.
			close(r.done)
			r.stream.close()
		}
		e.runs[rec.RunID] = r
		return nil
	})
	return err
}

// ParseGraphConfig reads the LANGGRAPH_CONFIG variable: a JSON object
// whose keys are graph ids and whose values are config objects (with an
// optional "context" object), as both LangGraph servers read it ("" is
// none; a graph id with null is skipped).
func ParseGraphConfig(s string) (map[string]map[string]any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	const want = `write a JSON object of graph ids to config objects, e.g. {"agent": {"configurable": {"model": "x"}, "context": {"user": "u"}}}`
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, Invalid("LANGGRAPH_CONFIG", "is not JSON (%s); %s", strings.TrimPrefix(err.Error(), "json: "), want)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Invalid("LANGGRAPH_CONFIG", "must be an object, got %s; %s", kindOf(v), want)
	}
	out := map[string]map[string]any{}
	for g, gv := range m {
		if gv == nil {
			continue
		}
		c, ok := gv.(map[string]any)
		if !ok {
			return nil, Invalid("LANGGRAPH_CONFIG", "the value for graph %q must be a config object, got %s; %s", g, kindOf(gv), want)
		}
		if ctx, ok := c["context"]; ok && ctx != nil {
			if _, ok := ctx.(map[string]any); !ok {
				return nil, Invalid("LANGGRAPH_CONFIG", "the context of graph %q must be an object, got %s; %s", g, kindOf(ctx), want)
			}
		}
		out[g] = c
	}
	return out, nil
}

// kindOf names the JSON kind of a decoded value.
func kindOf(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "null"
}

// ensureSystemAssistants gives every configured graph its system
// assistant, with its config from GraphConfig. A system assistant the
// store already holds takes GraphConfig's entry for its graph when there
// is one and it differs, as a new version: the default store is shared by
// every project, so an earlier start's config must not stick.
func (e *Engine) ensureSystemAssistants() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, g := range e.o.Graphs {
		gc, given := e.o.GraphConfig[g]
		config, context := map[string]any{}, map[string]any{}
		for k, v := range gc {
			if c, ok := v.(map[string]any); ok && k == "context" {
				context = c
			} else if k != "context" {
				config[k] = v
			}
		}
		id := SystemAssistantID(g)
		if a, ok := e.assistants[id]; ok {
			if given && (!jsonEqual(a.Config, config) || !jsonEqual(a.Context, context)) {
				next := *a
				next.Config, next.Context = config, context
				e.newVersionLocked(a, next)
			}
			continue
		}
		t := Now()
		a := &Assistant{
			AssistantID: id, GraphID: g, Config: config, Context: context,
			CreatedAt: t, UpdatedAt: t, Metadata: map[string]any{"created_by": "system"},
			Version: 1, Name: g,
		}
		e.assistants[id] = a
		e.versions[id] = []AssistantVersion{versionOf(a)}
		e.persistAssistant(a)
	}
}

// marshal encodes JSON the way the platform writes it (see store.Marshal).
func marshal(v any) ([]byte, error) { return store.Marshal(v) }

// MustJSON is v encoded as the platform writes it, or null if it cannot be.
func MustJSON(v any) json.RawMessage {
	b, err := marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
