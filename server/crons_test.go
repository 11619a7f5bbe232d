package server

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hooklab/server/crons"
	"hooklab/server/engine"
)

// TestCronSchedulerFires: a due cron starts a run carrying its webhook.
func TestCronSchedulerFires(t *testing.T) {
	var skew atomic.Int64 // how far the scheduler's clock is ahead of the real one
	ts := mustStart(t, withClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	rc := newReceiver(t)
	tid := newThreadID(t, ts)
	var c crons.Cron
	ts.mustDo(t, "POST", "/threads/"+tid+"/runs/crons", map[string]any{
		"assistant_id": "agent", "schedule": "0 0 1 1 *", "webhook": rc.URL + "/cron",
		"input": map[string]any{"messages": []any{"tick"}},
	}, 200, &c)
	// Move the clock past its next run date, as time would; creating
	// another cron wakes the scheduler to look again.
	skew.Store(int64(time.Until(c.NextRunDate.Time) + time.Second))
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 1 1 *"}, 200, nil)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var runs []engine.Run
		ts.mustDo(t, "GET", "/threads/"+tid+"/runs", nil, 200, &runs)
		if len(runs) == 1 {
			body := rc.wait(t, runs[0].RunID, 1)[0]
			if body["status"] != "success" {
				t.Fatalf("cron run webhook %v", body)
			}
			var after crons.Cron
			ts.mustDo(t, "GET", "/runs/crons/"+c.CronID, nil, 200, &after)
			if after.NextRunDate == nil || !after.NextRunDate.After(time.Now()) {
				t.Fatalf("next_run_date not moved on: %v", after.NextRunDate)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the scheduler never fired the due cron")
}

// TestCronEndTimeAndTimezone: next_run_date honours timezone and end_time.
func TestCronEndTimeAndTimezone(t *testing.T) {
	ts := mustStart(t)
	var c crons.Cron
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{
		"assistant_id": "agent", "schedule": "30 9 * * *", "timezone": "Asia/Kolkata",
	}, 200, &c)
	if c.NextRunDate == nil || c.NextRunDate.UTC().Hour() != 4 || c.NextRunDate.UTC().Minute() != 0 {
		t.Errorf("09:30 Asia/Kolkata should be 04:00 UTC, got %v", c.NextRunDate)
	}
	end := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	ts.mustDo(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "* * * * *", "end_time": end}, 200, &c)
	if c.NextRunDate != nil {
		t.Errorf("a cron past its end_time has next_run_date %v", c.NextRunDate)
	}
}

// TestNeverFiringScheduleRefused: Feb 30 parses but never fires; it is a 422,
// not a cron the scheduler would fire in a loop.
func TestNeverFiringScheduleRefused(t *testing.T) {
	ts := mustStart(t)
	status, body, _ := ts.do(t, "POST", "/runs/crons", map[string]any{"assistant_id": "agent", "schedule": "0 0 30 2 *"})
	if status != 422 || !strings.Contains(string(body), "never fires") {
		t.Fatalf("Feb 30 schedule: %d %s", status, body)
	}
}
