package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"hooklab/server/engine"
)

// createMode is what a run-creating route answers with.
type createMode int

const (
	modeBackground createMode = iota
	modeStream
	modeWait
)

// xHeaders are the request's x-* headers (but x-api-key), lower-cased: the
// platform copies them into the run's config.configurable.
func xHeaders(r *http.Request) map[string]string {
	var out map[string]string
	for name, vals := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-") && l != "x-api-key" && len(vals) > 0 {
			if out == nil {
				out = map[string]string{}
			}
			out[l] = vals[0]
		}
	}
	return out
}

func (s *Server) handleRunCreate(mode createMode) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var b engine.RunRequest
		if err := decodeJSON(r, &b, false); err != nil {
			return err
		}
		threadID := r.PathValue("thread_id")
		if threadID == "" && r.URL.Path != "/runs" && !strings.HasPrefix(r.URL.Path, "/runs/") {
			return engine.Invalid("thread_id", "required")
		}
		run, created, err := s.eng.CreateRun(r.Context(), engine.RunSpec{
			Request: &b, ThreadID: threadID, Headers: xHeaders(r), Stream: mode == modeStream,
		})
		if err != nil {
			return err
		}
		noteRun(w, run.ID())
		base := run.Path()
		w.Header().Set("Content-Location", base)
		switch mode {
		case modeStream:
			w.Header().Set("Location", base+"/stream")
			sseHeaders(w)
			writeSSE(w, r, run.Stream(), 0, run.Resumable(), nil, s.o.Heartbeat, run.Disconnected)
			run.Stream().Detach() // attached by CreateRun
		case modeWait:
			// As the platform: a stateless wait names the run under its
			// (temporary) thread.
			base = "/threads/" + created.ThreadID + "/runs/" + created.RunID
			w.Header().Set("Content-Location", base)
			w.Header().Set("Location", base+"/join")
			s.writeWait(w, r, run)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.Write(run.CreatedJSON(created))
		}
		return nil
	}
}

// writeWait waits for run to end, writing a newline every heartbeat so
// proxies keep the connection, then writes the result.
func (s *Server) writeWait(w http.ResponseWriter, r *http.Request, run *engine.Handle) {
	w.Header().Set("Content-Type", "application/json")
	fl, _ := w.(http.Flusher)
	tick := time.NewTicker(s.o.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-run.Done():
			w.Write(run.Result())
			return
		case <-tick.C:
			w.Write([]byte("\n"))
			if fl != nil {
				fl.Flush()
			}
		case <-r.Context().Done():
			run.Disconnected()
			return
		case <-s.closing():
			// Shutting down: the run stays pending in the store and runs
			// again on the next start. Abort the connection rather than end
			// a 200 whose body is not JSON.
			panic(http.ErrAbortHandler)
		}
	}
}

func (s *Server) handleRunBatch(w http.ResponseWriter, r *http.Request) error {
	var bodies []engine.RunRequest
	if err := decodeJSON(r, &bodies, false); err != nil {
		return err
	}
	if len(bodies) == 0 {
		return engine.Invalid("request body", "send a non-empty array of run bodies")
	}
	// Every body is checked (schema, webhook policy, assistant) before any
	// run exists: a 4xx means nothing happened.
	for i := range bodies {
		if err := s.eng.CheckRun(r.Context(), &bodies[i]); err != nil {
			return itemError(i, err, "no run was created")
		}
	}
	out := make([]engine.Run, 0, len(bodies))
	for i := range bodies {
		_, created, err := s.eng.CreateRun(r.Context(), engine.RunSpec{Request: &bodies[i], Headers: xHeaders(r)})
		if err != nil {
			return itemError(i, err, "runs before it were created")
		}
		out = append(out, created)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// itemError names the batch element an error is about, keeping its kind.
func itemError(i int, err error, outcome string) error {
	if ee, ok := err.(*engine.Error); ok {
		return engine.Errorf(ee.Kind, "[%d]: %s (%s)", i, ee.Detail, outcome)
	}
	return err
}

func (s *Server) handleRunList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := 10, 0
	for name, dst := range map[string]*int{"limit": &limit, "offset": &offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return engine.Invalid(name, "must be a non-negative integer, got %q", v)
			}
			*dst = n
		}
	}
	runs, err := s.eng.ListRuns(r.PathValue("thread_id"), engine.RunStatus(q.Get("status")), limit, offset)
	return answer(w, runs, err)
}

func (s *Server) handleRunGet(w http.ResponseWriter, r *http.Request) error {
	run, err := s.eng.Run(r.PathValue("thread_id"), r.PathValue("run_id"))
	return answer(w, run, err)
}

func (s *Server) handleRunDelete(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.eng.DeleteRun(r.PathValue("thread_id"), r.PathValue("run_id")))
}

// handleRunsGet2 serves GET /runs/{run_id}/join and /runs/{run_id}/stream
// (GET /runs/crons/{cron_id}, more specific, has its own route).
func (s *Server) handleRunsGet2(w http.ResponseWriter, r *http.Request) error {
	first, second := r.PathValue("first"), r.PathValue("second")
	r.SetPathValue("run_id", first)
	switch second {
	case "join":
		return s.handleRunJoin(w, r)
	case "stream":
		return s.handleRunJoinStream(w, r)
	}
	return errorf(http.StatusNotFound, "no route GET %s", r.URL.Path)
}

func (s *Server) handleRunJoin(w http.ResponseWriter, r *http.Request) error {
	run, err := s.eng.Follow(r.PathValue("thread_id"), r.PathValue("run_id"))
	if err != nil {
		return err
	}
	select {
	case <-run.Done():
		// Ended (or loaded ended after a restart): answer at once.
		writeJSON(w, http.StatusOK, jsonRaw(run.Result()))
	default:
		s.writeWait(w, r, run)
	}
	return nil
}

func (s *Server) handleRunJoinStream(w http.ResponseWriter, r *http.Request) error {
	run, err := s.eng.Follow(r.PathValue("thread_id"), r.PathValue("run_id"))
	if err != nil {
		return err
	}
	from := 0
	if v := r.Header.Get("Last-Event-ID"); v != "" && v != "-1" { // -1: replay from the start
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return engine.Invalid("Last-Event-ID", "must be an event id this server sent (a number), or -1 to replay from the start; got %q", v)
		}
		from = n
	}
	var filter map[string]bool
	if modes := queryList(r.URL.Query(), "stream_mode"); len(modes) > 0 {
		filter = map[string]bool{}
		for _, m := range modes {
			if m == "messages-tuple" {
				m = "messages"
			}
			filter[m] = true
		}
	}
	gone := func() {}
	if v := r.URL.Query().Get("cancel_on_disconnect"); v == "1" || v == "true" {
		gone = run.CancelIfRunning
	}
	w.Header().Set("Content-Location", run.Path())
	sseHeaders(w)
	writeSSE(w, r, run.Stream(), from, true, filter, s.o.Heartbeat, gone)
	return nil
}

func cancelAction(r *http.Request) (string, error) {
	action := r.URL.Query().Get("action")
	if action == "" {
		action = engine.ActionInterrupt
	}
	return action, engine.OneOf("action", action, engine.ActionInterrupt, engine.ActionRollback)
}

func (s *Server) handleRunCancel(w http.ResponseWriter, r *http.Request) error {
	action, err := cancelAction(r)
	if err != nil {
		return err
	}
	wait := r.URL.Query().Get("wait")
	if err := engine.OneOf("wait", wait, "0", "1", "true", "false"); err != nil {
		return err
	}
	run, err := s.eng.CancelRun(r.PathValue("thread_id"), r.PathValue("run_id"), action)
	if err != nil {
		return err
	}
	if wait != "1" && wait != "true" {
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	select {
	case <-run.Done():
	case <-r.Context().Done():
		return nil
	case <-s.closing():
	case <-time.After(30 * time.Second):
	}
	writeJSON(w, http.StatusOK, run.Run())
	return nil
}

func (s *Server) handleRunsCancel(w http.ResponseWriter, r *http.Request) error {
	action, err := cancelAction(r)
	if err != nil {
		return err
	}
	var b struct {
		ThreadID string   `json:"thread_id"`
		RunIDs   []string `json:"run_ids"`
		Status   string   `json:"status"`
	}
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	return noContent(w, s.eng.CancelRuns(b.ThreadID, b.RunIDs, b.Status, action))
}

// jsonRaw writes stored JSON as-is.
type jsonRaw []byte

// MarshalJSON implements json.Marshaler.
func (j jsonRaw) MarshalJSON() ([]byte, error) {
	if len(j) == 0 {
		return []byte("null"), nil
	}
	return j, nil
}
