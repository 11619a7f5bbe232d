package crons

import (
	"context"
	"encoding/json"
	"sort"

	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// request is the body of the cron routes: a run body plus the cron's own
// fields.
type request struct {
	engine.RunRequest
	Schedule       *string      `json:"schedule"`
	EndTime        *engine.Time `json:"end_time"`
	Timezone       *string      `json:"timezone"`
	Enabled        *bool        `json:"enabled"`
	OnRunCompleted *string      `json:"on_run_completed"`
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
		return engine.Invalid("request body", "%v", err)
	}
	var b engine.RunRequest
	if err := engine.Decode(raw, &b, true); err != nil {
		return err
	}
	_, err = b.Validate()
	return err
}

func (t *Table) admit(ctx context.Context, webhook *string) error {
	if webhook == nil || *webhook == "" || t.o.Admit == nil {
		return nil
	}
	return t.o.Admit(ctx, *webhook)
}

// Create creates a cron from the body raw, on threadID ("" for a stateless
// cron).
func (t *Table) Create(ctx context.Context, raw []byte, threadID string) (Cron, error) {
	var b request
	if err := engine.Decode(raw, &b, false); err != nil {
		return Cron{}, err
	}
	if b.Schedule == nil || *b.Schedule == "" {
		return Cron{}, engine.Invalid("schedule", "required; a cron expression such as \"0 * * * *\"")
	}
	if _, err := b.Validate(); err != nil {
		return Cron{}, err
	}
	if b.OnRunCompleted != nil {
		if err := engine.OneOf("on_run_completed", *b.OnRunCompleted, "delete", "keep"); err != nil {
			return Cron{}, err
		}
	}
	c := Cron{CronID: engine.NewID(), Schedule: *b.Schedule, Timezone: b.Timezone, EndTime: b.EndTime, Enabled: true, OnRunCompleted: b.OnRunCompleted}
	if b.Enabled != nil {
		c.Enabled = *b.Enabled
	}
	cs, err := newCronState(c)
	if err != nil {
		return Cron{}, err
	}
	if err := t.admit(ctx, b.Webhook); err != nil {
		return Cron{}, err
	}
	aid, err := t.o.Runner.AssistantID(ctx, *b.AssistantID)
	if err != nil {
		return Cron{}, err
	}
	if threadID != "" {
		if !engine.ValidUUID(threadID) {
			return Cron{}, engine.Invalid("thread_id", "must be a UUID, got %q", threadID)
		}
		if err := t.o.Runner.CheckThread(ctx, threadID); err != nil {
			return Cron{}, err
		}
		cs.ThreadID = &threadID
	}
	var payload map[string]any
	json.Unmarshal(raw, &payload)
	for k := range payload {
		if cronOnly(k) {
			delete(payload, k)
		}
	}
	now := t.now()
	cs.AssistantID, cs.CreatedAt, cs.UpdatedAt = aid, now, now
	cs.Payload, cs.Metadata = payload, orEmpty(b.Metadata)
	cs.advance(now.Time)
	t.mu.Lock()
	t.crons[cs.CronID] = cs
	t.persist(cs)
	t.mu.Unlock()
	t.emit(hub.CronInfo{CronID: cs.CronID, Action: "created"})
	t.wakeUp()
	return cs.Cron, nil
}

// Query is the body of the cron search and count routes.
type Query struct {
	AssistantID string `json:"assistant_id"`
	ThreadID    string `json:"thread_id"`
	Enabled     *bool  `json:"enabled"`
	Limit       *int   `json:"limit"`
	Offset      int    `json:"offset"`
	SortBy      string `json:"sort_by"`
	SortOrder   string `json:"sort_order"`
}

// Search lists the crons q matches, sorted as q asks; the caller pages.
func (t *Table) Search(q Query) ([]Cron, error) {
	if err := engine.OneOf("sort_order", q.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := engine.OneOf("sort_by", q.SortBy, "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	q.AssistantID, q.ThreadID = engine.CanonID(q.AssistantID), engine.CanonID(q.ThreadID)
	t.mu.Lock()
	var out []Cron
	for _, c := range t.crons {
		if (q.AssistantID == "" || c.AssistantID == q.AssistantID) && (q.ThreadID == "" || deref(c.ThreadID) == q.ThreadID) && (q.Enabled == nil || c.Enabled == *q.Enabled) {
			out = append(out, c.Cron)
		}
	}
	t.mu.Unlock()
	asc := q.SortOrder == "asc"
	sort.Slice(out, func(i, j int) bool {
		less := out[i].CreatedAt.Before(out[j].CreatedAt.Time) || (out[i].CreatedAt.Equal(out[j].CreatedAt.Time) && out[i].CronID < out[j].CronID)
		if q.SortBy == "cron_id" {
			less = out[i].CronID < out[j].CronID
		}
		return less == asc
	})
	return out, nil
}

// lookupLocked validates a cron id and finds the cron. The caller holds t.mu.
func (t *Table) lookupLocked(id string) (*cronState, error) {
	if !engine.ValidUUID(id) {
		return nil, engine.Invalid("cron_id", "must be a UUID, got %q", id)
	}
	c, ok := t.crons[id]
	if !ok {
		return nil, engine.NotFound("cron", id)
	}
	return c, nil
}

// Get returns a cron.
func (t *Table) Get(id string) (Cron, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	c, err := t.lookupLocked(id)
	if err != nil {
		return Cron{}, err
	}
	return c.Cron, nil
}

// Patch changes the fields the body raw sets.
func (t *Table) Patch(ctx context.Context, id string, raw []byte) (Cron, error) {
	var b request
	if err := engine.Decode(raw, &b, false); err != nil {
		return Cron{}, err
	}
	var patch map[string]json.RawMessage
	json.Unmarshal(raw, &patch)
	if err := t.admit(ctx, b.Webhook); err != nil {
		return Cron{}, err
	}
	if b.OnRunCompleted != nil {
		if err := engine.OneOf("on_run_completed", *b.OnRunCompleted, "delete", "keep"); err != nil {
			return Cron{}, err
		}
	}
	var aid string
	if b.AssistantID != nil {
		t.mu.Lock()
		_, err := t.lookupLocked(id)
		t.mu.Unlock()
		if err != nil {
			return Cron{}, err
		}
		if aid, err = t.o.Runner.AssistantID(ctx, *b.AssistantID); err != nil {
			return Cron{}, err
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c, err := t.lookupLocked(id)
	if err != nil {
		return Cron{}, err
	}
	next, err := patched(c, &b, patch, aid, t.now())
	if err != nil {
		return Cron{}, err
	}
	*c = next
	t.persist(c)
	t.emit(hub.CronInfo{CronID: c.CronID, Action: "updated"})
	t.wakeUp()
	return c.Cron, nil
}

// patched is c with the patch applied, validated; c is unchanged.
func patched(c *cronState, b *request, patch map[string]json.RawMessage, assistantID string, now engine.Time) (cronState, error) {
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
			return next, err
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
	if assistantID != "" {
		next.AssistantID, next.Payload["assistant_id"] = assistantID, assistantID
	}
	// The patched payload must still make a valid run: refused now, not
	// at every firing.
	if err := validRunPayload(next.Payload); err != nil {
		return next, err
	}
	next.UpdatedAt = now
	next.advance(now.Time)
	return next, nil
}

// Delete deletes a cron.
func (t *Table) Delete(id string) error {
	t.mu.Lock()
	c, err := t.lookupLocked(id)
	if err == nil {
		delete(t.crons, c.CronID)
		if t.o.Store != nil {
			t.o.Store.Delete(store.Crons, c.CronID)
		}
		t.emit(hub.CronInfo{CronID: c.CronID, Action: "deleted"})
	}
	t.mu.Unlock()
	if err != nil {
		return err
	}
	t.wakeUp()
	return nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
