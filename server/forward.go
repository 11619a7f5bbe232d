package server

import (
	"net/http"
	"strings"

	"hooklab/server/crons"
)

// cronRoutes are the cron routes, served by hooklab in both modes.
func (s *Server) cronRoutes(mux *http.ServeMux) {
	search, count := searchRoutes(s.crons.Search, func(b crons.Query) paging {
		return paging{Limit: b.Limit, Offset: b.Offset}
	})
	mux.Handle("POST /runs/crons", s.h(s.handleCronCreate))
	mux.Handle("POST /threads/{thread_id}/runs/crons", s.h(s.handleCronCreate))
	mux.Handle("POST /runs/crons/search", s.h(search))
	mux.Handle("POST /runs/crons/count", s.h(count))
	mux.Handle("GET /runs/crons/{cron_id}", s.h(s.handleCronGet))
	mux.Handle("PATCH /runs/crons/{cron_id}", s.h(s.handleCronPatch))
	mux.Handle("DELETE /runs/crons/{cron_id}", s.h(s.handleCronDelete))
}

// forwardingRoutes is the route table in upstream mode: hooklab's own API
// and the crons are served here; every other request goes to the
// developer's server as it came (path, query, headers, body), and its
// answer comes back as it is.
func (s *Server) forwardingRoutes() http.Handler {
	own := http.NewServeMux()
	s.hooklabRoutes(own)
	s.cronRoutes(own)
	return s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !servedHere(r.URL.Path) {
			s.up.ServeHTTP(w, r)
			return
		}
		if uncleanPath(r.URL.Path) {
			writeError(w, errorf(http.StatusNotFound, "no route %s %s: the path has an empty or dot segment; write it as the API reference does", r.Method, r.URL.Path))
			return
		}
		own.ServeHTTP(w, r)
	}))
}

// servedHere reports the paths hooklab serves itself in upstream mode.
func servedHere(p string) bool {
	if strings.HasPrefix(p, "/hooklab/") || p == "/runs/crons" || strings.HasPrefix(p, "/runs/crons/") {
		return true
	}
	// /threads/{thread_id}/runs/crons
	rest, ok := strings.CutPrefix(p, "/threads/")
	if !ok {
		return false
	}
	_, tail, _ := strings.Cut(rest, "/")
	return tail == "runs/crons"
}
