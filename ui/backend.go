// Package ui is hooklab's terminal dashboard: a live feed of requests,
// policy decisions and webhook deliveries, a detail view, a config editor, a
// URL tester, replay with a diff, and the cron list. It depends on the rest
// of hooklab only through Backend, so the same dashboard runs in-process and
// over a remote hooklab's websocket feed (hooklab attach).
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
type Backend interface {
	Subscribe(ctx context.Context) *hub.Subscription
	History(ctx context.Context, q store.Query) ([]hub.Event, error)
	Delivery(ctx context.Context, id string) (sender.Delivery, error)
	Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error)
	CheckURL(ctx context.Context, raw string) config.Decision
	Config() *config.Runtime                                          // the config in force (File inside it)
	ApplyConfig(ctx context.Context, f *config.File, save bool) error // validate (config.Resolve), swap live, optionally save; returns *config.Error on refusal
	Crons(ctx context.Context) ([]Cron, error)
	FireCron(ctx context.Context, id string) (runID string, err error)
	Info() Info
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
}
