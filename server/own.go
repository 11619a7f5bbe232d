package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/crons"
	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// hooklab's own API under /hooklab/, and the methods the dashboard and the
// CLI call in process.

func (s *Server) hooklabRoutes(mux *http.ServeMux) {
	mux.Handle("GET /hooklab/healthz", s.h(s.handleHealthz))
	mux.Handle("GET /hooklab/events", http.HandlerFunc(s.handleEvents))
	mux.Handle("GET /hooklab/history", s.h(s.handleHistory))
	mux.Handle("GET /hooklab/deliveries", s.h(s.handleDeliveries))
	mux.Handle("GET /hooklab/deliveries/{id}", s.h(s.handleDelivery))
	mux.Handle("POST /hooklab/deliveries/{id}/replay", s.hs(s.handleReplay))
	mux.Handle("GET /hooklab/config", s.h(s.handleConfigGet))
	mux.Handle("PUT /hooklab/config", s.h(s.handleConfigPut))
	mux.Handle("POST /hooklab/config/reload", s.h(s.handleConfigReload))
	mux.Handle("POST /hooklab/check-url", s.h(s.handleCheckURL))
	mux.Handle("POST /hooklab/crons/{cron_id}/fire", s.hs(s.handleCronFire))
	mux.Handle("GET /hooklab/upstream/log", s.h(s.handleUpstreamLog))
	mux.Handle("/hooklab/sink/{name...}", s.hs(s.handleSink))
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	body := map[string]any{"ok": true, "version": s.o.Version, "addr": s.o.Addr}
	if s.up != nil {
		body["upstream"] = s.up.Status()
	}
	if s.o.Store != nil {
		body["seq"] = s.o.Store.LastSeq()
		body["store"] = s.o.Store.Path()
		if err := s.o.Store.Err(); err != nil {
			body["store_error"] = err.Error()
		}
		if k, err := s.o.Store.Kept(r.Context()); err == nil {
			body["history"] = k
		}
	}
	if p := s.Runtime().Problem; p != nil {
		body["config_problem"] = p
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// UpstreamLog is the answer of GET /hooklab/upstream/log: the newest
// lines the upstream command wrote, oldest first, ANSI escapes removed.
// Command and PID are empty when hooklab started no command.
type UpstreamLog struct {
	Command string   `json:"command,omitempty"`
	PID     int      `json:"pid,omitempty"`
	Lines   []string `json:"lines"`
}

// UpstreamLog is the output of the upstream command hooklab started (see
// UpstreamLog); an error matching store.ErrNotFound when it forwards to
// no upstream.
func (s *Server) UpstreamLog(context.Context) (UpstreamLog, error) {
	if s.up == nil {
		return UpstreamLog{}, &detailed{"this hooklab forwards to no upstream (start it with hooklab dev --upstream URL)", store.ErrNotFound}
	}
	out := UpstreamLog{Lines: []string{}}
	if c := s.up.Child(); c != nil {
		out.Command, out.PID, out.Lines = c.Name(), c.PID(), c.Lines()
	}
	return out, nil
}

func (s *Server) handleUpstreamLog(w http.ResponseWriter, r *http.Request) error {
	l, err := s.UpstreamLog(r.Context())
	return answer(w, l, err)
}

func queryUint(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, engine.Invalid(name, "must be a non-negative integer, got %q", v)
	}
	return n, nil
}

func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) error {
	var q store.Query
	var err error
	if q.Since, err = queryUint(r, "since"); err != nil {
		return err
	}
	if q.Before, err = queryUint(r, "before"); err != nil {
		return err
	}
	limit, err := queryUint(r, "limit")
	if err != nil {
		return err
	}
	q.Limit = int(min(limit, 100000))
	q.Newest = r.URL.Query().Get("newest") == "1"
	for _, k := range strings.Split(r.URL.Query().Get("kind"), ",") {
		if k != "" {
			q.Kinds = append(q.Kinds, k)
		}
	}
	evs, err := s.History(r.Context(), q)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []hub.Event{}
	}
	writeJSON(w, http.StatusOK, evs)
	return nil
}

func (s *Server) handleDeliveries(w http.ResponseWriter, r *http.Request) error {
	q := store.DeliveryQuery{
		Outcome: r.URL.Query().Get("status"), URL: r.URL.Query().Get("url"), RunID: r.URL.Query().Get("run_id"),
	}
	if err := engine.OneOf("status", q.Outcome, sender.OutcomePending, sender.OutcomeDelivered, sender.OutcomeFailed,
		sender.OutcomeRefused, sender.OutcomeSkipped, sender.OutcomeInterrupted); err != nil {
		return err
	}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return engine.Invalid("since", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", v)
		}
		q.Since = t
	}
	limit, err := queryUint(r, "limit")
	if err != nil {
		return err
	}
	q.Limit = int(min(limit, 10000))
	ds, err := s.o.Store.Deliveries(r.Context(), q)
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []sender.Delivery{}
	}
	writeJSON(w, http.StatusOK, ds)
	return nil
}

func (s *Server) handleDelivery(w http.ResponseWriter, r *http.Request) error {
	d, err := s.Delivery(r.Context(), r.PathValue("id"))
	return answerFound(w, d, err)
}

// AmbiguousAnswer is the 409 answer to a delivery id prefix that matches
// more than one delivery: the candidates, newest first.
type AmbiguousAnswer struct {
	Detail     string   `json:"detail"`
	Candidates []string `json:"candidates"`
	More       bool     `json:"more"`
}

// answerFound is answer for a delivery looked up by id or prefix: an
// ambiguous prefix is a 409 naming the candidates.
func answerFound(w http.ResponseWriter, v any, err error) error {
	var ae *store.AmbiguousError
	if errors.As(err, &ae) {
		writeDetailed(w, http.StatusConflict, AmbiguousAnswer{Detail: err.Error(), Candidates: ae.Candidates, More: ae.More}, err.Error())
		return nil
	}
	return answer(w, v, err)
}

// replayBody is the body of POST /hooklab/deliveries/{id}/replay. Headers
// may be an object or a list of {name, value}.
type replayBody struct {
	URL     string          `json:"url"`
	Body    json.RawMessage `json:"body"`
	Headers json.RawMessage `json:"headers"`
}

func (s *Server) handleReplay(w http.ResponseWriter, r *http.Request) error {
	var b replayBody
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	rp := sender.Replay{ID: r.PathValue("id"), URL: b.URL, Body: b.Body}
	if len(b.Headers) > 0 && string(b.Headers) != "null" {
		var m map[string]string
		if json.Unmarshal(b.Headers, &m) == nil {
			for k, v := range m {
				rp.Headers = append(rp.Headers, sender.Header{Name: k, Value: v})
			}
		} else if err := json.Unmarshal(b.Headers, &rp.Headers); err != nil {
			return engine.Invalid("headers", "expected an object of header names to values, or a list of {\"name\", \"value\"}")
		}
	}
	if len(rp.Body) > 0 && !json.Valid(rp.Body) {
		return engine.Invalid("body", "must be valid JSON")
	}
	d, err := s.Replay(r.Context(), rp)
	return answerFound(w, d, err)
}

// checkURLBody is the body of POST /hooklab/check-url. With offline, host
// names are not resolved and the decision says the address check did not run.
type checkURLBody struct {
	URL     string `json:"url"`
	Offline bool   `json:"offline"`
}

func (s *Server) handleCheckURL(w http.ResponseWriter, r *http.Request) error {
	var b checkURLBody
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.TestURL(r.Context(), b.URL, b.Offline))
	return nil
}

// detailed is an error shown with the API's wording that still matches
// its cause with errors.Is (store.ErrNotFound, sender.ErrInvalid).
type detailed struct {
	detail string
	err    error
}

// Error implements error.
func (d *detailed) Error() string { return d.detail }

// Unwrap returns the cause.
func (d *detailed) Unwrap() error { return d.err }

// Subscribe opens a live subscription to the event hub.
func (s *Server) Subscribe(ctx context.Context) *hub.Subscription {
	return s.o.Hub.Subscribe(ctx, 0)
}

// History returns stored events.
func (s *Server) History(ctx context.Context, q store.Query) ([]hub.Event, error) {
	return s.o.Store.Events(ctx, q)
}

// Delivery returns one stored delivery by its id or a unique prefix of
// it; an unknown id is an error that matches store.ErrNotFound, an
// ambiguous prefix a *store.AmbiguousError naming the candidates.
func (s *Server) Delivery(ctx context.Context, id string) (sender.Delivery, error) {
	d, err := s.o.Store.FindDelivery(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return d, &detailed{fmt.Sprintf("delivery '%s' not found (neither a delivery id nor a run id, nor the start of one)", id), err}
	}
	return d, err
}

// Replay sends a stored delivery again and returns the new delivery.
// r.ID may be a unique prefix, as for Delivery.
func (s *Server) Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error) {
	orig, err := s.Delivery(ctx, r.ID)
	if err != nil {
		return sender.Delivery{}, err
	}
	r.ID = orig.ID
	d, err := s.o.Sender.Replay(ctx, r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return d, &detailed{fmt.Sprintf("delivery '%s' not found", r.ID), err}
	case errors.Is(err, sender.ErrInvalid):
		return d, &detailed{"replay: " + err.Error(), err}
	}
	return d, err
}

// CheckURL explains the URL policy in force for raw (config.Policy.Explain):
// the platform's decision and every check that fails.
func (s *Server) CheckURL(ctx context.Context, raw string) config.Decision {
	return s.TestURL(ctx, raw, false)
}

// TestURL is CheckURL with the URL tester's offline option: host names
// are not resolved, and the decision says the address check did not run.
func (s *Server) TestURL(ctx context.Context, raw string, offline bool) config.Decision {
	return s.Runtime().Policy.Explain(ctx, raw, config.CheckOptions{Resolver: s.o.Resolver, Offline: offline})
}

// URLTester is a URL-tester session over the policy in force: it
// resolves each host name once (config.ResolveCache) however often the
// URL is tested again while it is typed.
type URLTester struct {
	s     *Server
	cache *config.ResolveCache
}

// NewURLTester starts a URL-tester session.
func (s *Server) NewURLTester() *URLTester {
	return &URLTester{s: s, cache: config.NewResolveCache(s.o.Resolver, 0)}
}

// Test explains the policy in force for raw, resolving through the
// session's cache unless offline.
func (t *URLTester) Test(ctx context.Context, raw string, offline bool) config.Decision {
	return t.s.Runtime().Policy.Explain(ctx, raw, config.CheckOptions{Resolver: t.cache, Offline: offline})
}

// Crons lists every cron.
func (s *Server) Crons() []crons.Cron { return s.crons.List() }

// FireCron starts one run of a cron now.
func (s *Server) FireCron(ctx context.Context, id string) (string, error) {
	return s.crons.Fire(ctx, id)
}

// DeleteCron deletes a cron; an unknown id matches store.ErrNotFound.
func (s *Server) DeleteCron(_ context.Context, id string) error { return s.crons.Delete(id) }

// SetCronEnabled pauses (false) or resumes (true) a cron.
func (s *Server) SetCronEnabled(ctx context.Context, id string, enabled bool) error {
	_, err := s.crons.Patch(ctx, id, fmt.Appendf(nil, `{"enabled":%t}`, enabled))
	return err
}
