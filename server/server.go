package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Options are the Server's dependencies and settings.
type Options struct {
	Store      *store.Store
	Hub        *hub.Hub
	Sender     *sender.Sender
	Runtime    *config.Runtime             // the config in force at start
	LookupEnv  func(string) (string, bool) // for resolving header templates on live edits
	Resolver   config.Resolver             // DNS for the URL policy; nil: the system resolver
	RunTimeout time.Duration               // default 3600 s
	MaxBody    int64                       // request body limit; default 32 MiB
	Heartbeat  time.Duration               // SSE heartbeat and wait keep-alive; default 5 s
	Version    string
	Addr       string
	Logger     *slog.Logger
}

// Server is the LangGraph API and hooklab's own API. It keeps the live
// objects in memory and writes every change through to the store.
type Server struct {
	o       Options
	rt      atomic.Pointer[config.Runtime]
	handler http.Handler
	ctx     context.Context // ends at Close: stops runs and the scheduler
	stop    context.CancelFunc
	runsWG  sync.WaitGroup

	mu         sync.Mutex
	assistants map[string]*Assistant
	threads    map[string]*threadState
	runs       map[string]*runState
	crons      map[string]*cronState
	cronWake   chan struct{}
}

// New builds a Server from its dependencies and loads the stored objects.
func New(o Options) (*Server, error) {
	if o.RunTimeout <= 0 {
		o.RunTimeout = time.Hour
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 32 << 20
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	s := &Server{
		o:          o,
		assistants: map[string]*Assistant{},
		threads:    map[string]*threadState{},
		runs:       map[string]*runState{},
		crons:      map[string]*cronState{},
		cronWake:   make(chan struct{}, 1),
	}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.rt.Store(o.Runtime)
	if err := s.load(); err != nil {
		return nil, err
	}
	s.ensureSystemAssistants()
	s.handler = s.routes()
	return s, nil
}

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Runtime is the config in force.
func (s *Server) Runtime() *config.Runtime { return s.rt.Load() }

// Start resumes stored runs and starts the cron scheduler.
func (s *Server) Start() {
	s.resumeRuns()
	go s.schedule()
}

// Close cancels what is running; runs cut short are resumed on the next
// start. It waits for run goroutines until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	// Under s.mu: startNextLocked checks s.ctx and calls runsWG.Add under
	// it too, so no run can start after this point and Wait sees them all.
	s.mu.Lock()
	s.stop()
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.runsWG.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// emit records an event: it is stored, then published.
func (s *Server) emit(kind hub.Kind, payload any) {
	if s.o.Store != nil {
		s.o.Store.Append(kind, payload)
	}
}

func (s *Server) persist(t store.Table, id, parent string, v any) {
	if s.o.Store == nil {
		return
	}
	b, err := marshal(v)
	if err != nil {
		s.o.Logger.Error("encode record", "table", t, "id", id, "err", err)
		return
	}
	s.o.Store.Put(t, store.Record{ID: id, Parent: parent, Data: b})
}

// persistSnapshot queues v, which must never change afterwards, for the
// store's writer to encode at commit: the encoding happens off the request
// path and outside s.mu, once per batch however often v was put.
func (s *Server) persistSnapshot(t store.Table, id, parent string, v any) {
	if s.o.Store != nil {
		s.o.Store.PutValue(t, id, parent, v)
	}
}

func (s *Server) unpersist(t store.Table, id string) {
	if s.o.Store != nil {
		s.o.Store.Delete(t, id)
	}
}

// load reads every stored object back into memory.
func (s *Server) load() error {
	if s.o.Store == nil {
		return nil
	}
	var err error
	each := func(t store.Table, fn func(json.RawMessage) error) {
		if err != nil {
			return
		}
		recs, lerr := s.o.Store.Load(t)
		if lerr != nil {
			err = fmt.Errorf("load %s: %w", t, lerr)
			return
		}
		for _, r := range recs {
			if derr := fn(r.Data); derr != nil {
				s.o.Logger.Warn("skipping unreadable record", "table", t, "id", r.ID, "err", derr)
			}
		}
	}
	each(store.Assistants, func(b json.RawMessage) error {
		var a Assistant
		if err := json.Unmarshal(b, &a); err != nil {
			return err
		}
		s.assistants[a.AssistantID] = &a
		return nil
	})
	each(store.Threads, func(b json.RawMessage) error {
		var rec threadRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		s.threads[rec.ThreadID] = &threadState{Thread: rec.Thread, history: rec.History, temporary: rec.Temporary}
		return nil
	})
	each(store.Runs, func(b json.RawMessage) error {
		var rec runRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		r := newRunState(rec)
		if r.Status != "pending" && r.Status != "running" {
			// Finished before the restart: join and stream answer at once.
			close(r.done)
			r.stream.close()
		}
		s.runs[rec.RunID] = r
		return nil
	})
	each(store.Crons, func(b json.RawMessage) error {
		var c Cron
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		cs, cerr := newCronState(c)
		if cerr != nil {
			return cerr
		}
		s.crons[c.CronID] = cs
		return nil
	})
	return err
}

// ensureSystemAssistants gives every configured graph its system assistant.
func (s *Server) ensureSystemAssistants() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.Runtime().File.Graphs {
		id := systemAssistantID(g)
		if _, ok := s.assistants[id]; ok {
			continue
		}
		t := now()
		a := &Assistant{
			AssistantID: id, GraphID: g, Config: map[string]any{}, Context: map[string]any{},
			CreatedAt: t, UpdatedAt: t, Metadata: map[string]any{"created_by": "system"},
			Version: 1, Name: g,
		}
		s.assistants[id] = a
		s.persist(store.Assistants, id, "", a)
	}
}

// hasGraph reports whether graph id g is served.
func (s *Server) hasGraph(g string) bool {
	for _, x := range s.Runtime().File.Graphs {
		if x == g {
			return true
		}
	}
	return false
}
