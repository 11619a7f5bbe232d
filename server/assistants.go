package server

import (
	"net/http"
	"sort"
	"strings"

	"hooklab/server/store"
)

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

type assistantBody struct {
	AssistantID *string        `json:"assistant_id"`
	GraphID     *string        `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	IfExists    string         `json:"if_exists"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
}

func (s *Server) handleAssistantCreate(w http.ResponseWriter, r *http.Request) error {
	var b assistantBody
	if err := decodeJSON(r, &b, false); err != nil {
		return err
	}
	if b.GraphID == nil || *b.GraphID == "" {
		return invalid("graph_id", "required; use one of the graphs in langgraph.json: %s", strings.Join(s.Runtime().File.Graphs, ", "))
	}
	if !s.hasGraph(*b.GraphID) {
		return notFound("graph", *b.GraphID)
	}
	if err := oneOf("if_exists", b.IfExists, "raise", "do_nothing"); err != nil {
		return err
	}
	id := newID()
	if b.AssistantID != nil {
		if !validUUID(*b.AssistantID) {
			return invalid("assistant_id", "must be a UUID, got %q", *b.AssistantID)
		}
		id = canonID(*b.AssistantID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.assistants[id]; ok {
		if b.IfExists == "do_nothing" {
			writeJSON(w, http.StatusOK, old)
			return nil
		}
		return errorf(http.StatusConflict, "assistant '%s' already exists; pass if_exists \"do_nothing\" to reuse it", id)
	}
	t := now()
	a := &Assistant{
		AssistantID: id, GraphID: *b.GraphID, Config: orEmpty(b.Config), Context: orEmpty(b.Context),
		CreatedAt: t, UpdatedAt: t, Metadata: orEmpty(b.Metadata), Version: 1, Name: *b.GraphID,
		Description: b.Description,
	}
	if b.Name != nil {
		a.Name = *b.Name
	}
	s.assistants[id] = a
	s.persist(store.Assistants, id, "", a)
	writeJSON(w, http.StatusOK, a)
	return nil
}

// assistantLocked finds an assistant by id or graph id.
func (s *Server) assistantLocked(idOrGraph string) (*Assistant, bool) {
	if a, ok := s.assistants[canonID(idOrGraph)]; ok {
		return a, true
	}
	if s.hasGraph(idOrGraph) {
		a, ok := s.assistants[systemAssistantID(idOrGraph)]
		return a, ok
	}
	return nil, false
}

type searchBody struct {
	Metadata  map[string]any `json:"metadata"`
	GraphID   string         `json:"graph_id"`
	Name      string         `json:"name"`
	Limit     *int           `json:"limit"`
	Offset    int            `json:"offset"`
	SortBy    string         `json:"sort_by"`
	SortOrder string         `json:"sort_order"`
}

func (b *searchBody) page(n int) (int, int, error) {
	limit := 10
	if b.Limit != nil {
		limit = *b.Limit
	}
	if limit < 0 || limit > 10000 {
		return 0, 0, invalid("limit", "must be between 0 and 10000, got %d", limit)
	}
	if b.Offset < 0 {
		return 0, 0, invalid("offset", "must not be negative, got %d", b.Offset)
	}
	lo := min(b.Offset, n)
	return lo, min(lo+limit, n), nil
}

func (s *Server) matchAssistants(b searchBody) ([]*Assistant, error) {
	if err := oneOf("sort_order", b.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := oneOf("sort_by", b.SortBy, "assistant_id", "graph_id", "name", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	var out []*Assistant
	for _, a := range s.assistants {
		if (b.GraphID == "" || a.GraphID == b.GraphID) && (b.Name == "" || strings.Contains(a.Name, b.Name)) && subset(b.Metadata, a.Metadata) {
			cp := *a // a snapshot: the answer is encoded after the lock is released
			out = append(out, &cp)
		}
	}
	s.mu.Unlock()
	asc := b.SortOrder == "asc"
	sort.Slice(out, func(i, j int) bool {
		x, y := out[i], out[j]
		var less bool
		switch b.SortBy {
		case "assistant_id":
			less = x.AssistantID < y.AssistantID
		case "graph_id":
			less = x.GraphID < y.GraphID
		case "name":
			less = x.Name < y.Name
		case "updated_at":
			less = x.UpdatedAt.Before(y.UpdatedAt.Time)
		default:
			less = x.CreatedAt.Before(y.CreatedAt.Time) || (x.CreatedAt.Equal(y.CreatedAt.Time) && x.AssistantID < y.AssistantID)
		}
		return less == asc
	})
	return out, nil
}

func (s *Server) handleAssistantGet(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("assistant_id")
	s.mu.Lock()
	a, ok := s.assistantLocked(id)
	var snap Assistant
	if ok {
		snap = *a // encoded after the lock is released
	}
	s.mu.Unlock()
	if !ok {
		return notFound("assistant", id)
	}
	writeJSON(w, http.StatusOK, snap)
	return nil
}

func (s *Server) handleAssistantPatch(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("assistant_id")
	var b assistantBody
	if err := decodeJSON(r, &b, true); err != nil {
		return err
	}
	if b.GraphID != nil && !s.hasGraph(*b.GraphID) {
		return notFound("graph", *b.GraphID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assistantLocked(id)
	if !ok {
		return notFound("assistant", id)
	}
	if b.GraphID != nil {
		a.GraphID = *b.GraphID
	}
	if b.Config != nil {
		a.Config = b.Config
	}
	if b.Context != nil {
		a.Context = b.Context
	}
	a.Metadata = patchedMetadata(a.Metadata, b.Metadata)
	if b.Name != nil {
		a.Name = *b.Name
	}
	if b.Description != nil {
		a.Description = b.Description
	}
	a.Version++
	a.UpdatedAt = now()
	s.persist(store.Assistants, a.AssistantID, "", a)
	writeJSON(w, http.StatusOK, a)
	return nil
}

func (s *Server) handleAssistantDelete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("assistant_id")
	s.mu.Lock()
	a, ok := s.assistantLocked(id)
	if ok {
		delete(s.assistants, a.AssistantID)
		s.unpersist(store.Assistants, a.AssistantID)
	}
	s.mu.Unlock()
	if !ok {
		return notFound("assistant", id)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// subset reports whether every key of want is in have with an equal value.
func subset(want, have map[string]any) bool {
	for k, v := range want {
		hv, ok := have[k]
		if !ok || !jsonEqual(v, hv) {
			return false
		}
	}
	return true
}

// searchRoutes builds the search route (paged) and the count route of one
// kind of object from its matcher; paging picks the limit and offset.
func searchRoutes[B, T any](match func(B) ([]T, error), paging func(B) searchBody) (search, count handlerFunc) {
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
		p := paging(b)
		lo, hi, err := p.page(len(out))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, window(out, lo, hi))
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

// window is out[lo:hi], never nil: an empty page is [] in JSON, not null.
func window[T any](out []T, lo, hi int) []T {
	if len(out) == 0 {
		return []T{}
	}
	return out[lo:hi]
}
