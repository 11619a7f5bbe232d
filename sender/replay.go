package sender

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Replay sends a stored delivery again and waits for its outcome.
//
// The new delivery goes to r.URL (else the original URL) with r.Body (else
// the original body with a fresh webhook_sent_at) and the original headers,
// secrets re-resolved from the config in force, r.Headers replacing headers
// of the same name. It runs through the same policy check ("replay" stage),
// attempts and retries as a first delivery, on the caller's goroutine. A
// refused target is an ordinary outcome: the returned delivery says
// refused and err is nil. An unknown id wraps the Recorder's not-found error. If ctx
// ends (or the Sender closes) first, the delivery is left pending for the
// next Start and ctx's error is returned with it.
func (s *Sender) Replay(ctx context.Context, r Replay) (Delivery, error) {
	orig, err := s.rec.Delivery(ctx, r.ID)
	if err != nil {
		return Delivery{}, fmt.Errorf("replay %s: %w", r.ID, err)
	}
	rt := s.runtime()
	hs, err := restoreHeaders(rt, orig.Headers, orig.SecretHeaders)
	if err != nil {
		return Delivery{}, fmt.Errorf("replay %s: %w: %w", r.ID, ErrInvalid, err)
	}
	for _, h := range r.Headers {
		if err := validHeader(h.Name, h.Value); err != nil {
			return Delivery{}, fmt.Errorf("replay %s: %w: %w", r.ID, ErrInvalid, err)
		}
		hs = setHeader(hs, sendHeader{Name: h.Name, Value: h.Value})
	}
	now := s.o.Now()
	t := &task{stage: stageReplay, headers: hs, sentAt: -1}
	t.d = Delivery{
		ID: uuid.NewString(), RunID: orig.RunID, ThreadID: orig.ThreadID, CronID: orig.CronID,
		URL: cmp.Or(r.URL, orig.URL), Outcome: OutcomePending, ReplayOf: orig.ID,
		CreatedAt: now, UpdatedAt: now,
	}
	if len(bytes.TrimSpace(r.Body)) > 0 {
		var b bytes.Buffer
		if err := json.Compact(&b, r.Body); err != nil {
			return Delivery{}, fmt.Errorf("replay %s: %w: body is not valid JSON: %w", r.ID, ErrInvalid, err)
		}
		t.d.Body = b.Bytes()
	} else {
		t.d.Body, t.stamp = SetSentAt(orig.Body, now), true
	}
	t.d.Headers, t.d.SecretHeaders = recordHeaders(hs)
	t.d.HeaderTemplates = headerTemplates(rt, t.d.SecretHeaders)
	t.d.Origin = s.origin(t.d.URL)
	s.rec.PutDelivery(t.d)
	s.rec.Append(KindDelivery, t.d.Info())

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.base, cancel)()
	for {
		res := s.step(ctx, t)
		switch res.state {
		case stepDone:
			return t.d, nil
		case stepAborted:
			s.persistPending(t)
			return t.d, ctx.Err()
		}
		tm := time.NewTimer(res.wait)
		select {
		case <-tm.C:
		case <-ctx.Done():
			tm.Stop()
			s.persistPending(t)
			return t.d, ctx.Err()
		}
	}
}

// resumeTask rebuilds the task of a delivery left pending by an earlier
// run of hooklab, or says why it cannot be resumed.
func (s *Sender) resumeTask(d Delivery) (*task, string) {
	if len(bytes.TrimSpace(d.Body)) == 0 || string(d.Body) == "null" {
		return nil, "hooklab stopped before the delivery finished and no body was stored to resume it"
	}
	if d.URL == "" {
		return nil, "hooklab stopped before the delivery finished and no URL was stored to resume it"
	}
	if d.Attempts >= maxAttempts {
		return nil, fmt.Sprintf("hooklab stopped after attempt %d of %d, before the outcome was recorded", d.Attempts, maxAttempts)
	}
	hs, err := restoreHeaders(s.runtime(), d.Headers, d.SecretHeaders)
	if err != nil {
		return nil, "cannot resume after restart: " + err.Error()
	}
	stage := stageSend
	if d.ReplayOf != "" {
		stage = stageReplay
	}
	return &task{d: d, headers: hs, stamp: true, stage: stage, sentAt: -1}, ""
}
