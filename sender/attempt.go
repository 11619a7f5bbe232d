package sender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	maxAttempts       = 3
	maxRedirects      = 5
	maxCapture        = 64 << 10 // response body kept (and read) per attempt
	maxResponseHeader = 1 << 20  // response headers read per attempt
	reasonDisabled    = "webhooks disabled (http.disable_webhooks is true)"
	reasonShutdown    = "hooklab stopped before the delivery finished; it resumes on the next start"
	localURLHost      = "hooklab.local"
	localURLPrefix    = "http://" + localURLHost
	stageSend         = "send"
	stageReplay       = "replay"
	stageRedirect     = "redirect"
	contentTypeValue  = "application/json"
)

// task is one delivery moving through the pool. Exactly one goroutine owns
// a task at a time (Send, a worker, a retry timer, Close or Replay).
type task struct {
	d       Delivery
	headers []sendHeader // real values; d.Headers is the recorded, masked form
	sentAt  int          // jobs: where webhook_sent_at's value is in d.Body (-1: not there, or not a job)
	stamp   bool         // not a job: set webhook_sent_at inside d.Body at the first attempt
	stage   string       // decision stage of the send-time check
	gated   bool         // the send-time policy check has run for this process
	slot    bool         // holds a pool slot
}

// bodyAt is the body of the next attempt. webhook_sent_at is stamped once,
// when the first attempt starts: retries send the same bytes, as the
// platform builds its payload once before its retry loop, so a receiver
// that deduplicates by body sees one. A job's body was rendered when it
// was queued, and only its time is written over (in a copy: the pending
// record may not be stored yet). After a restart, a delivery that had
// attempts keeps its bytes; one recorded with none (even if hooklab was
// killed while sending it) is stamped again when it is resumed.
func (t *task) bodyAt(now time.Time) []byte {
	switch {
	case t.d.Attempts > 0:
		return t.d.Body
	case t.sentAt >= 0:
		if ts := FormatTime(now); t.sentAt+len(ts) < len(t.d.Body) && t.d.Body[t.sentAt+len(ts)] == '"' {
			b := bytes.Clone(t.d.Body)
			copy(b[t.sentAt:], ts)
			return b
		}
		return SetSentAt(t.d.Body, now)
	case t.stamp:
		return SetSentAt(t.d.Body, now)
	}
	return t.d.Body
}

type stepState int

const (
	stepDone    stepState = iota // the delivery reached a final outcome
	stepRetry                    // try again after wait
	stepAborted                  // ctx ended (shutdown): still pending
)

type stepResult struct {
	state stepState
	wait  time.Duration
}

// step runs the send-time gate if it has not run yet, then one attempt,
// and records both. Workers and Replay share it, so a replay follows
// exactly the rules of a first delivery.
func (s *Sender) step(ctx context.Context, t *task) stepResult {
	if !t.gated {
		t.gated = true
		rt := s.runtime()
		if rt.DisableWebhooks {
			s.finish(t, OutcomeSkipped, reasonDisabled)
			return stepResult{state: stepDone}
		}
		dec, changed := s.sendCheck(ctx, t.d.URL)
		if ctx.Err() != nil {
			return stepResult{state: stepAborted}
		}
		if changed || t.stage == stageReplay || !dec.Allowed {
			// Otherwise the decision made at creation stands, and the
			// delivery keeps it.
			s.rec.Append(KindDecision, DecisionInfo{Stage: t.stage, DeliveryID: t.d.ID, RunID: t.d.RunID, Decision: dec})
		}
		t.d.Decision = &dec
		if !dec.Allowed {
			s.finish(t, OutcomeRefused, dec.Message)
			return stepResult{state: stepDone}
		}
	}
	n := t.d.Attempts + 1
	if n == 1 {
		// The body is fixed now, and the record with it is durable before
		// the receiver can see the webhook: killed right after the send,
		// hooklab still lists the delivery with the bytes sent, and
		// resumes it.
		now := s.o.Now()
		t.d.Body, t.d.UpdatedAt = t.bodyAt(now), now // newer than the pending row queued at Send
		t.sentAt, t.stamp = -1, false
		s.rec.Journal(t.d)
	}
	res := s.attempt(ctx, t, n)
	if res.aborted {
		return stepResult{state: stepAborted}
	}
	now := s.o.Now()
	t.d.Attempts, t.d.Status, t.d.Body = n, res.info.Status, res.info.RequestBody
	t.d.DurationMS, t.d.UpdatedAt = res.info.Timing.TotalMS, now
	if res.retry && n < maxAttempts {
		wait := s.o.Backoff(n)
		next := now.Add(wait)
		res.info.Retry, res.info.NextAttemptAt = true, &next
		s.rec.Append(KindAttempt, res.info.event())
		t.d.AttemptLog = append(t.d.AttemptLog, res.info)
		t.d.NextAttemptAt, t.d.Reason = &next, res.reason
		s.rec.PutDelivery(t.d)
		return stepResult{state: stepRetry, wait: wait}
	}
	s.rec.Append(KindAttempt, res.info.event())
	t.d.AttemptLog = append(t.d.AttemptLog, res.info)
	switch {
	case res.ok:
		s.finish(t, OutcomeDelivered, "")
	case res.refused:
		s.finish(t, OutcomeRefused, res.reason)
	case res.retry:
		s.finish(t, OutcomeFailed, fmt.Sprintf("gave up after %d attempts: %s", n, res.reason))
	default:
		s.finish(t, OutcomeFailed, res.reason)
	}
	return stepResult{state: stepDone}
}

func (s *Sender) finish(t *task, outcome, reason string) {
	t.d.Outcome, t.d.Reason, t.d.NextAttemptAt, t.d.UpdatedAt = outcome, reason, nil, s.o.Now()
	s.rec.PutDelivery(t.d)
	s.rec.Append(KindDelivery, t.d.Info())
	if outcome != OutcomeDelivered {
		s.o.Logger.Debug("webhook not delivered", "delivery", t.d.ID, "url", t.d.URL, "outcome", outcome, "reason", reason)
	}
}

// persistPending records t as pending so the next Start resumes it.
func (s *Sender) persistPending(t *task) {
	t.d.Outcome, t.d.Reason, t.d.UpdatedAt = OutcomePending, reasonShutdown, s.o.Now()
	s.rec.PutDelivery(t.d)
	s.rec.Append(KindDelivery, t.d.Info())
}

// platformBackoff is the platform's wait before attempt n+1: exponential
// with jitter, 1-2 s after the first attempt and 2-3 s after the second.
func platformBackoff(n int) time.Duration {
	base := time.Second << (n - 1)
	return base + rand.N(time.Second)
}

type attemptResult struct {
	info    Attempt
	ok      bool   // a 2xx came back
	retry   bool   // timeout, network error, 5xx or 429
	refused bool   // the URL policy stopped it (at dial or on a redirect)
	aborted bool   // the caller's ctx ended: not an attempt at all
	reason  string // why it did not succeed
}

// attempt makes one POST and records everything about it.
func (s *Sender) attempt(ctx context.Context, t *task, n int) attemptResult {
	started := s.o.Now()
	body := t.bodyAt(started)
	info := Attempt{
		DeliveryID: t.d.ID, RunID: t.d.RunID, Attempt: n, Method: http.MethodPost, URL: t.d.URL,
		RequestHeaders: t.d.Headers, RequestBody: body, StartedAt: started,
	}
	tr := newTracer() // before the deadline starts, so a timeout never reads as shorter
	actx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	defer cancel()
	actx = tr.attach(actx)

	// Only a relative webhook may reach the local handler: a remote
	// receiver redirecting to the pseudo host must not get into hooklab's
	// own API, so absolute deliveries use the bare transport.
	target, rt, local := t.d.URL, http.RoundTripper(s.transport), strings.HasPrefix(t.d.URL, "/")
	if local {
		target, rt = localURLPrefix+target, s.rt
	}
	req, err := http.NewRequestWithContext(actx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		info.Error = "invalid webhook URL: " + err.Error()
		return attemptResult{info: info, reason: info.Error}
	}
	req.URL.RawQuery = escapeQuery(req.URL.RawQuery)
	for _, h := range t.headers {
		req.Header.Set(h.Name, h.Value)
	}
	var refusal string
	client := &http.Client{Transport: rt, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return errTooManyRedirects
		}
		hop := hopURL(r.URL, local)
		info.Redirects = append(info.Redirects, hop)
		dec := s.runtime().Policy.Check(r.Context(), hop, s.o.Resolver)
		s.rec.Append(KindDecision, DecisionInfo{Stage: stageRedirect, DeliveryID: t.d.ID, RunID: t.d.RunID, Decision: dec})
		if !dec.Allowed {
			refusal = fmt.Sprintf("%s (redirect to %s)", dec.Message, hop)
			return errRedirectRefused
		}
		return nil
	}}

	resp, err := client.Do(req)
	res := attemptResult{}
	if resp != nil {
		info.Status = resp.StatusCode
		info.ResponseHeaders = headerList(resp.Header)
	}
	if err == nil {
		// Read no more than we keep, then close: a receiver streaming
		// without end (or a huge body) costs 64 KiB and no wait, not the
		// whole timeout and its size in memory. Closing a body left unread
		// discards that connection instead of draining it for reuse.
		captured, rerr := io.ReadAll(io.LimitReader(resp.Body, maxCapture+1))
		_ = resp.Body.Close()
		if len(captured) > maxCapture {
			captured, info.Truncated = captured[:maxCapture], true
		}
		info.ResponseBody = string(captured)
		code := resp.StatusCode
		switch {
		case rerr != nil && ctx.Err() != nil:
			return attemptResult{aborted: true}
		case rerr != nil:
			// An incomplete answer is a network error (or a timeout)
			// whatever its status: the platform's client reads the whole
			// body before it looks at the status, and retries those.
			info.Error = s.errText(actx, rerr) + " while reading the response body"
			res.retry, res.reason = true, info.Error
		case code >= 200 && code < 300:
			res.ok = true
		case code >= 500 || code == http.StatusTooManyRequests:
			res.retry, res.reason = true, "HTTP "+resp.Status
		default:
			res.reason = "HTTP " + resp.Status
		}
	} else {
		var blocked *blockedError
		switch {
		case ctx.Err() != nil:
			return attemptResult{aborted: true}
		case errors.As(err, &blocked):
			res.refused, res.reason = true, blocked.Error()
		case errors.Is(err, errRedirectRefused):
			res.refused, res.reason = true, refusal
		case errors.Is(err, errTooManyRedirects), errors.Is(err, errNoLocal):
			res.reason = unwrapURLError(err).Error()
		default:
			res.retry, res.reason = true, s.errText(actx, err)
		}
		info.Error = res.reason
	}
	info.Timing = tr.timing()
	res.info = info
	return res
}

// hopURL is the URL a redirect goes to, relative again when it stays in
// process, so the policy sees what the user would write.
func hopURL(u *url.URL, local bool) string {
	s := u.String()
	if rest, ok := strings.CutPrefix(s, localURLPrefix); ok && local {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return s
}

// headerList flattens h into lines sorted by name, for a stable record.
func headerList(h http.Header) []Header {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]Header, 0, len(names))
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, Header{Name: k, Value: v})
		}
	}
	return out
}

// escapeQuery percent-encodes what may not stand raw in a request line's
// query (controls, space, non-ASCII and "<>\^`{|}), leaving everything
// else, escapes included, as written. Go keeps a query as given, so
// "?a=b c&e=é" would otherwise go out as a malformed request; the
// platform's client (httpx) sends "?a=b%20c&e=%C3%A9", and so do we.
func escapeQuery(q string) string {
	const hex = "0123456789ABCDEF"
	need := func(c byte) bool { return c <= ' ' || c >= 0x7f || strings.IndexByte(`"<>\^`+"`{|}", c) >= 0 }
	i := 0
	for i < len(q) && !need(q[i]) {
		i++
	}
	if i == len(q) {
		return q
	}
	b := make([]byte, 0, len(q)+16)
	b = append(b, q[:i]...)
	for ; i < len(q); i++ {
		if c := q[i]; need(c) {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}
