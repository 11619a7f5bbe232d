package sender

import (
	"bytes"
	"time"
)

// Internals the external tests reach.
var EscapeQuery = escapeQuery

const MaxCapture = maxCapture

// JobBody is the body a job queued at queued sends at its first attempt
// at sent, and the body its pending record holds.
func JobBody(s *Sender, j Job, queued, sent time.Time) (first, pending []byte) {
	s.o.Now = func() time.Time { return queued }
	t := s.jobTask(j)
	pending = bytes.Clone(t.d.Body)
	first = t.bodyAt(sent)
	if !bytes.Equal(t.d.Body, pending) {
		panic("bodyAt changed the pending record's body")
	}
	return first, pending
}
