package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hooklab/server/engine"
)

// The thread state routes (state, checkpoints, history, copy) and the
// thread's join stream: decode, call the engine, answer.

func (s *Server) handleThreadState(w http.ResponseWriter, r *http.Request) error {
	st, err := s.eng.ThreadState(r.PathValue("thread_id"), r.PathValue("checkpoint_id"))
	return answer(w, st, err)
}

func (s *Server) handleThreadStateAt(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Checkpoint map[string]any `json:"checkpoint"`
		Subgraphs  bool           `json:"subgraphs"`
	}
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	if b.Checkpoint == nil {
		return engine.Invalid("checkpoint", "required; an object such as {\"checkpoint_id\": \"...\"}")
	}
	id, _ := b.Checkpoint["checkpoint_id"].(string)
	st, err := s.eng.ThreadState(r.PathValue("thread_id"), id)
	return answer(w, st, err)
}

func (s *Server) handleThreadUpdateState(w http.ResponseWriter, r *http.Request) error {
	var b engine.StateUpdate
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	res, err := s.eng.UpdateThreadState(r.PathValue("thread_id"), b)
	return answer(w, res, err)
}

func (s *Server) handleThreadHistory(w http.ResponseWriter, r *http.Request) error {
	var q engine.HistoryQuery
	if r.Method == http.MethodPost {
		if err := decodeJSON(r, &q, true); err != nil {
			return err
		}
	} else {
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return engine.Invalid("limit", "Invalid limit %s: must be an integer", v)
			}
			q.Limit = &n
		}
		if v := r.URL.Query().Get("before"); v != "" {
			q.Before, _ = json.Marshal(v)
		}
	}
	h, err := s.eng.ThreadHistory(r.PathValue("thread_id"), q)
	return answer(w, h, err)
}

// copiedThread is the answer of POST /threads/{id}/copy: the new thread,
// as the platform answers it (without values).
type copiedThread struct {
	ThreadID       string         `json:"thread_id"`
	CreatedAt      engine.Time    `json:"created_at"`
	UpdatedAt      engine.Time    `json:"updated_at"`
	StateUpdatedAt engine.Time    `json:"state_updated_at"`
	Metadata       map[string]any `json:"metadata"`
	Status         string         `json:"status"`
	Config         map[string]any `json:"config"`
}

func (s *Server) handleThreadCopy(w http.ResponseWriter, r *http.Request) error {
	t, err := s.eng.CopyThread(r.PathValue("thread_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, copiedThread{
		ThreadID: t.ThreadID, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, StateUpdatedAt: t.StateUpdatedAt,
		Metadata: t.Metadata, Status: string(t.Status), Config: t.Config,
	})
	return nil
}

// handleThreadJoin serves GET /threads/{id}/stream: every event of the
// thread's runs and state updates, until the client leaves.
func (s *Server) handleThreadJoin(w http.ResponseWriter, r *http.Request) error {
	// stream_modes is the platform's parameter; the JS SDK sends stream_mode.
	modes := queryList(r.URL.Query(), "stream_modes", "stream_mode")
	sub, replay, err := s.eng.JoinThread(r.PathValue("thread_id"), modes, r.Header.Get("Last-Event-ID"))
	if err != nil {
		return err
	}
	defer sub.Close()
	sseHeaders(w)
	writeFeedSSE(w, r, sub, replay, s.o.Heartbeat)
	return nil
}

// queryList reads a list from query parameters: repeated, comma-separated,
// or a JSON array (as the JS SDK encodes a list).
func queryList(q url.Values, names ...string) []string {
	var out []string
	for _, name := range names {
		for _, v := range q[name] {
			var list []string
			if strings.HasPrefix(v, "[") && json.Unmarshal([]byte(v), &list) == nil {
				out = append(out, list...)
				continue
			}
			for _, m := range strings.Split(v, ",") {
				if m = strings.TrimSpace(m); m != "" {
					out = append(out, m)
				}
			}
		}
	}
	return out
}
