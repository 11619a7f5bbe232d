// Package ui is hooklab's terminal dashboard: a live list of runs (each
// run's request, policy decisions, statuses, delivery and attempts folded
// into one row; v shows the raw events), a detail view that leads with the
// receiver's response, a config editor, a URL tester, replay with a diff,
// and the cron list. It depends on the rest of hooklab only through
// Backend, so the same dashboard runs in-process and over a remote
// hooklab's websocket feed (hooklab attach).
package ui

import (
	"context"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Backend is everything the dashboard may ask of the rest of hooklab.
//
// Config and Info are cheap reads of state the backend already holds: the
// dashboard calls them while handling a message or drawing a frame, so they
// never block on I/O. Every other method may block (a store read, an HTTP
// request to a remote hooklab) and is only ever called from a tea.Cmd, off
// the update loop.
type Backend interface {
	// Subscribe starts the live event feed. Called once, from Init.
	Subscribe(ctx context.Context) *hub.Subscription
	// History reads stored events (q as store.Query describes).
	History(ctx context.Context, q store.Query) ([]hub.Event, error)
	// Delivery reads one stored delivery; an unknown id gives an error
	// matching store.ErrNotFound.
	Delivery(ctx context.Context, id string) (sender.Delivery, error)
	// Replay sends a stored delivery again (changed as r says) and returns
	// the new delivery once it has an outcome.
	Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error)
	// NewURLTester starts a URL-tester session (the tester opens one each
	// time it opens). Like Config it never blocks: it only makes the
	// session, whose Test may.
	NewURLTester() URLTester
	// Config is the config in force as last known. It never blocks; nil
	// when nothing is known yet.
	Config() *config.Runtime
	// ResolveConfig validates f and resolves its header templates in the
	// environment of the hooklab being watched, changing nothing. The
	// runtime it returns has every secret masked (Value holds no more than
	// Masked does); a refusal is a *config.Error naming the key.
	ResolveConfig(ctx context.Context, f *config.File) (*config.Runtime, error)
	// ApplyConfig validates f and resolves its header templates where
	// hooklab runs, swaps it in live and, with save, writes it to its
	// file. A refusal leaves the config in force as it was and is a
	// *config.Error when it concerns a key, or a ConfigConflict when the
	// file on disk changed since it was loaded or no longer parses.
	ApplyConfig(ctx context.Context, f *config.File, save bool) error
	// Loosenings names every way f's URL policy (and env_prefix and
	// allowed_fields) is looser than the langgraph.json the config in
	// force was read from (config.File.Loosenings): what a save asks the
	// user to confirm first. It changes nothing.
	Loosenings(ctx context.Context, f *config.File) ([]config.Loosening, error)
	// ReloadConfig reads langgraph.json again and puts it in force: the
	// "reload" answer to a refused save. A file that does not load is an
	// error, and becomes the config's Problem.
	ReloadConfig(ctx context.Context) (*config.Runtime, error)
	// Crons lists the crons, ordered by id.
	Crons(ctx context.Context) ([]Cron, error)
	// FireCron starts a run of the cron now and returns its id.
	FireCron(ctx context.Context, id string) (runID string, err error)
	// DeleteCron deletes the cron; an unknown id gives an error matching
	// store.ErrNotFound.
	DeleteCron(ctx context.Context, id string) error
	// SetCronEnabled pauses (false) or resumes (true) the cron; an
	// unknown id gives an error matching store.ErrNotFound.
	SetCronEnabled(ctx context.Context, id string, enabled bool) error
	// UpstreamLog is the newest lines the upstream command hooklab started
	// wrote (stdout and stderr, oldest first, ANSI escapes removed); none
	// when hooklab started no command.
	UpstreamLog(ctx context.Context) ([]string, error)
	// Info describes the hooklab being watched. Like Config it never
	// blocks.
	Info() Info
}

// URLTester is one session of the URL tester: it resolves each host name
// at most once however often a URL is tested again.
type URLTester interface {
	// Test explains the URL policy in force for raw (config.Policy.Explain):
	// every failing check, the platform's marked Reported. With offline no
	// host name is resolved and the decision says the address check did
	// not run. When the test cannot be made, the decision is a refusal
	// saying why.
	Test(ctx context.Context, raw string, offline bool) config.Decision
}

// Cron is one row of the cron list.
type Cron struct {
	ID, AssistantID, ThreadID, Schedule, Webhook string
	Enabled                                      bool
	NextRun                                      *time.Time
	EndTime                                      *time.Time
}

// Info describes the hooklab being watched.
type Info struct {
	Addr, ConfigPath, StorePath, Version string
	Embedded, Remote                     bool
	// Upstream is the state of the developer's LangGraph server hooklab
	// forwards to; nil when it runs its own engine.
	Upstream *hub.UpstreamInfo
}
