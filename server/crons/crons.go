// Package crons keeps the cron jobs and fires them on schedule. Each firing
// creates an ordinary run with the cron's payload (and its webhook) through
// a Runner: the run engine, or in upstream mode the developer's own
// LangGraph server. The platform's schedules are five-field cron
// expressions in a time zone (UTC by default); a cron stops firing after
// its end_time; a stateless cron's run gets a new thread each time.
//
// The table has its own lock; nothing is held while a run is created.
package crons

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// Cron is the API's cron object.
type Cron struct {
	CronID         string         `json:"cron_id"`
	AssistantID    string         `json:"assistant_id"`
	ThreadID       *string        `json:"thread_id"`
	OnRunCompleted *string        `json:"on_run_completed,omitempty"`
	EndTime        *engine.Time   `json:"end_time"`
	Schedule       string         `json:"schedule"`
	Timezone       *string        `json:"timezone,omitempty"`
	CreatedAt      engine.Time    `json:"created_at"`
	UpdatedAt      engine.Time    `json:"updated_at"`
	Payload        map[string]any `json:"payload"`
	UserID         *string        `json:"user_id"`
	NextRunDate    *engine.Time   `json:"next_run_date"`
	Metadata       map[string]any `json:"metadata"`
	Enabled        bool           `json:"enabled"`
}

// Firing is one run a cron creates.
type Firing struct {
	CronID   string
	ThreadID string            // "" for a stateless cron
	Request  engine.RunRequest // Payload decoded
	// Payload is the run's body as stored with the cron (webhook
	// included), with on_completion set for a stateless cron.
	Payload json.RawMessage
}

// Runner is what the table needs to check a cron's references and to
// create the run of each firing.
type Runner interface {
	// AssistantID resolves an assistant id or graph id to an assistant id.
	AssistantID(ctx context.Context, idOrGraph string) (string, error)
	// CheckThread fails when thread id does not exist.
	CheckThread(ctx context.Context, id string) error
	// Fire creates the run of f and returns its id.
	Fire(ctx context.Context, f Firing) (runID string, err error)
}

// Store is where crons are kept and their events recorded.
type Store interface {
	Load(t store.Table) ([]store.Record, error)
	Put(t store.Table, r store.Record)
	Delete(t store.Table, id string)
	Append(kind hub.Kind, payload any)
}

// Options are the table's dependencies.
type Options struct {
	Store  Store // nil: nothing is kept
	Runner Runner
	// Admit checks a cron's webhook URL (the URL policy) at creation and
	// on a change; its error is returned as it is.
	Admit func(ctx context.Context, webhook string) error
	// Now is the clock schedules are read against (default time.Now).
	Now func() time.Time
}

// Table holds the crons and fires them.
type Table struct {
	o    Options
	wake chan struct{}

	mu    sync.Mutex
	crons map[string]*cronState
}

// cronState is a cron with its parsed schedule.
type cronState struct {
	Cron
	sched cron.Schedule
	loc   *time.Location
}

// New builds the table and loads the stored crons; a cron whose schedule
// no longer parses is skipped, and reported by skipped.
func New(o Options) (t *Table, skipped map[string]error, err error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	t = &Table{o: o, wake: make(chan struct{}, 1), crons: map[string]*cronState{}}
	if o.Store == nil {
		return t, nil, nil
	}
	recs, err := o.Store.Load(store.Crons)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range recs {
		var c Cron
		err := json.Unmarshal(r.Data, &c)
		var cs *cronState
		if err == nil {
			cs, err = newCronState(c)
		}
		if err != nil {
			if skipped == nil {
				skipped = map[string]error{}
			}
			skipped[r.ID] = err
			continue
		}
		t.crons[c.CronID] = cs
	}
	return t, skipped, nil
}

func parseSchedule(spec, tz string) (cron.Schedule, *time.Location, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, nil, engine.Invalid("timezone", "unknown time zone %q; use an IANA name such as \"Europe/Paris\" or \"UTC\"", tz)
		}
		loc = l
	}
	if strings.HasPrefix(spec, "@every") || strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// robfig/cron extensions the platform's croniter does not read.
		return nil, nil, engine.Invalid("schedule", "%q is not a cron expression the platform accepts; use five fields (minute hour day-of-month month day-of-week), and the timezone field for a time zone", spec)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, nil, engine.Invalid("schedule", "invalid cron expression %q: %v; use five fields (minute hour day-of-month month day-of-week), e.g. \"*/5 * * * *\"", spec, err)
	}
	if sched.Next(time.Now().In(loc)).IsZero() { // five years ahead of the real clock
		return nil, nil, engine.Invalid("schedule", "cron expression %q never fires (no matching date in the next five years); check the day of month and month", spec)
	}
	return sched, loc, nil
}

func newCronState(c Cron) (*cronState, error) {
	tz := ""
	if c.Timezone != nil {
		tz = *c.Timezone
	}
	sched, loc, err := parseSchedule(c.Schedule, tz)
	if err != nil {
		return nil, err
	}
	return &cronState{Cron: c, sched: sched, loc: loc}, nil
}

// advance sets next_run_date to the first time after t, or nil past end_time.
func (c *cronState) advance(t time.Time) {
	next := c.sched.Next(t.In(c.loc)).UTC()
	// Next is zero when nothing matches within five years (e.g. Feb 30).
	if next.IsZero() || c.EndTime != nil && next.After(c.EndTime.Time) {
		c.NextRunDate = nil
		return
	}
	c.NextRunDate = &engine.Time{Time: next}
}

func (t *Table) persist(c *cronState) {
	if t.o.Store == nil {
		return
	}
	b, err := store.Marshal(c.Cron)
	if err != nil {
		return
	}
	t.o.Store.Put(store.Crons, store.Record{ID: c.CronID, Parent: deref(c.ThreadID), Data: b})
}

func (t *Table) emit(info hub.CronInfo) {
	if t.o.Store != nil {
		t.o.Store.Append(hub.KindCron, info)
	}
}

// now is the table's clock in the platform's form.
func (t *Table) now() engine.Time { return engine.Time{Time: t.o.Now().UTC()} }

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
