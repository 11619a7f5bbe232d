package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
	"hooklab/server/upstream"
)

// Config is what a running hooklab is made of.
type Config struct {
	// Runtime is the config in force at start (config.Resolve of the
	// langgraph.json in use).
	Runtime   *config.Runtime
	LookupEnv func(string) (string, bool) // the environment, for header templates on live edits
	// Addr is where to listen, e.g. 127.0.0.1:2024 or 127.0.0.1:0; ""
	// assembles a hooklab that does not serve (a replay from the CLI).
	Addr string
	// StorePath is the history database, or ":memory:". Ignored when Store
	// is set.
	StorePath string
	// Store is an already open store to use instead; the App does not
	// close it.
	Store *store.Store
	// MaxHistory bounds the history's size on disk and MaxAge its age,
	// by pruning the oldest runs (store.Options.MaxBytes, MaxAge; 0: none).
	MaxHistory int64
	MaxAge     time.Duration
	// WatchEvery polls langgraph.json for changes (0: not watched; never
	// for the embedded default).
	WatchEvery time.Duration
	RunTimeout time.Duration // default 3600 s
	MaxBody    int64         // default 32 MiB
	Heartbeat  time.Duration // SSE heartbeat and wait keep-alive; default 5 s
	Version    string
	Logger     *slog.Logger
	Resolver   config.Resolver                 // DNS for the URL policy; nil: the system resolver
	Backoff    func(attempt int) time.Duration // retry waits; nil: the platform's
	Now        func() time.Time                // the clock crons are scheduled by; nil: time.Now

	// Upstream is the developer's own LangGraph server: when set, the
	// LangGraph API is forwarded to it (see package upstream).
	Upstream string
	// UpstreamCommand starts the upstream as a child process, in its own
	// process group, stopped with it at Close.
	UpstreamCommand []string
	// UpstreamOutput receives each line the child writes, ANSI removed.
	UpstreamOutput func(line string)
	// UpstreamWait bounds the wait for the upstream's /ok at Start
	// (default 60 s for a command hooklab starts, which may take seconds
	// to come up, and 2 s for a server that should be running already).
	UpstreamWait time.Duration
	// AllowHosts are extra names a Host header may carry (--allow-host);
	// the host of Addr is always allowed.
	AllowHosts []string
	// Token is required on hooklab's own API when set. Listening beyond
	// loopback without one makes Open generate one (App.Token).
	Token string
	// ForwardsCORS reports a request forwarded to an upstream LangGraph
	// server, whose own CORS answer goes back as it is (Options.ForwardsCORS).
	ForwardsCORS func(*http.Request) bool
}

// App is a running hooklab: the store, the hub, the sender and the server,
// serving on a listener. Open assembles it, Start sets it going, Close
// winds it down; nothing else builds these parts.
type App struct {
	Store  *store.Store
	Hub    *hub.Hub
	Sender *sender.Sender
	Server *Server
	// Addr is the address served (with the port chosen when Config.Addr
	// asked for port 0); URL is http://Addr.
	Addr, URL string
	// Handler is what Start serves: the server's handler, unless the
	// caller wrapped it between Open and Start.
	Handler http.Handler
	// Exposed is true when the listener is not on loopback; Token is then
	// what hooklab's own API requires (given or generated).
	Exposed bool
	Token   string

	// Child is the upstream started by hooklab, or nil.
	Child *upstream.Child

	cfg       Config
	ln        net.Listener
	http      *http.Server
	ownsStore bool
	cancel    context.CancelFunc
}

// ListenError is Open's error when the address cannot be served.
type ListenError struct {
	Addr string
	Err  error
}

// Error implements error.
func (e *ListenError) Error() string {
	return fmt.Sprintf("cannot listen on %s: %v (is another hooklab or LangGraph server running? pick another --addr)", e.Addr, e.Err)
}

// Unwrap returns the cause.
func (e *ListenError) Unwrap() error { return e.Err }

// UpstreamError is why a hooklab in front of an upstream could not start:
// a bad --upstream, a command that does not start, an upstream that does
// not answer. The fix is in how hooklab was called.
type UpstreamError struct{ Err error }

// Error implements error.
func (e *UpstreamError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *UpstreamError) Unwrap() error { return e.Err }

// Open assembles a hooklab: it opens the store, builds the hub, the sender
// and the server (which loads the stored objects) and binds the address,
// so "address in use" is an error here, before anything starts.
func Open(cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Runtime == nil {
		return nil, errors.New("server.Open: no config runtime")
	}
	a := &App{cfg: cfg, Hub: hub.New(), Store: cfg.Store}
	if a.Store == nil {
		st, err := store.Open(cfg.StorePath, store.Options{Publish: a.Hub.Publish, Logger: cfg.Logger,
			MaxBytes: cfg.MaxHistory, MaxAge: cfg.MaxAge,
			// The store cannot record its own failure: tell the dashboard
			// and the feed directly, as a transient (Seq 0) notice.
			OnError: func(err error) {
				cfg.Logger.Error("store write failed", "err", err)
				a.notify("error", "store: "+err.Error()+"; the API keeps answering, new history is held in memory and retried")
			},
			OnRecover: func() { a.notify("info", "store: writing again") },
		})
		if err != nil {
			a.Hub.Close()
			return nil, err
		}
		a.Store, a.ownsStore = st, true
	}
	if cfg.Upstream != "" && cfg.Addr != "" && sameAddr(cfg.Upstream, cfg.Addr) {
		a.closeStore()
		return nil, &UpstreamError{fmt.Errorf("--upstream %s is hooklab's own --addr: run your LangGraph server on another port (for example --port 2025) and pass that URL", cfg.Upstream)}
	}
	if cfg.Addr != "" {
		ln, err := net.Listen("tcp", cfg.Addr)
		if err != nil {
			a.closeStore()
			return nil, &ListenError{Addr: cfg.Addr, Err: errors.Unwrap(err)}
		}
		a.ln, a.Addr, a.URL = ln, ln.Addr().String(), "http://"+ln.Addr().String()
		a.Exposed = exposed(ln.Addr())
	}
	a.Token = cfg.Token
	if a.Exposed && a.Token == "" {
		a.Token = newToken()
	}
	live := new(atomic.Pointer[config.Runtime])
	live.Store(cfg.Runtime)
	a.Sender = sender.New(sender.Options{
		Recorder: a.Store, Runtime: live.Load, Resolver: cfg.Resolver,
		Version: cfg.Version, Logger: cfg.Logger, Backoff: cfg.Backoff,
	})
	srv, err := New(Options{
		Store: a.Store, Hub: a.Hub, Sender: a.Sender, Live: live, LookupEnv: cfg.LookupEnv,
		Resolver: cfg.Resolver, RunTimeout: cfg.RunTimeout, MaxBody: cfg.MaxBody, Heartbeat: cfg.Heartbeat,
		Version: cfg.Version, Addr: a.Addr, Logger: cfg.Logger, Now: cfg.Now,
		AllowHosts: append(slices.Clone(cfg.AllowHosts), listenHost(cfg.Addr)), Token: a.Token, ForwardsCORS: cfg.ForwardsCORS,
		Upstream: upstream.Options{URL: cfg.Upstream},
	})
	if err != nil {
		if a.ln != nil {
			a.ln.Close()
		}
		a.closeStore()
		if cfg.Upstream != "" {
			err = &UpstreamError{err}
		}
		return nil, err
	}
	a.Server, a.Handler = srv, srv.Handler()
	// Relative webhook URLs are dispatched into the server's own handler.
	a.Sender.SetLocal(srv.LocalHandler())
	return a, nil
}

// Start serves the address, resumes the deliveries and runs an earlier
// hooklab left unfinished, starts the cron scheduler and the config
// watcher, and records that it listens. It returns once all are going.
func (a *App) Start(ctx context.Context) error {
	ctx, a.cancel = context.WithCancel(ctx)
	if err := a.startUpstream(ctx); err != nil {
		return &UpstreamError{err}
	}
	if a.ln != nil {
		a.http = &http.Server{
			Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			ErrorLog: slog.NewLogLogger(a.cfg.Logger.Handler(), slog.LevelWarn),
		}
		go a.http.Serve(a.ln)
		if err := a.Store.SetOwnerAddr(a.Addr); err != nil {
			a.cfg.Logger.Warn("cannot record the store's owner", "err", err)
		}
	}
	if err := a.Sender.Start(ctx); err != nil {
		return fmt.Errorf("resuming deliveries: %w", err)
	}
	if u := a.Server.Upstream(); u != nil {
		// After the sender's own resume: a run it already has a delivery
		// for is not sent again.
		if _, err := u.Resume(ctx); err != nil {
			return fmt.Errorf("resuming upstream runs: %w", err)
		}
	}
	a.Server.Start()
	f := a.cfg.Runtime.File
	if a.cfg.WatchEvery > 0 && f != nil && !f.Embedded && f.Path != "" {
		go a.Server.WatchConfig(ctx, f.Path, a.cfg.WatchEvery)
	}
	if a.ln != nil {
		a.Store.Append(hub.KindNotice, hub.NoticeInfo{Level: "info", Text: fmt.Sprintf("hooklab %s listening on %s (config: %s, store: %s)",
			a.cfg.Version, a.URL, configLabel(f), cmp.Or(a.cfg.StorePath, a.Store.Path()))})
	}
	if f != nil {
		a.Server.WarnConfig(f)
	}
	return nil
}

// Close stops runs first (they stay pending in the store and run again at
// the next start), which also releases /wait and stream answers; then lets
// requests finish; then gives deliveries in flight what is left of ctx.
// The sender stores whatever has not finished as pending.
func (a *App) Close(ctx context.Context) error {
	if a.cancel != nil {
		a.cancel()
	}
	a.Server.Close(ctx)
	if a.Child != nil {
		a.Child.Stop() // the whole process group: no orphans
	}
	if a.http != nil {
		a.http.Shutdown(ctx)
	} else if a.ln != nil {
		a.ln.Close()
	}
	a.Sender.Close(ctx)
	err := a.closeStore()
	a.Hub.Close()
	return err
}

func (a *App) closeStore() error {
	if !a.ownsStore {
		return nil
	}
	a.ownsStore = false
	return a.Store.Close()
}

// notify publishes a notice that is not stored (Seq 0).
func (a *App) notify(level, text string) {
	b, _ := json.Marshal(hub.NoticeInfo{Level: level, Text: text})
	a.Hub.Publish(hub.Event{Time: time.Now().UTC(), Kind: hub.KindNotice, Payload: b})
}

func configLabel(f *config.File) string {
	if f == nil || f.Embedded {
		return "embedded default"
	}
	return f.Path
}

// startUpstream starts the upstream command, if any, and waits until the
// upstream answers /ok: hooklab serves nothing before its upstream does.
func (a *App) startUpstream(ctx context.Context) error {
	u := a.Server.Upstream()
	if u == nil {
		return nil
	}
	if len(a.cfg.UpstreamCommand) > 0 {
		c, err := upstream.StartChild(upstream.ChildOptions{Argv: a.cfg.UpstreamCommand, OnLine: a.cfg.UpstreamOutput})
		if err != nil {
			return err
		}
		a.Child = c
		u.Attach(c)
	}
	wait := a.cfg.UpstreamWait
	switch {
	case wait > 0:
	case a.Child != nil:
		wait = 60 * time.Second
	default:
		wait = 2 * time.Second
	}
	return u.WaitReady(ctx, wait)
}

// sameAddr reports whether the URL rawURL points at the listen address
// addr (loopback names and addresses count as one).
func sameAddr(rawURL, addr string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	uh, up, _ := net.SplitHostPort(u.Host)
	ah, ap, _ := net.SplitHostPort(addr)
	if up == "" || up != ap {
		return false
	}
	loop := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "localhost" || h == "" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
	}
	return uh == ah || loop(uh) && loop(ah)
}
