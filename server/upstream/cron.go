package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// CronRun is one cron firing to run on the upstream.
type CronRun struct {
	CronID   string
	ThreadID string          // "" for a stateless cron: a new thread each time
	Body     json.RawMessage // the run's fields (assistant_id, input, config, ...), as for POST /runs
	Webhook  string          // the cron's webhook; "" for none
	Header   http.Header     // extra headers for the upstream (credentials); nil: Options.Header only
}

// CreateRun creates c as an ordinary background run on the upstream and,
// when c has a webhook, observes it and delivers to that webhook like any
// other run. The body goes as it is, without a webhook key (and with
// on_completion keep for a stateless cron with a webhook, the thread then
// deleted by hooklab once the payload is built). It returns the upstream's
// run and thread ids.
func (u *Upstream) CreateRun(ctx context.Context, c CronRun) (runID, threadID string, err error) {
	body := []byte(c.Body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	o, err := parseObject(body)
	if err != nil {
		return "", "", fmt.Errorf("cron %s: run body: %w", c.CronID, err)
	}
	body = o.without("webhook")
	q := runReq{webhook: c.Webhook, stateless: c.ThreadID == ""}
	if q.stateless && q.webhook != "" && stringValue(o.value("on_completion")) != "keep" {
		if o, err = parseObject(body); err == nil {
			body = o.with("on_completion", []byte(`"keep"`))
			q.forcedKeep = true
		}
	}
	path := "/runs"
	if c.ThreadID != "" {
		path = "/threads/" + url.PathEscape(c.ThreadID) + "/runs"
	}
	at := u.o.Now()
	code, b, err := u.call(ctx, http.MethodPost, path, json.RawMessage(body), c.Header)
	if err != nil {
		if dialFailed(err) {
			u.markDown(err)
			return "", "", fmt.Errorf("cron %s: upstream %s unreachable: %s", c.CronID, u.label, errText(err))
		}
		return "", "", fmt.Errorf("cron %s: upstream %s: %w", c.CronID, u.label, err)
	}
	u.markUp()
	if code/100 != 2 {
		return "", "", fmt.Errorf("cron %s: upstream %s answered HTTP %d: %s", c.CronID, u.label, code, detailOf(b))
	}
	var r runObject
	if json.Unmarshal(b, &r) != nil || r.RunID == "" || r.ThreadID == "" {
		return "", "", fmt.Errorf("cron %s: upstream %s answered without run_id/thread_id: %.200s", c.CronID, u.label, b)
	}
	if q.webhook != "" {
		u.observe(watchSpec{runID: r.RunID, threadID: r.ThreadID, req: q, cronID: c.CronID, header: c.Header, at: at, run: &r})
	}
	return r.RunID, r.ThreadID, nil
}

// detailOf is the message of an error answer: its detail or message, or
// the text itself.
func detailOf(b []byte) string {
	var e struct {
		Detail  string `json:"detail"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		if e.Detail != "" {
			return e.Detail
		}
		if e.Message != "" {
			return e.Message
		}
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
