package server

import (
	"encoding/json"
	"net/http"
	"strconv"

	"hooklab/server/engine"
)

// The assistant and thread routes: decode, call the engine, answer.

func (s *Server) handleOK(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{
		"version":              s.o.Version,
		"langgraph_py_version": nil,
		"flags": map[string]bool{
			"assistants": true, "crons": true, "langsmith": false, "langsmith_tracing_replicas": false,
		},
		"host":     map[string]any{"kind": "hooklab", "project_id": nil, "revision_id": nil, "tenant_id": nil},
		"metadata": map[string]any{"webhooks_disabled": s.Runtime().DisableWebhooks},
	})
	return nil
}

func (s *Server) handleAssistantCreate(w http.ResponseWriter, r *http.Request) error {
	var b engine.AssistantRequest
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	a, err := s.eng.CreateAssistant(b)
	return answer(w, a, err)
}

func (s *Server) handleAssistantGet(w http.ResponseWriter, r *http.Request) error {
	a, err := s.eng.Assistant(r.PathValue("assistant_id"))
	return answer(w, a, err)
}

func (s *Server) handleAssistantPatch(w http.ResponseWriter, r *http.Request) error {
	var b engine.AssistantRequest
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	a, err := s.eng.PatchAssistant(r.PathValue("assistant_id"), b)
	return answer(w, a, err)
}

func (s *Server) handleAssistantDelete(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.eng.DeleteAssistant(r.PathValue("assistant_id")))
}

func (s *Server) handleThreadCreate(w http.ResponseWriter, r *http.Request) error {
	var b engine.ThreadRequest
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	t, err := s.eng.CreateThread(b)
	return answer(w, t, err)
}

func (s *Server) handleThreadGet(w http.ResponseWriter, r *http.Request) error {
	t, err := s.eng.Thread(r.PathValue("thread_id"))
	return answer(w, t, err)
}

func (s *Server) handleThreadPatch(w http.ResponseWriter, r *http.Request) error {
	var b engine.ThreadRequest
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	t, err := s.eng.PatchThread(r.PathValue("thread_id"), b.Metadata)
	return answer(w, t, err)
}

func (s *Server) handleThreadDelete(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.eng.DeleteThread(r.PathValue("thread_id")))
}

func (s *Server) handleThreadState(w http.ResponseWriter, r *http.Request) error {
	st, err := s.eng.ThreadState(r.PathValue("thread_id"))
	return answer(w, st, err)
}

func (s *Server) handleThreadUpdateState(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Values json.RawMessage `json:"values"`
		AsNode string          `json:"as_node"`
	}
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	cp, err := s.eng.UpdateThreadState(r.PathValue("thread_id"), b.Values, b.AsNode)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"checkpoint": cp})
	return nil
}

func (s *Server) handleThreadHistory(w http.ResponseWriter, r *http.Request) error {
	limit := 10
	if r.Method == http.MethodPost {
		var b struct {
			Limit *int `json:"limit"`
		}
		if err := decodeJSON(r, &b, true); err != nil {
			return err
		}
		if b.Limit != nil {
			limit = *b.Limit
		}
	} else if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return engine.Invalid("limit", "must be an integer, got %q", v)
		}
		limit = n
	}
	h, err := s.eng.ThreadHistory(r.PathValue("thread_id"), limit)
	return answer(w, h, err)
}

// answer writes v as a 200, or returns err.
func answer(w http.ResponseWriter, v any, err error) error {
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// noContent answers 204, or returns err.
func noContent(w http.ResponseWriter, err error) error {
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// paging is the limit and offset of a search body.
type paging struct {
	Limit  *int
	Offset int
}

func (p paging) window(n int) (int, int, error) {
	limit := 10
	if p.Limit != nil {
		limit = *p.Limit
	}
	if limit < 0 || limit > 10000 {
		return 0, 0, engine.Invalid("limit", "must be between 0 and 10000, got %d", limit)
	}
	if p.Offset < 0 {
		return 0, 0, engine.Invalid("offset", "must not be negative, got %d", p.Offset)
	}
	lo := min(p.Offset, n)
	return lo, min(lo+limit, n), nil
}

// searchRoutes builds the search route (paged) and the count route of one
// kind of object from its matcher; page picks the limit and offset.
func searchRoutes[B, T any](match func(B) ([]T, error), page func(B) paging) (search, count handlerFunc) {
	find := func(r *http.Request) (B, []T, error) {
		var b B
		if err := decodeJSON(r, &b, true); err != nil {
			return b, nil, err
		}
		out, err := match(b)
		return b, out, err
	}
	search = func(w http.ResponseWriter, r *http.Request) error {
		b, out, err := find(r)
		if err != nil {
			return err
		}
		lo, hi, err := page(b).window(len(out))
		if err != nil {
			return err
		}
		if len(out) == 0 {
			out = []T{} // an empty page is [] in JSON, not null
		}
		writeJSON(w, http.StatusOK, out[lo:hi])
		return nil
	}
	count = func(w http.ResponseWriter, r *http.Request) error {
		_, out, err := find(r)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, len(out))
		return nil
	}
	return search, count
}
