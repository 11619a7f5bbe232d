package server

import "net/http"

// handlerFunc is a handler that may fail with an *apiError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) h(fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			writeError(w, err)
		}
	})
}

// routes is the single route table of the server.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	assistantSearch, assistantCount := searchRoutes(s.matchAssistants, func(b searchBody) searchBody { return b })
	threadSearch, threadCount := searchRoutes(s.matchThreads, func(b threadBody) searchBody {
		return searchBody{Limit: b.Limit, Offset: b.Offset}
	})
	cronSearch, cronCount := searchRoutes(s.matchCrons, func(b cronSearch) searchBody {
		return searchBody{Limit: b.Limit, Offset: b.Offset}
	})
	mux.Handle("GET /ok", s.h(s.handleOK))
	mux.Handle("GET /info", s.h(s.handleInfo))

	mux.Handle("POST /assistants", s.h(s.handleAssistantCreate))
	mux.Handle("POST /assistants/search", s.h(assistantSearch))
	mux.Handle("POST /assistants/count", s.h(assistantCount))
	mux.Handle("GET /assistants/{assistant_id}", s.h(s.handleAssistantGet))
	mux.Handle("PATCH /assistants/{assistant_id}", s.h(s.handleAssistantPatch))
	mux.Handle("DELETE /assistants/{assistant_id}", s.h(s.handleAssistantDelete))

	mux.Handle("POST /threads", s.h(s.handleThreadCreate))
	mux.Handle("POST /threads/search", s.h(threadSearch))
	mux.Handle("POST /threads/count", s.h(threadCount))
	mux.Handle("GET /threads/{thread_id}", s.h(s.handleThreadGet))
	mux.Handle("PATCH /threads/{thread_id}", s.h(s.handleThreadPatch))
	mux.Handle("DELETE /threads/{thread_id}", s.h(s.handleThreadDelete))
	mux.Handle("GET /threads/{thread_id}/state", s.h(s.handleThreadState))
	mux.Handle("POST /threads/{thread_id}/state", s.h(s.handleThreadUpdateState))
	mux.Handle("GET /threads/{thread_id}/history", s.h(s.handleThreadHistory))
	mux.Handle("POST /threads/{thread_id}/history", s.h(s.handleThreadHistory))

	mux.Handle("POST /threads/{thread_id}/runs", s.h(s.handleRunCreate(modeBackground)))
	mux.Handle("POST /threads/{thread_id}/runs/stream", s.h(s.handleRunCreate(modeStream)))
	mux.Handle("POST /threads/{thread_id}/runs/wait", s.h(s.handleRunCreate(modeWait)))
	mux.Handle("GET /threads/{thread_id}/runs", s.h(s.handleRunList))
	mux.Handle("GET /threads/{thread_id}/runs/{run_id}", s.h(s.handleRunGet))
	mux.Handle("DELETE /threads/{thread_id}/runs/{run_id}", s.h(s.handleRunDelete))
	mux.Handle("GET /threads/{thread_id}/runs/{run_id}/join", s.h(s.handleRunJoin))
	mux.Handle("GET /threads/{thread_id}/runs/{run_id}/stream", s.h(s.handleRunJoinStream))
	mux.Handle("POST /threads/{thread_id}/runs/{run_id}/cancel", s.h(s.handleRunCancel))

	mux.Handle("POST /runs", s.h(s.handleRunCreate(modeBackground)))
	mux.Handle("POST /runs/stream", s.h(s.handleRunCreate(modeStream)))
	mux.Handle("POST /runs/wait", s.h(s.handleRunCreate(modeWait)))
	mux.Handle("POST /runs/batch", s.h(s.handleRunBatch))
	mux.Handle("POST /runs/cancel", s.h(s.handleRunsCancel))
	// /runs/crons/{cron_id} and /runs/{run_id}/stream overlap for the mux,
	// so GETs of two segments below /runs/ share one dispatcher.
	mux.Handle("GET /runs/{first}/{second}", s.h(s.handleRunsGet2))
	mux.Handle("GET /runs/{run_id}", s.h(s.handleStatelessRunGet))

	mux.Handle("POST /runs/crons", s.h(s.handleCronCreate))
	mux.Handle("POST /threads/{thread_id}/runs/crons", s.h(s.handleCronCreate))
	mux.Handle("POST /runs/crons/search", s.h(cronSearch))
	mux.Handle("POST /runs/crons/count", s.h(cronCount))
	mux.Handle("PATCH /runs/crons/{cron_id}", s.h(s.handleCronPatch))
	mux.Handle("DELETE /runs/crons/{cron_id}", s.h(s.handleCronDelete))

	s.hooklabRoutes(mux)
	return s.observe(mux)
}
