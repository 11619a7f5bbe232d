package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"hooklab/server/store"
)

// runFromPathLocked finds the run named by the path. The caller holds s.mu.
func (s *Server) runFromPathLocked(r *http.Request) (*runState, error) {
	tid, rid := r.PathValue("thread_id"), r.PathValue("run_id")
	if tid != "" && !validUUID(tid) {
		return nil, invalid("thread_id", "must be a UUID, got %q", tid)
	}
	if !validUUID(rid) {
		return nil, invalid("run_id", "must be a UUID, got %q", rid)
	}
	run, ok := s.runs[rid]
	if !ok || (tid != "" && run.ThreadID != tid) {
		return nil, notFound("run", rid)
	}
	return run, nil
}

func (s *Server) handleRunList(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, offset := 10, 0
	for name, dst := range map[string]*int{"limit": &limit, "offset": &offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return invalid(name, "must be a non-negative integer, got %q", v)
			}
			*dst = n
		}
	}
	status := q.Get("status")
	if err := oneOf("status", status, "pending", "running", "error", "success", "timeout", "interrupted"); err != nil {
		return err
	}
	s.mu.Lock()
	t, err := s.threadFromPathLocked(r)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	var list []*runState
	for _, run := range s.runs {
		if run.ThreadID == t.ThreadID && (status == "" || run.Status == status) {
			list = append(list, run)
		}
	}
	sortRuns(list)
	out := make([]Run, 0, len(list))
	for i := len(list) - 1 - offset; i >= 0 && len(out) < limit; i-- {
		out = append(out, list[i].Run)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) handleRunGet(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	run, err := s.runFromPathLocked(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, run.Run)
	return nil
}

// handleRunsGet2 serves GET /runs/crons/{cron_id}, /runs/{run_id}/join and
// /runs/{run_id}/stream.
func (s *Server) handleRunsGet2(w http.ResponseWriter, r *http.Request) error {
	first, second := r.PathValue("first"), r.PathValue("second")
	if first == "crons" {
		r.SetPathValue("cron_id", second)
		s.h(s.handleCronGet).ServeHTTP(w, r) // buffered: it holds s.mu
		return nil
	}
	r.SetPathValue("run_id", first)
	switch second {
	case "join":
		return s.handleRunJoin(w, r)
	case "stream":
		return s.handleRunJoinStream(w, r)
	}
	return errorf(http.StatusNotFound, "no route GET %s", r.URL.Path)
}

func (s *Server) handleRunDelete(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	run, err := s.runFromPathLocked(r)
	if err != nil {
		return err
	}
	if !run.ended() {
		return errorf(http.StatusConflict, "run '%s' is %s; cancel it before deleting it", run.RunID, run.Status)
	}
	delete(s.runs, run.RunID)
	s.unpersist(store.Runs, run.RunID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleRunJoin(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	run, err := s.runFromPathLocked(r)
	var body []byte
	if err == nil && run.ended() && run.waitBody == nil {
		// Loaded from the store after a restart: answer with the thread's values.
		body = []byte("null")
		if t, ok := s.threads[run.ThreadID]; ok && len(t.Values) > 0 {
			body = t.Values
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if body != nil {
		writeJSON(w, http.StatusOK, jsonRaw(body))
		return nil
	}
	s.writeWait(w, r, run)
	return nil
}

func (s *Server) handleRunJoinStream(w http.ResponseWriter, r *http.Request) error {
	s.mu.Lock()
	run, err := s.runFromPathLocked(r)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	from := 0
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return invalid("Last-Event-ID", "must be an event id this server sent (a number), got %q", v)
		}
		from = n
	}
	var filter map[string]bool
	if modes := r.URL.Query()["stream_mode"]; len(modes) > 0 {
		filter = map[string]bool{}
		for _, m := range modes {
			if m == "messages-tuple" {
				m = "messages"
			}
			filter[m] = true
		}
	}
	gone := func() {}
	if r.URL.Query().Get("cancel_on_disconnect") == "1" || r.URL.Query().Get("cancel_on_disconnect") == "true" {
		gone = func() {
			s.mu.Lock()
			if !run.ended() {
				run.requestCancel("interrupt")
			}
			s.mu.Unlock()
		}
	}
	w.Header().Set("Content-Location", runPath(run))
	sseHeaders(w)
	writeSSE(w, r, run.stream, from, true, filter, s.o.Heartbeat, gone)
	return nil
}

// cancelRun cancels run with action. The caller holds s.mu.
func (s *Server) cancelRunLocked(run *runState, action string) error {
	if run.ended() {
		return errorf(http.StatusConflict, "run '%s' has already ended with status %s; nothing to cancel", run.RunID, run.Status)
	}
	t := s.threads[run.ThreadID]
	if t != nil && t.active != run {
		for i, q := range t.queue {
			if q == run {
				t.queue = append(t.queue[:i:i], t.queue[i+1:]...)
				break
			}
		}
		run.cancelAction = action
		run.cancelPendingLocked()
		s.finishPendingLocked(run, action)
		s.settleThreadLocked(t, t.Status)
		if t.active == nil && len(t.queue) == 0 {
			s.settleThreadLocked(t, "idle")
		}
		return nil
	}
	run.requestCancel(action)
	return nil
}

func cancelAction(r *http.Request) (string, error) {
	action := r.URL.Query().Get("action")
	if action == "" {
		action = "interrupt"
	}
	return action, oneOf("action", action, "interrupt", "rollback")
}

func (s *Server) handleRunCancel(w http.ResponseWriter, r *http.Request) error {
	action, err := cancelAction(r)
	if err != nil {
		return err
	}
	wait := r.URL.Query().Get("wait")
	if err := oneOf("wait", wait, "0", "1", "true", "false"); err != nil {
		return err
	}
	s.mu.Lock()
	run, err := s.runFromPathLocked(r)
	if err == nil {
		err = s.cancelRunLocked(run, action)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if wait != "1" && wait != "true" {
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	select {
	case <-run.done:
	case <-r.Context().Done():
		return nil
	case <-s.ctx.Done():
	case <-time.After(30 * time.Second):
	}
	s.mu.Lock()
	out := run.Run
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
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
	if err := oneOf("status", b.Status, "pending", "running", "all"); err != nil {
		return err
	}
	if b.Status == "" && len(b.RunIDs) == 0 {
		return invalid("run_ids", "pass run_ids (with thread_id) or status")
	}
	b.ThreadID = canonID(b.ThreadID)
	for i, id := range b.RunIDs {
		if !validUUID(id) {
			return invalid(fmt.Sprintf("run_ids[%d]", i), "must be a UUID, got %q", id)
		}
		b.RunIDs[i] = canonID(id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var targets []*runState
	for _, id := range b.RunIDs {
		run, ok := s.runs[id]
		if !ok || (b.ThreadID != "" && run.ThreadID != b.ThreadID) {
			return notFound("run", id)
		}
		targets = append(targets, run)
	}
	if b.Status != "" {
		for _, run := range s.runs {
			if !run.ended() && (b.Status == "all" || run.Status == b.Status) && (b.ThreadID == "" || run.ThreadID == b.ThreadID) {
				targets = append(targets, run)
			}
		}
	}
	for _, run := range targets {
		if !run.ended() {
			s.cancelRunLocked(run, action)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
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
