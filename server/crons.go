package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"hooklab/server/hub"
	"hooklab/server/store"
)

// cronState is a cron with its parsed schedule.
type cronState struct {
	Cron
	sched cron.Schedule
	loc   *time.Location
}

func parseSchedule(spec, tz string) (cron.Schedule, *time.Location, error) {
	loc := time.UTC
	if tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil {
			return nil, nil, invalid("timezone", "unknown time zone %q; use an IANA name such as \"Europe/Paris\" or \"UTC\"", tz)
		}
		loc = l
	}
	if strings.HasPrefix(spec, "@every") || strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		// robfig/cron extensions the platform's croniter does not read.
		return nil, nil, invalid("schedule", "%q is not a cron expression the platform accepts; use five fields (minute hour day-of-month month day-of-week), and the timezone field for a time zone", spec)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, nil, invalid("schedule", "invalid cron expression %q: %v; use five fields (minute hour day-of-month month day-of-week), e.g. \"*/5 * * * *\"", spec, err)
	}
	if sched.Next(time.Now().In(loc)).IsZero() {
		return nil, nil, invalid("schedule", "cron expression %q never fires (no matching date in the next five years); check the day of month and month", spec)
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
	c.NextRunDate = &Time{next}
}

type cronBody struct {
	runBody
	Schedule       *string `json:"schedule"`
	EndTime        *Time   `json:"end_time"`
	Timezone       *string `json:"timezone"`
	Enabled        *bool   `json:"enabled"`
	OnRunCompleted *string `json:"on_run_completed"`
}

// cronOnly reports the cron's own fields; every other key of a cron body
// is part of the run each firing creates.
func cronOnly(key string) bool {
	switch key {
	case "schedule", "end_time", "timezone", "enabled", "on_run_completed":
		return true
	}
	return false
}

// runField reports the keys of a run body that a cron PATCH may change
// (assistant_id is resolved on its own); other keys are ignored, as on
// create.
func runField(key string) bool {
	switch key {
	case "input", "command", "metadata", "config", "context", "webhook", "interrupt_before", "interrupt_after",
		"stream_mode", "stream_subgraphs", "stream_resumable", "feedback_keys", "multitask_strategy",
		"if_not_exists", "on_disconnect", "after_seconds", "durability":
		return true
	}
	return false
}

// validRunPayload checks a cron's stored run body as a firing will read it.
func validRunPayload(payload map[string]any) error {
	raw, err := store.Marshal(payload)
	if err != nil {
		return invalid("request body", "%v", err)
	}
	var b runBody
	if err := decodeBytes(raw, &b, true); err != nil {
		return err
	}
	_, err = b.validate()
	return err
}

func (s *Server) handleCronCreate(w http.ResponseWriter, r *http.Request) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	var b cronBody
	if err := decodeBytes(raw, &b, false); err != nil {
		return err
	}
	if b.Schedule == nil || *b.Schedule == "" {
		return invalid("schedule", "required; a cron expression such as \"0 * * * *\"")
	}
	if _, err := b.validate(); err != nil {
		return err
	}
	if b.OnRunCompleted != nil {
		if err := oneOf("on_run_completed", *b.OnRunCompleted, "delete", "keep"); err != nil {
			return err
		}
	}
	c := Cron{CronID: newID(), Schedule: *b.Schedule, Timezone: b.Timezone, EndTime: b.EndTime, Enabled: true, OnRunCompleted: b.OnRunCompleted}
	if b.Enabled != nil {
		c.Enabled = *b.Enabled
	}
	cs, err := newCronState(c)
	if err != nil {
		return err
	}
	if _, err := s.checkWebhook(r, b.Webhook); err != nil {
		return err
	}
	var payload map[string]any
	json.Unmarshal(raw, &payload)
	for k := range payload {
		if cronOnly(k) {
			delete(payload, k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assistantLocked(*b.AssistantID)
	if !ok {
		return notFound("assistant", *b.AssistantID)
	}
	if tid := r.PathValue("thread_id"); tid != "" {
		if !validUUID(tid) {
			return invalid("thread_id", "must be a UUID, got %q", tid)
		}
		if t, ok := s.threads[tid]; !ok || t.temporary {
			return notFound("thread", tid)
		}
		cs.ThreadID = &tid
	}
	t := now()
	cs.AssistantID, cs.CreatedAt, cs.UpdatedAt = a.AssistantID, t, t
	cs.Payload, cs.Metadata = payload, orEmpty(b.Metadata)
	cs.advance(t.Time)
	s.crons[cs.CronID] = cs
	s.persist(store.Crons, cs.CronID, deref(cs.ThreadID), cs.Cron)
	s.emit(hub.KindCron, hub.CronInfo{CronID: cs.CronID, Action: "created"})
	s.wakeScheduler()
	writeJSON(w, http.StatusOK, cs.Cron)
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

type cronSearch struct {
	AssistantID string `json:"assistant_id"`
	ThreadID    string `json:"thread_id"`
	Enabled     *bool  `json:"enabled"`
	Limit       *int   `json:"limit"`
	Offset      int    `json:"offset"`
	SortBy      string `json:"sort_by"`
	SortOrder   string `json:"sort_order"`
}

func (s *Server) matchCrons(b cronSearch) ([]Cron, error) {
	if err := oneOf("sort_order", b.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := oneOf("sort_by", b.SortBy, "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	b.AssistantID, b.ThreadID = canonID(b.AssistantID), canonID(b.ThreadID)
	s.mu.Lock()
	var out []Cron
	for _, c := range s.crons {
		if (b.AssistantID == "" || c.AssistantID == b.AssistantID) && (b.ThreadID == "" || deref(c.ThreadID) == b.ThreadID) && (b.Enabled == nil || c.Enabled == *b.Enabled) {
			out = append(out, c.Cron)
		}
	}
	s.mu.Unlock()
	asc := b.SortOrder == "asc"
	sort.Slice(out, func(i, j int) bool {
		less := out[i].CreatedAt.Before(out[j].CreatedAt.Time) || (out[i].CreatedAt.Equal(out[j].CreatedAt.Time) && out[i].CronID < out[j].CronID)
		if b.SortBy == "cron_id" {
			less = out[i].CronID < out[j].CronID
		}
		return less == asc
	})
	return out, nil
}

func (s *Server) cronFromPathLocked(r *http.Request) (*cronState, error) {
	id := r.PathValue("cron_id")
	if !validUUID(id) {
		return nil, invalid("cron_id", "must be a UUID, got %q", id)
	}
	c, ok := s.crons[id]
	if !ok {
		return nil, notFound("cron", id)
	}
	return c, nil
}

func (s *Server) handleCronGet(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.cronFromPathLocked(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c.Cron)
	return nil
}

func (s *Server) handleCronPatch(w http.ResponseWriter, r *http.Request) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	var b cronBody
	if err := decodeBytes(raw, &b, false); err != nil {
		return err
	}
	var patch map[string]json.RawMessage
	json.Unmarshal(raw, &patch)
	if b.Webhook != nil {
		if _, err := s.checkWebhook(r, b.Webhook); err != nil {
			return err
		}
	}
	if b.OnRunCompleted != nil {
		if err := oneOf("on_run_completed", *b.OnRunCompleted, "delete", "keep"); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.cronFromPathLocked(r)
	if err != nil {
		return err
	}
	next := *c
	next.Payload = map[string]any{}
	for k, v := range c.Payload {
		next.Payload[k] = v
	}
	if b.Schedule != nil || b.Timezone != nil {
		if b.Schedule != nil {
			next.Schedule = *b.Schedule
		}
		if b.Timezone != nil {
			next.Timezone = b.Timezone
		}
		ns, err := newCronState(next.Cron)
		if err != nil {
			return err
		}
		next.sched, next.loc = ns.sched, ns.loc
	}
	if _, ok := patch["end_time"]; ok {
		next.EndTime = b.EndTime
	}
	if b.Enabled != nil {
		next.Enabled = *b.Enabled
	}
	if b.OnRunCompleted != nil {
		next.OnRunCompleted = b.OnRunCompleted
	}
	if b.Metadata != nil {
		next.Metadata = b.Metadata
	}
	for k, v := range patch {
		if runField(k) {
			next.Payload[k] = json.RawMessage(v)
		}
	}
	if b.AssistantID != nil {
		a, ok := s.assistantLocked(*b.AssistantID)
		if !ok {
			return notFound("assistant", *b.AssistantID)
		}
		next.AssistantID, next.Payload["assistant_id"] = a.AssistantID, a.AssistantID
	}
	// The patched payload must still make a valid run: refused now, not
	// at every firing.
	if err := validRunPayload(next.Payload); err != nil {
		return err
	}
	next.UpdatedAt = now()
	next.advance(next.UpdatedAt.Time)
	*c = next
	s.persist(store.Crons, c.CronID, deref(c.ThreadID), c.Cron)
	s.emit(hub.KindCron, hub.CronInfo{CronID: c.CronID, Action: "updated"})
	s.wakeScheduler()
	writeJSON(w, http.StatusOK, c.Cron)
	return nil
}

func (s *Server) handleCronDelete(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	c, err := s.cronFromPathLocked(r)
	if err == nil {
		delete(s.crons, c.CronID)
		s.unpersist(store.Crons, c.CronID)
		s.emit(hub.KindCron, hub.CronInfo{CronID: c.CronID, Action: "deleted"})
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.wakeScheduler()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) wakeScheduler() {
	select {
	case s.cronWake <- struct{}{}:
	default:
	}
}

// schedule fires due crons until the server closes.
func (s *Server) schedule() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var due []string
		wait := time.Hour
		s.mu.Lock()
		t := time.Now()
		for id, c := range s.crons {
			if !c.Enabled || c.NextRunDate == nil {
				continue
			}
			if d := c.NextRunDate.Sub(t); d <= 0 {
				due = append(due, id)
			} else if d < wait {
				wait = d
			}
		}
		s.mu.Unlock()
		for _, id := range due {
			s.FireCron(s.ctx, id)
		}
		if len(due) > 0 {
			continue
		}
		timer.Reset(wait)
		select {
		case <-s.ctx.Done():
			return
		case <-s.cronWake:
			if !timer.Stop() {
				<-timer.C
			}
		case <-timer.C:
		}
	}
}

// FireCron starts one run of a cron now and moves its next run date on.
func (s *Server) FireCron(ctx context.Context, id string) (string, error) {
	s.mu.Lock()
	c, ok := s.crons[id]
	if !ok {
		s.mu.Unlock()
		return "", notFound("cron", id)
	}
	payload, _ := store.Marshal(c.Payload) // a firing's input keeps "<" and "&" as written
	threadID := deref(c.ThreadID)
	onCompletion := deref(c.OnRunCompleted)
	c.advance(time.Now())
	if c.NextRunDate == nil {
		s.emit(hub.KindCron, hub.CronInfo{CronID: id, Action: "ended"})
	}
	s.persist(store.Crons, c.CronID, threadID, c.Cron)
	s.mu.Unlock()

	var b runBody
	if err := json.Unmarshal(payload, &b); err != nil {
		return "", fmt.Errorf("cron %s has an unreadable payload: %w", id, err)
	}
	if threadID == "" {
		b.OnCompletion = orDefault(onCompletion, "delete")
	}
	r, _ := http.NewRequestWithContext(ctx, http.MethodPost, "/hooklab/crons/"+id+"/fire", nil)
	_, run, err := s.createRun(r, &b, threadID, id, false)
	if err != nil {
		s.emit(hub.KindCron, hub.CronInfo{CronID: id, Action: "fired", Error: err.Error()})
		return "", err
	}
	s.emit(hub.KindCron, hub.CronInfo{CronID: id, Action: "fired", RunID: run.RunID})
	return run.RunID, nil
}
