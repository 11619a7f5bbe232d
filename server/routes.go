package server

import (
	"net/http"
	"strings"

	"hooklab/server/engine"
)

// handlerFunc is a handler that may fail with an *apiError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// h serves a handler that answers with one JSON document. Its answer is
// buffered and written after the handler has returned, so a client that
// stops reading holds nothing but its own goroutine (there is no write
// timeout on purpose: SSE and /wait).
func (s *Server) h(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bw := &bufferedWriter{ResponseWriter: w}
		if err := fn(bw, r); err != nil {
			writeError(bw, err)
		}
		bw.send()
	})
}

// hs serves a streaming handler (SSE, /wait, join): it writes as it goes
// and must never hold a lock while writing.
func (s *Server) hs(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(w, err)
		}
	})
}

// bufferedWriter holds an answer until send.
type bufferedWriter struct {
	http.ResponseWriter
	status int
	body   []byte
}

// WriteHeader implements http.ResponseWriter; the status is sent by send.
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

// Write implements http.ResponseWriter; the bytes are sent by send.
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}

func (b *bufferedWriter) setDetail(d string) {
	if dw, ok := b.ResponseWriter.(detailWriter); ok {
		dw.setDetail(d)
	}
}

func (b *bufferedWriter) setRunID(id string) { noteRun(b.ResponseWriter, id) }

func (b *bufferedWriter) send() {
	if b.status == 0 {
		return
	}
	b.ResponseWriter.WriteHeader(b.status)
	b.ResponseWriter.Write(b.body)
}

// routes is the single route table of the server.
func (s *Server) routes() http.Handler {
	if s.up != nil {
		return s.forwardingRoutes()
	}
	mux := http.NewServeMux()
	assistantSearch, assistantCount := searchRoutes(s.eng.SearchAssistants, func(b engine.AssistantQuery) paging {
		return paging{Limit: b.Limit, Offset: b.Offset}
	})
	threadSearch, threadCount := searchRoutes(s.eng.SearchThreads, func(b engine.ThreadRequest) paging {
		return paging{Limit: b.Limit, Offset: b.Offset}
	})
	mux.Handle("GET /ok", s.h(s.handleOK))
	mux.Handle("GET /info", s.h(s.handleInfo))
	mux.Handle("POST /internal/truncate", s.h(s.handleTruncate))

	mux.Handle("POST /assistants", s.h(s.handleAssistantCreate))
	mux.Handle("POST /assistants/search", s.h(assistantSearch))
	mux.Handle("POST /assistants/count", s.h(assistantCount))
	mux.Handle("GET /assistants/{assistant_id}", s.h(s.handleAssistantGet))
	mux.Handle("PATCH /assistants/{assistant_id}", s.h(s.handleAssistantPatch))
	mux.Handle("DELETE /assistants/{assistant_id}", s.h(s.handleAssistantDelete))
	mux.Handle("GET /assistants/{assistant_id}/graph", s.h(s.handleAssistantGraph))
	mux.Handle("GET /assistants/{assistant_id}/schemas", s.h(s.handleAssistantSchemas))
	mux.Handle("GET /assistants/{assistant_id}/subgraphs", s.h(s.handleAssistantSubgraphs))
	mux.Handle("GET /assistants/{assistant_id}/subgraphs/{namespace}", s.h(s.handleAssistantSubgraphs))
	mux.Handle("POST /assistants/{assistant_id}/versions", s.h(s.handleAssistantVersions))
	mux.Handle("POST /assistants/{assistant_id}/latest", s.h(s.handleAssistantLatest))

	mux.Handle("POST /threads", s.h(s.handleThreadCreate))
	mux.Handle("POST /threads/search", s.h(threadSearch))
	mux.Handle("POST /threads/count", s.h(threadCount))
	mux.Handle("GET /threads/{thread_id}", s.h(s.handleThreadGet))
	mux.Handle("PATCH /threads/{thread_id}", s.h(s.handleThreadPatch))
	mux.Handle("DELETE /threads/{thread_id}", s.h(s.handleThreadDelete))
	mux.Handle("POST /threads/{thread_id}/copy", s.h(s.handleThreadCopy))
	mux.Handle("GET /threads/{thread_id}/state", s.h(s.handleThreadState))
	mux.Handle("POST /threads/{thread_id}/state", s.h(s.handleThreadUpdateState))
	mux.Handle("GET /threads/{thread_id}/state/{checkpoint_id}", s.h(s.handleThreadState))
	mux.Handle("POST /threads/{thread_id}/state/checkpoint", s.h(s.handleThreadStateAt))
	mux.Handle("GET /threads/{thread_id}/stream", s.hs(s.handleThreadJoin))
	mux.Handle("GET /threads/{thread_id}/history", s.h(s.handleThreadHistory))
	mux.Handle("POST /threads/{thread_id}/history", s.h(s.handleThreadHistory))

	mux.Handle("POST /threads/{thread_id}/runs", s.hs(s.handleRunCreate(modeBackground)))
	mux.Handle("POST /threads/{thread_id}/runs/stream", s.hs(s.handleRunCreate(modeStream)))
	mux.Handle("POST /threads/{thread_id}/runs/wait", s.hs(s.handleRunCreate(modeWait)))
	mux.Handle("GET /threads/{thread_id}/runs", s.h(s.handleRunList))
	mux.Handle("GET /threads/{thread_id}/runs/{run_id}", s.h(s.handleRunGet))
	mux.Handle("DELETE /threads/{thread_id}/runs/{run_id}", s.h(s.handleRunDelete))
	mux.Handle("GET /threads/{thread_id}/runs/{run_id}/join", s.hs(s.handleRunJoin))
	mux.Handle("GET /threads/{thread_id}/runs/{run_id}/stream", s.hs(s.handleRunJoinStream))
	mux.Handle("POST /threads/{thread_id}/runs/{run_id}/cancel", s.hs(s.handleRunCancel))

	mux.Handle("POST /runs", s.hs(s.handleRunCreate(modeBackground)))
	mux.Handle("POST /runs/stream", s.hs(s.handleRunCreate(modeStream)))
	mux.Handle("POST /runs/wait", s.hs(s.handleRunCreate(modeWait)))
	mux.Handle("POST /runs/batch", s.h(s.handleRunBatch))
	mux.Handle("POST /runs/cancel", s.h(s.handleRunsCancel))
	// /runs/{run_id}/join and /runs/{run_id}/stream overlap for the mux,
	// so GETs of two segments below /runs/ share one dispatcher.
	mux.Handle("GET /runs/{first}/{second}", s.hs(s.handleRunsGet2))
	mux.Handle("GET /runs/{run_id}", s.h(s.handleRunGet))

	s.cronRoutes(mux)

	mux.Handle("PUT /store/items", s.h(s.handleItemPut))
	mux.Handle("GET /store/items", s.h(s.handleItemGet))
	mux.Handle("DELETE /store/items", s.h(s.handleItemDelete))
	mux.Handle("POST /store/items/search", s.h(s.handleItemSearch))
	mux.Handle("POST /store/namespaces", s.h(s.handleNamespaces))

	s.hooklabRoutes(mux)
	// Unknown paths and wrong methods answer in JSON too (the mux's own
	// answers are plain text).
	mux.Handle("/", s.h(func(w http.ResponseWriter, r *http.Request) error { return noRoute(mux, w, r) }))
	unclean := s.h(func(w http.ResponseWriter, r *http.Request) error {
		return errorf(http.StatusNotFound, "no route %s %s: the path has an empty or dot segment; write it as the API reference does", r.Method, r.URL.Path)
	})
	return s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if uncleanPath(r.URL.Path) {
			// The mux would answer with a plain-text redirect to the
			// cleaned path, which no client follows with its POST body.
			unclean.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// uncleanPath reports a path with an empty ("//"), "." or ".." segment.
func uncleanPath(p string) bool {
	return strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
}

// noRoute is a 405 naming the allowed methods when the path exists, else a 404.
func noRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return errorf(http.StatusMethodNotAllowed, "%s %s: method not allowed; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
	}
	return errorf(http.StatusNotFound, "no route %s %s; see the LangGraph API reference for the run, thread, assistant and cron routes", r.Method, r.URL.Path)
}
