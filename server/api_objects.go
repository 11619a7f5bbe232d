package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"hooklab/server/engine"
	"hooklab/server/hub"
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
	deleteThreads := strings.EqualFold(r.URL.Query().Get("delete_threads"), "true")
	return noContent(w, s.eng.DeleteAssistant(r.PathValue("assistant_id"), deleteThreads))
}

func (s *Server) handleAssistantGraph(w http.ResponseWriter, r *http.Request) error {
	g, err := s.eng.AssistantGraph(r.PathValue("assistant_id"), r.URL.Query().Get("xray"))
	return answer(w, g, err)
}

func (s *Server) handleAssistantSchemas(w http.ResponseWriter, r *http.Request) error {
	sc, err := s.eng.AssistantSchemas(r.PathValue("assistant_id"))
	return answer(w, sc, err)
}

func (s *Server) handleAssistantSubgraphs(w http.ResponseWriter, r *http.Request) error {
	sg, err := s.eng.AssistantSubgraphs(r.PathValue("assistant_id"))
	return answer(w, sg, err)
}

func (s *Server) handleAssistantVersions(w http.ResponseWriter, r *http.Request) error {
	var b engine.VersionQuery
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	vs, err := s.eng.AssistantVersions(r.PathValue("assistant_id"), b)
	return answer(w, vs, err)
}

func (s *Server) handleAssistantLatest(w http.ResponseWriter, r *http.Request) error {
	var b struct {
		Version *int `json:"version"`
	}
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	if b.Version == nil {
		return engine.Invalid("version", "required; the version number to make the latest")
	}
	a, err := s.eng.SetLatestVersion(r.PathValue("assistant_id"), *b.Version)
	return answer(w, a, err)
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

// handleTruncate empties what the body names (runs, threads, assistants,
// checkpointer, store), as the JS dev server's POST /internal/truncate
// does for the test suites that call it before each test; {"ok": true}.
// Unlike the other LangGraph routes it is closed to web pages and takes
// JSON only: one request from any page would empty the store on disk.
func (s *Server) handleTruncate(w http.ResponseWriter, r *http.Request) error {
	const what = "POST /internal/truncate"
	if err := notFromPage(r, what, "it empties hooklab's store, so test suites and the CLI may call it, web pages may not"); err != nil {
		return err
	}
	if err := jsonOnly(r, what); err != nil {
		return err
	}
	var b engine.Truncation
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	s.eng.Truncate(b)
	s.emit(hub.KindNotice, hub.NoticeInfo{Level: "info", Text: fmt.Sprintf(
		"POST /internal/truncate emptied: runs %t, threads %t, assistants %t, checkpointer %t, store %t",
		b.Runs, b.Threads, b.Assistants, b.Checkpointer, b.Store)})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
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

// searchRoutes builds the search route (paged, with X-Pagination-Total
// and X-Pagination-Next) and the count route of one kind of object from
// its matcher; page picks the limit and offset.
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
		// The SDK's includePagination reads these; X-Pagination-Next is
		// the offset of the next page, sent only when there is one.
		w.Header().Set("X-Pagination-Total", strconv.Itoa(len(out)))
		if hi > lo && hi < len(out) { // a page of none leads nowhere
			w.Header().Set("X-Pagination-Next", strconv.Itoa(hi))
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
