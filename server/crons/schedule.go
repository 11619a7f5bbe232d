package crons

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"time"

	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func (t *Table) wakeUp() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// Run fires due crons until ctx ends.
func (t *Table) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var due []string
		wait := time.Hour
		t.mu.Lock()
		now := t.o.Now()
		for id, c := range t.crons {
			if !c.Enabled || c.NextRunDate == nil {
				continue
			}
			if d := c.NextRunDate.Sub(now); d <= 0 {
				due = append(due, id)
			} else if d < wait {
				wait = d
			}
		}
		t.mu.Unlock()
		for _, id := range due {
			t.Fire(ctx, id)
		}
		if len(due) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-t.wake:
			if !timer.Stop() {
				<-timer.C
			}
		case <-timer.C:
		}
	}
}

// Fire starts one run of a cron now and moves its next run date on.
func (t *Table) Fire(ctx context.Context, id string) (string, error) {
	t.mu.Lock()
	c, err := t.lookupLocked(id)
	if err != nil {
		t.mu.Unlock()
		return "", err
	}
	threadID := deref(c.ThreadID)
	body := maps.Clone(c.Payload)
	if threadID == "" {
		body["on_completion"] = cmp.Or(deref(c.OnRunCompleted), "delete")
	}
	payload, _ := store.Marshal(body) // a firing's input keeps "<" and "&" as written
	c.advance(t.o.Now())
	ended := c.NextRunDate == nil
	t.persist(c)
	t.mu.Unlock()
	if ended {
		t.emit(hub.CronInfo{CronID: id, Action: "ended"})
	}

	f := Firing{CronID: id, ThreadID: threadID, Payload: payload}
	if err := engine.Decode(payload, &f.Request, true); err != nil {
		return "", fmt.Errorf("cron %s has an unreadable payload: %w", id, err)
	}
	runID, err := t.o.Runner.Fire(ctx, f)
	if err != nil {
		t.emit(hub.CronInfo{CronID: id, Action: "fired", Error: err.Error()})
		return "", err
	}
	t.emit(hub.CronInfo{CronID: id, Action: "fired", RunID: runID})
	return runID, nil
}

// List is a snapshot of every cron, for the dashboard.
func (t *Table) List() []Cron {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Cron, 0, len(t.crons))
	for _, c := range t.crons {
		out = append(out, c.Cron)
	}
	return out
}
