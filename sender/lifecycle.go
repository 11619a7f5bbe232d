package sender

import (
	"context"
	"time"
)

// Start runs the workers until Close and resumes unfinished deliveries:
// those still pending in the store (queued, in flight or waiting to retry
// when hooklab last stopped) go back on the queue, keeping the attempts
// already made; those that cannot be resumed are marked interrupted.
func (s *Sender) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.started || s.closing {
		s.mu.Unlock()
		return nil
	}
	s.started = true
	s.wg.Add(s.o.Workers)
	for range s.o.Workers {
		go s.work()
	}
	s.mu.Unlock()

	ds, err := s.rec.Unfinished(ctx)
	if err != nil {
		return err
	}
	var tasks []*task
	for _, d := range ds {
		t, reason := s.resumeTask(d)
		if t == nil {
			d.Outcome, d.Reason, d.NextAttemptAt, d.UpdatedAt = OutcomeInterrupted, reason, nil, s.o.Now()
			s.rec.PutDelivery(d)
			s.rec.Append(KindDelivery, d.Info())
			continue
		}
		tasks = append(tasks, t)
	}
	if len(tasks) > 0 {
		// Admission may have to wait for slots; a goroutine keeps Start quick.
		s.wg.Add(1)
		go s.admit(tasks)
	}
	return nil
}

// admit puts resumed deliveries back into the pool, each taking a slot.
// What it cannot admit before Close simply stays pending in the store.
func (s *Sender) admit(tasks []*task) {
	defer s.wg.Done()
	for _, t := range tasks {
		select {
		case s.slots <- struct{}{}:
		case <-s.quit:
			return
		}
		t.slot = true
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			s.release(t)
			return
		}
		t.d.Reason, t.d.UpdatedAt = "resumed after restart", s.o.Now()
		s.rec.PutDelivery(t.d)
		s.rec.Append(KindDelivery, t.d.Info())
		if next := t.d.NextAttemptAt; next != nil && next.After(s.o.Now()) {
			s.scheduleLocked(t, next.Sub(s.o.Now()))
		} else {
			s.queue <- t
		}
		s.mu.Unlock()
	}
}

// Close stops taking work, drains in-flight deliveries until ctx ends, and
// records what is left as pending.
func (s *Sender) Close(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		waiting := s.waiting
		s.waiting = make(map[*task]*time.Timer)
		s.mu.Unlock()
		for t, tm := range waiting {
			tm.Stop()
			s.persistPending(t)
			s.release(t)
		}
		close(s.quit)

		done := make(chan struct{})
		go func() { s.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			s.cancel() // abort attempts still running; they record themselves as pending
			<-done
		}
		s.cancel()
		for {
			select {
			case t := <-s.queue:
				s.persistPending(t)
				s.release(t)
				continue
			default:
			}
			break
		}
		s.transport.CloseIdleConnections()
	})
	return nil
}
