package server

import (
	"net/http"

	"hooklab/server/engine"
)

// The cron routes: the table decodes its own bodies (a cron body is a run
// body plus the cron's fields).

func (s *Server) handleCronCreate(w http.ResponseWriter, r *http.Request) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	c, err := s.crons.Create(r.Context(), raw, r.PathValue("thread_id"))
	return answer(w, c, err)
}

func (s *Server) handleCronGet(w http.ResponseWriter, r *http.Request) error {
	c, err := s.crons.Get(r.PathValue("cron_id"))
	return answer(w, c, err)
}

func (s *Server) handleCronPatch(w http.ResponseWriter, r *http.Request) error {
	raw, err := readBody(r)
	if err != nil {
		return err
	}
	c, err := s.crons.Patch(r.Context(), r.PathValue("cron_id"), raw)
	return answer(w, c, err)
}

func (s *Server) handleCronDelete(w http.ResponseWriter, r *http.Request) error {
	return noContent(w, s.crons.Delete(r.PathValue("cron_id")))
}

func (s *Server) handleCronFire(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("cron_id")
	if !engine.ValidUUID(id) {
		return engine.Invalid("cron_id", "must be a UUID, got %q", id)
	}
	runID, err := s.crons.Fire(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"cron_id": id, "run_id": runID})
	return nil
}
