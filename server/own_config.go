package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

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
	if b.DryRun {
		rt, err := s.ResolveConfig(r.Context(), next)
		if err != nil {
			return engine.Invalid("config", "%v", err)
		}
		writeJSON(w, http.StatusOK, rt)
		return nil
	}
	if err := s.ApplyConfig(r.Context(), next, b.Save); err != nil {
		return engine.Invalid("config", "%v", err)
	}
	writeJSON(w, http.StatusOK, s.Runtime())
	return nil
}

// ResolveConfig checks f and resolves its header templates in this
// hooklab's environment, changing nothing. Secrets in the result are
// shown masked wherever it is encoded.
func (s *Server) ResolveConfig(_ context.Context, f *config.File) (*config.Runtime, error) {
	return config.Resolve(f.Clone(), s.o.LookupEnv)
}

// ApplyConfig validates f, puts it in force and, when save is set, writes
// it back to langgraph.json. A refused config leaves the running one alone.
func (s *Server) ApplyConfig(ctx context.Context, f *config.File, save bool) error {
	rt, err := config.Resolve(f, s.o.LookupEnv)
	if err != nil {
		s.emit(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
		return err
	}
	if save {
		if err := f.Save(""); err != nil {
			s.emit(hub.KindConfig, hub.ConfigInfo{Action: "refused", Path: f.Path, Error: err.Error()})
			return fmt.Errorf("config not saved: %w", err)
		}
		// Saving the embedded default makes its values the file's own:
		// resolve again so the decisions say "explicit", not "embedded".
		if rt, err = config.Resolve(f, s.o.LookupEnv); err != nil {
			return err
		}
	}
	s.live.Store(rt)
	action := "applied"
	if save {
		action = "saved"
	}
	s.emit(hub.KindConfig, hub.ConfigInfo{Action: action, Path: f.Path})
	return nil
}
