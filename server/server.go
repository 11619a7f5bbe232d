// Package server is hooklab's HTTP side: the LangGraph API a client calls
// (assistants, threads, runs, streams, crons) over the run engine, and
// hooklab's own API under /hooklab/ (the event feed, history, deliveries,
// replay, the sink, config and the URL tester). Open (app.go) is the one
// place that assembles a running hooklab from its parts.
//
// The parts: the handlers decode requests and map errors to statuses in
// one function (errors.go); the run engine (server/engine) holds the
// objects and executes runs; the cron table (server/crons) fires crons;
// the sender delivers webhooks; the store keeps everything and publishes
// events to the hub. The engine and the cron table each have their own
// lock; the handlers and hooklab's own API have none. In front of every
// route (guard.go): the Host check, the rules that keep web pages out of
// hooklab's own API, and CORS on the LangGraph routes (cors.go).
//
// The platform behaviour served here: errors are JSON {"detail": "..."}
// with 422 for a schema violation, 404 for an unknown object, 409 for a
// conflict and 400 for a value the server refuses; a webhook URL is
// checked against the URL policy when a run or cron is created, and a
// refusal is a 422 before anything exists (for a stream, before the
// response starts); every answer that creates a run carries
// Content-Location, and stream and wait answers Location too.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/crons"
	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
	"hooklab/server/upstream"
)

// Options are the Server's dependencies and settings.
type Options struct {
	Store     *store.Store
	Hub       *hub.Hub
	Sender    *sender.Sender
	Live      *atomic.Pointer[config.Runtime] // the config in force, shared with the sender
	LookupEnv func(string) (string, bool)     // for resolving header templates on live edits
	Resolver  config.Resolver                 // DNS for the URL policy; nil: the system resolver
	// RunTimeout ends runs that take longer with status timeout (default 3600 s).
	RunTimeout time.Duration
	MaxBody    int64         // request body limit; default 32 MiB
	Heartbeat  time.Duration // SSE heartbeat and wait keep-alive; default 5 s
	Version    string
	Addr       string
	Logger     *slog.Logger
	Now        func() time.Time // the clock crons are scheduled by; default time.Now
	// Upstream, when its URL is set, forwards the LangGraph API to the
	// developer's own server instead of running the engine; hooklab keeps
	// its own API, the crons and every webhook.
	Upstream upstream.Options
	// AllowHosts are the names, besides IP addresses and localhost, that a
	// Host header may carry (".example.com": the name and its subdomains).
	AllowHosts []string
	// Token, when set, is required on hooklab's own API (not the sink).
	Token string
	// ForwardsCORS reports a request whose CORS answer comes from
	// elsewhere (an upstream LangGraph server it is forwarded to): the CORS
	// layer then adds nothing and leaves its preflight alone. nil: none.
	ForwardsCORS func(*http.Request) bool
}

// Server is the LangGraph API and hooklab's own API over the run engine
// and the cron table.
type Server struct {
	o       Options
	live    *atomic.Pointer[config.Runtime]
	eng     *engine.Engine     // nil in upstream mode
	up      *upstream.Upstream // nil unless in upstream mode
	crons   *crons.Table
	handler http.Handler       // served on the network: routes behind the guards
	local   http.Handler       // relative webhooks: the LangGraph routes and the sink
	stop    context.CancelFunc // ends the scheduler
}

// New builds a Server from its dependencies and loads the stored objects.
func New(o Options) (*Server, error) {
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
	s := &Server{o: o, live: o.Live}
	eo := engine.Options{Graphs: s.Runtime().File.Graphs, RunTimeout: o.RunTimeout, Logger: o.Logger, Admit: s.admitWebhook}
	var err error
	if o.Upstream.URL == "" { // in front of an upstream, its own graphs read it
		gc, _ := config.EnvLookup(s.Runtime().File, o.LookupEnv)("LANGGRAPH_CONFIG")
		if eo.GraphConfig, err = engine.ParseGraphConfig(gc); err != nil {
			return nil, err
		}
	}
	co := crons.Options{Admit: s.admitWebhook, Now: o.Now}
	// Interfaces get no typed nil: a server without a store keeps nothing.
	if o.Store != nil {
		eo.Store, co.Store = o.Store, o.Store
	}
	if o.Sender != nil {
		eo.Sender = o.Sender
	}
	if o.Upstream.URL != "" {
		uo := o.Upstream
		uo.CheckWebhook = func(r *http.Request, webhook string) error { return s.admitWebhook(r.Context(), webhook) }
		uo.RunTimeout, uo.Logger = o.RunTimeout, o.Logger
		if o.Sender != nil {
			uo.Sender = o.Sender
		}
		if o.Store != nil {
			uo.Recorder = o.Store
			if o.Store.Path() != ":memory:" {
				uo.Journal = o.Store // observations outlive the process
			}
		}
		if s.up, err = upstream.New(uo); err != nil {
			return nil, err
		}
		if s.o.ForwardsCORS == nil {
			// The upstream answers CORS for what it serves.
			s.o.ForwardsCORS = func(r *http.Request) bool { return !servedHere(r.URL.Path) }
		}
		co.Runner = upstreamRunner{s.up}
	} else {
		if s.eng, err = engine.New(eo); err != nil {
			return nil, err
		}
		co.Runner = engineRunner{s.eng}
	}
	var skipped map[string]error
	s.crons, skipped, err = crons.New(co)
	if err != nil {
		return nil, err
	}
	for id, err := range skipped {
		o.Logger.Warn("skipping unreadable cron", "id", id, "err", err)
	}
	routes := s.routes()
	s.handler, s.local = s.protect(routes), localOnly(routes)
	return s, nil
}

// Handler is the server's HTTP handler, for the network.
func (s *Server) Handler() http.Handler { return s.handler }

// LocalHandler is the handler relative webhook URLs are dispatched into.
func (s *Server) LocalHandler() http.Handler { return s.local }

// Runtime is the config in force.
func (s *Server) Runtime() *config.Runtime { return s.live.Load() }

// Upstream is the developer's server hooklab forwards to, or nil.
func (s *Server) Upstream() *upstream.Upstream { return s.up }

// Start resumes stored runs and starts the cron scheduler.
func (s *Server) Start() {
	if s.eng != nil {
		s.eng.Start()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go s.crons.Run(ctx)
}

// Close stops the scheduler and cancels what is running; runs cut short
// are resumed on the next start. It waits for run goroutines until ctx ends.
func (s *Server) Close(ctx context.Context) error {
	if s.stop != nil {
		s.stop()
	}
	if s.up != nil {
		// Runs still observed stay journalled for the next start (with
		// an in-memory store they are reported lost).
		return s.up.Close()
	}
	return s.eng.Close(ctx)
}

// closing is closed once Close has begun (never in upstream mode).
func (s *Server) closing() <-chan struct{} {
	if s.eng == nil {
		return nil
	}
	return s.eng.Closing()
}

// emit records an event: it is stored, then published.
func (s *Server) emit(kind hub.Kind, payload any) {
	if s.o.Store != nil {
		s.o.Store.Append(kind, payload)
	}
}

// admitWebhook applies the URL policy at creation: a refusal is a 422
// carrying the platform's message, before any run or stream exists. Every
// decision is recorded as an event; an allowed one without its checks,
// which its delivery keeps.
func (s *Server) admitWebhook(ctx context.Context, raw string) error {
	var d config.Decision
	if s.o.Sender != nil {
		d = s.o.Sender.Admit(ctx, raw)
	} else {
		d = s.Runtime().Policy.Check(ctx, raw, s.o.Resolver)
	}
	info := hub.DecisionInfo{Stage: "create", Decision: d}
	if d.Allowed {
		info.Decision.Checks = nil
		s.emit(hub.KindDecision, info)
		return nil
	}
	s.emit(hub.KindDecision, info)
	// The platform's message first; loopback refusals, relative or
	// absolute, add hooklab's hint: the usual way to lose a local receiver
	// is a langgraph.json without webhooks.url. Every hint is in the
	// decision event.
	detail := d.Message
	loopback := d.Rule == config.RuleLoopback ||
		d.Rule == config.RuleAddress && strings.Contains(d.Hint, "disable_loopback")
	if loopback && d.Hint != "" {
		detail += ". Hint: " + d.Hint
	}
	return &engine.Error{Kind: engine.ErrInvalid, Detail: detail}
}

// engineRunner lets the cron table create its runs in the engine.
type engineRunner struct{ e *engine.Engine }

// AssistantID implements crons.Runner.
func (r engineRunner) AssistantID(_ context.Context, idOrGraph string) (string, error) {
	a, err := r.e.Assistant(idOrGraph)
	return a.AssistantID, err
}

// CheckThread implements crons.Runner.
func (r engineRunner) CheckThread(_ context.Context, id string) error {
	_, err := r.e.Thread(id)
	return err
}

// Fire implements crons.Runner.
func (r engineRunner) Fire(ctx context.Context, f crons.Firing) (string, error) {
	h, _, err := r.e.CreateRun(ctx, engine.RunSpec{Request: &f.Request, ThreadID: f.ThreadID, CronID: f.CronID})
	if err != nil {
		return "", err
	}
	return h.ID(), nil
}

// upstreamRunner lets the cron table create its runs on the upstream. The
// upstream resolves assistant and thread ids itself when a cron fires.
type upstreamRunner struct{ u *upstream.Upstream }

// AssistantID implements crons.Runner: the id as given.
func (r upstreamRunner) AssistantID(_ context.Context, idOrGraph string) (string, error) {
	return idOrGraph, nil
}

// CheckThread implements crons.Runner: the upstream checks at each firing.
func (r upstreamRunner) CheckThread(context.Context, string) error { return nil }

// Fire implements crons.Runner.
func (r upstreamRunner) Fire(ctx context.Context, f crons.Firing) (string, error) {
	webhook := ""
	if f.Request.Webhook != nil {
		webhook = *f.Request.Webhook
	}
	runID, _, err := r.u.CreateRun(ctx, upstream.CronRun{CronID: f.CronID, ThreadID: f.ThreadID, Body: f.Payload, Webhook: webhook})
	return runID, err
}
