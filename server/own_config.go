package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"hooklab/config"
	"hooklab/server/engine"
	"hooklab/server/hub"
)

func (s *Server) handleConfigGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, s.Runtime())
	return nil
}

// configBody carries langgraph.json-shaped webhooks and http keys. With
// dry_run the result is checked and returned, and nothing changes.
type configBody struct {
	Webhooks json.RawMessage `json:"webhooks"`
	HTTP     json.RawMessage `json:"http"`
	Save     bool            `json:"save"`
	DryRun   bool            `json:"dry_run"`
}

// ConfigAnswer is the answer of PUT /hooklab/config: the config in force
// (or, with dry_run, the one that would be) and every way its policy is
// looser than the file's (config.File.Loosenings), which a dashboard
// asks the user to confirm before it saves.
type ConfigAnswer struct {
	*config.Runtime
	Loosenings []config.Loosening `json:"loosenings"`
}

// ConflictAnswer is the 409 answer of a save refused because
// langgraph.json on disk no longer parses or changed since it was loaded.
type ConflictAnswer struct {
	Detail   string                `json:"detail"`
	Conflict *config.ConflictError `json:"conflict"`
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
		var keys map[string]json.RawMessage
		if json.Unmarshal(b.HTTP, &keys) == nil && keys["cors"] != nil {
			return engine.Invalid("http.cors", "is read from langgraph.json only, not set through this API: "+
				"edit http.cors in the file (hooklab applies it live)")
		}
		doc["http"] = b.HTTP
	}
	path := cur.Path
	if path == "" {
		path = "langgraph.json"
	}
	parsed, err := config.Parse(path, engine.MustJSON(doc))
	if err != nil {
		return engine.Invalid("config", "%v", err)
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
	loosenings := next.Loosenings()
	if b.DryRun {
		rt, err := s.ResolveConfig(r.Context(), next)
		if err != nil {
			return engine.Invalid("config", "%v", err)
		}
		writeJSON(w, http.StatusOK, ConfigAnswer{Runtime: rt, Loosenings: loosenings})
		return nil
	}
	if err := s.ApplyConfig(r.Context(), next, b.Save); err != nil {
		var ce *config.ConflictError
		if errors.As(err, &ce) {
			writeDetailed(w, http.StatusConflict, ConflictAnswer{Detail: err.Error(), Conflict: ce}, err.Error())
			return nil
		}
		return engine.Invalid("config", "%v", err)
	}
	writeJSON(w, http.StatusOK, ConfigAnswer{Runtime: s.Runtime(), Loosenings: loosenings})
	return nil
}

func (s *Server) handleConfigReload(w http.ResponseWriter, r *http.Request) error {
	rt, err := s.ReloadConfig(r.Context())
	if err != nil {
		return engine.Invalid("config", "%v", err)
	}
	writeJSON(w, http.StatusOK, rt)
	return nil
}

// writeDetailed answers v with status, telling the request log its detail.
func writeDetailed(w http.ResponseWriter, status int, v any, detail string) {
	if dw, ok := w.(detailWriter); ok {
		dw.setDetail(detail)
	}
	writeJSON(w, status, v)
}

// ResolveConfig checks f and resolves its header templates in this
// hooklab's environment, changing nothing. The secrets of the result are
// masked: a header's Value holds no more than its Masked form.
func (s *Server) ResolveConfig(_ context.Context, f *config.File) (*config.Runtime, error) {
	rt, err := config.Resolve(f.Clone(), s.o.LookupEnv)
	if err != nil {
		return nil, err
	}
	for i, h := range rt.Headers {
		if h.Secret {
			rt.Headers[i].Value = h.Masked
		}
	}
	return rt, nil
}

// ApplyConfig validates f, puts it in force and, when save is set, writes
// it back to langgraph.json. A refused config leaves the running one alone.
// A save that would overwrite a file that no longer parses, or that
// changed on disk since it was loaded, is refused with a
// *config.ConflictError and writes nothing; a file found broken that way
// becomes the config's Problem until it is fixed.
func (s *Server) ApplyConfig(ctx context.Context, f *config.File, save bool) error {
	rt, err := config.Resolve(f, s.o.LookupEnv)
	if err != nil {
		s.emit(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
		return err
	}
	if save {
		if err := f.Save(""); err != nil {
			s.emit(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
			var ce *config.ConflictError
			if errors.As(err, &ce) {
				if ce.Reason == config.ConflictInvalid && ce.Problem != nil {
					s.setProblem(config.NewProblem(ce.Path, ce.Problem, time.Now().UTC()))
				}
				return err
			}
			return fmt.Errorf("config not saved: %w", err)
		}
		// Saving the embedded default makes its values the file's own:
		// resolve again so the decisions say "explicit", not "embedded".
		if rt, err = config.Resolve(f, s.o.LookupEnv); err != nil {
			return err
		}
	} else {
		rt.Problem = s.Runtime().Problem // a live edit does not fix the file on disk
	}
	s.live.Store(rt)
	action := "applied"
	if save {
		action = "saved"
	}
	s.emit(hub.KindConfig, hub.ConfigInfo{Action: action, Path: f.Path})
	return nil
}

// Loosenings names every way f's webhooks config is looser than the
// langgraph.json it was loaded from (config.File.Loosenings): what the
// dashboard asks the user to confirm before a save. It matches the remote
// client's method of the same name.
func (s *Server) Loosenings(_ context.Context, f *config.File) ([]config.Loosening, error) {
	return f.Loosenings(), nil
}

// ReloadConfig reads langgraph.json again and puts it in force, as the
// watcher does when the file changes: the "reload" answer to a refused
// save. A file that does not load is reported (the config's Problem, and
// a reload-failed event) and the running config stays.
func (s *Server) ReloadConfig(_ context.Context) (*config.Runtime, error) {
	f := s.Runtime().File
	if f == nil || f.Embedded || f.Path == "" {
		return nil, fmt.Errorf("no file to reload: this hooklab runs the embedded default config; save it first to write ./langgraph.json")
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		err = &config.Error{File: f.Path, Message: "cannot read: " + err.Error(), Fix: "check that the file exists and is readable"}
		s.reportBroken(f.Path, err)
		return nil, err
	}
	if err := s.reloadConfig(f.Path, data, true); err != nil {
		return nil, err
	}
	return s.Runtime(), nil
}
