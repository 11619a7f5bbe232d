package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

func (s *Server) hooklabRoutes(mux *http.ServeMux) {
	mux.Handle("GET /hooklab/healthz", s.h(s.handleHealthz))
	mux.Handle("GET /hooklab/events", http.HandlerFunc(s.handleEvents))
	mux.Handle("GET /hooklab/history", s.h(s.handleHistory))
	mux.Handle("GET /hooklab/deliveries", s.h(s.handleDeliveries))
	mux.Handle("GET /hooklab/deliveries/{id}", s.h(s.handleDelivery))
	mux.Handle("POST /hooklab/deliveries/{id}/replay", s.hs(s.handleReplay))
	mux.Handle("GET /hooklab/config", s.h(s.handleConfigGet))
	mux.Handle("PUT /hooklab/config", s.h(s.handleConfigPut))
	mux.Handle("POST /hooklab/check-url", s.h(s.handleCheckURL))
	mux.Handle("POST /hooklab/crons/{cron_id}/fire", s.hs(s.handleCronFire))
	mux.Handle("/hooklab/sink/{name...}", s.hs(s.handleSink))
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	body := map[string]any{"ok": true, "version": s.o.Version, "addr": s.o.Addr}
	if s.o.Store != nil {
		body["seq"] = s.o.Store.LastSeq()
		body["store"] = s.o.Store.Path()
		if err := s.o.Store.Err(); err != nil {
			body["store_error"] = err.Error()
		}
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

func queryUint(r *http.Request, name string) (uint64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, invalid(name, "must be a non-negative integer, got %q", v)
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
			q.Kinds = append(q.Kinds, hub.Kind(k))
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
	if err := oneOf("status", q.Outcome, sender.OutcomePending, sender.OutcomeDelivered, sender.OutcomeFailed,
		sender.OutcomeRefused, sender.OutcomeSkipped, sender.OutcomeInterrupted); err != nil {
		return err
	}
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return invalid("since", "must be an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", v)
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
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
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
				rp.Headers = append(rp.Headers, hub.HeaderKV{Name: k, Value: v})
			}
		} else if err := json.Unmarshal(b.Headers, &rp.Headers); err != nil {
			return invalid("headers", "expected an object of header names to values, or a list of {\"name\", \"value\"}")
		}
	}
	if len(rp.Body) > 0 && !json.Valid(rp.Body) {
		return invalid("body", "must be valid JSON")
	}
	d, err := s.Replay(r.Context(), rp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) handleConfigGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.Runtime())
	return nil
}

// configBody carries langgraph.json-shaped webhooks and http keys.
type configBody struct {
	Webhooks json.RawMessage `json:"webhooks"`
	HTTP     json.RawMessage `json:"http"`
	Save     bool            `json:"save"`
}

func (s *Server) handleConfigPut(w http.ResponseWriter, r *http.Request) error {
	var b configBody
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	cur := s.Runtime().File
	doc := map[string]any{"graphs": map[string]string{}}
	for _, g := range cur.Graphs {
		doc["graphs"].(map[string]string)[g] = "hooklab:echo"
	}
	if len(b.Webhooks) > 0 {
		doc["webhooks"] = b.Webhooks
	}
	if len(b.HTTP) > 0 {
		doc["http"] = b.HTTP
	}
	parsed, err := config.Parse(orDefault(cur.Path, "langgraph.json"), mustJSON(doc))
	if err != nil {
		return invalid("config", "%v", err)
	}
	// A key left out keeps its value in force: PUT {"http": ...} must not
	// drop the webhooks settings (and with them, say, loopback receivers).
	next := cur.Clone()
	if len(b.Webhooks) > 0 {
		next.Webhooks = parsed.Webhooks
	}
	if len(b.HTTP) > 0 {
		next.HTTP = parsed.HTTP
	}
	if err := s.ApplyConfig(r.Context(), next, b.Save); err != nil {
		return invalid("config", "%v", err)
	}
	writeJSON(w, http.StatusOK, s.Runtime())
	return nil
}

func (s *Server) handleCheckURL(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		URL string `json:"url"`
	}
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.CheckURL(r.Context(), b.URL))
	return nil
}

func (s *Server) handleCronFire(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("cron_id")
	if !validUUID(id) {
		return invalid("cron_id", "must be a UUID, got %q", id)
	}
	runID, err := s.FireCron(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"cron_id": id, "run_id": runID})
	return nil
}

// handleSink is the built-in receiver (SPEC B4): it records any request and
// answers ?status= (default 200) after ?delay_ms=.
func (s *Server) handleSink(w http.ResponseWriter, r *http.Request) error {
	status, delay := http.StatusOK, 0
	if v := r.URL.Query().Get("status"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 200 || n > 599 {
			return invalid("status", "must be an HTTP status from 200 to 599, got %q", v)
		}
		status = n
	}
	if v := r.URL.Query().Get("delay_ms"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 600000 {
			return invalid("delay_ms", "must be milliseconds from 0 to 600000, got %q", v)
		}
		delay = n
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	info := hub.SinkInfo{
		Name: r.PathValue("name"), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Status: status, DelayMS: delay,
	}
	secret := map[string]bool{}
	for _, h := range s.Runtime().Headers {
		if h.Secret {
			secret[http.CanonicalHeaderKey(h.Name)] = true
		}
	}
	// Go's server does not keep the wire order of headers: sorted by name,
	// the record is at least the same for every request.
	for _, name := range slices.Sorted(maps.Keys(r.Header)) {
		for _, v := range r.Header[name] {
			if secret[name] {
				v = config.Mask(v)
			} else {
				v = maskIfSecret(name, v)
			}
			info.Headers = append(info.Headers, hub.HeaderKV{Name: name, Value: v})
		}
	}
	if len(body) > 0 {
		if json.Valid(body) {
			info.Body = body
		} else {
			info.Body = mustJSON(string(body[:min(len(body), maxRecordedBody)]))
		}
	}
	s.emit(hub.KindSink, info)
	if delay > 0 {
		t := time.NewTimer(time.Duration(delay) * time.Millisecond)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return nil
		}
	}
	writeJSON(w, status, map[string]any{"ok": status < 300, "sink": info.Name, "status": status})
	return nil
}

// maskIfSecret masks header values that carry credentials whatever their
// origin: the sink is where templated secrets arrive (those are masked by
// name above), and its events are stored and published.
func maskIfSecret(name, v string) string {
	switch strings.ToLower(name) {
	case "authorization", "proxy-authorization", "cookie", "x-api-key":
		return config.Mask(v)
	}
	return v
}

// ---- the dashboard's backend (ui.Backend) and the CLI's entry points ----

// History returns stored events.
func (s *Server) History(ctx context.Context, q store.Query) ([]hub.Event, error) {
	return s.o.Store.Events(ctx, q)
}

// Delivery returns one stored delivery.
func (s *Server) Delivery(ctx context.Context, id string) (sender.Delivery, error) {
	d, err := s.o.Store.Delivery(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return d, notFound("delivery", id)
	}
	return d, err
}

// Replay sends a stored delivery again and returns the new delivery.
func (s *Server) Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error) {
	d, err := s.o.Sender.Replay(ctx, r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return d, notFound("delivery", r.ID)
	case errors.Is(err, sender.ErrInvalid):
		return d, invalid("replay", "%v", err)
	}
	return d, err
}

// CheckURL runs the URL policy in force on raw.
func (s *Server) CheckURL(ctx context.Context, raw string) config.Decision {
	d := s.Runtime().Policy.Check(ctx, raw, s.o.Resolver)
	return d
}

// ApplyConfig validates f, puts it in force and, when save is set, writes
// it back to langgraph.json. A refused config leaves the running one alone.
func (s *Server) ApplyConfig(ctx context.Context, f *config.File, save bool) error {
	rt, err := config.Resolve(f, s.o.LookupEnv)
	if err != nil {
		s.emit(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
		return err
	}
	if save {
		if err := f.Save(""); err != nil {
			s.emit(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
			return fmt.Errorf("config not saved: %w", err)
		}
		// Saving the embedded default makes its values the file's own:
		// resolve again so the decisions say "explicit", not "embedded".
		if rt, err = config.Resolve(f, s.o.LookupEnv); err != nil {
			return err
		}
	}
	s.rt.Store(rt)
	action := "applied"
	if save {
		action = "saved"
	}
	s.emit(hub.KindConfig, hub.ConfigInfo{Action: action, Path: f.Path})
	return nil
}
