package engine

import (
	"sort"
	"strings"

	"hooklab/server/store"
)

// AssistantRequest is the body of POST /assistants, PATCH
// /assistants/{id} and the assistant search and count routes.
type AssistantRequest struct {
	AssistantID *string        `json:"assistant_id"`
	GraphID     *string        `json:"graph_id"`
	Config      map[string]any `json:"config"`
	Context     map[string]any `json:"context"`
	Metadata    map[string]any `json:"metadata"`
	IfExists    string         `json:"if_exists"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
}

// AssistantQuery is the body of the assistant search and count routes.
type AssistantQuery struct {
	Metadata  map[string]any `json:"metadata"`
	GraphID   string         `json:"graph_id"`
	Name      string         `json:"name"`
	Limit     *int           `json:"limit"`
	Offset    int            `json:"offset"`
	SortBy    string         `json:"sort_by"`
	SortOrder string         `json:"sort_order"`
}

// CreateAssistant creates an assistant of a served graph; with if_exists
// do_nothing an existing one is returned instead of a conflict.
func (e *Engine) CreateAssistant(b AssistantRequest) (Assistant, error) {
	if b.GraphID == nil || *b.GraphID == "" {
		return Assistant{}, Invalid("graph_id", "required; use one of the graphs in langgraph.json: %s", strings.Join(e.o.Graphs, ", "))
	}
	if !e.HasGraph(*b.GraphID) {
		return Assistant{}, NotFound("graph", *b.GraphID)
	}
	if err := OneOf("if_exists", b.IfExists, "raise", "do_nothing"); err != nil {
		return Assistant{}, err
	}
	id := NewID()
	if b.AssistantID != nil {
		if !ValidUUID(*b.AssistantID) {
			return Assistant{}, Invalid("assistant_id", "must be a UUID, got %q", *b.AssistantID)
		}
		id = CanonID(*b.AssistantID)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.assistants[id]; ok {
		if b.IfExists == "do_nothing" {
			return *old, nil
		}
		return Assistant{}, Errorf(ErrConflict, "assistant '%s' already exists; pass if_exists \"do_nothing\" to reuse it", id)
	}
	t := Now()
	a := &Assistant{
		AssistantID: id, GraphID: *b.GraphID, Config: orEmpty(b.Config), Context: orEmpty(b.Context),
		CreatedAt: t, UpdatedAt: t, Metadata: orEmpty(b.Metadata), Version: 1, Name: *b.GraphID,
		Description: b.Description,
	}
	if b.Name != nil {
		a.Name = *b.Name
	}
	e.assistants[id] = a
	e.persist(store.Assistants, id, "", a)
	return *a, nil
}

// assistantLocked finds an assistant by id or graph id. The caller holds e.mu.
func (e *Engine) assistantLocked(idOrGraph string) (*Assistant, bool) {
	if a, ok := e.assistants[CanonID(idOrGraph)]; ok {
		return a, true
	}
	if e.HasGraph(idOrGraph) {
		a, ok := e.assistants[SystemAssistantID(idOrGraph)]
		return a, ok
	}
	return nil, false
}

// Assistant returns a snapshot of the assistant with id (or of the system
// assistant of graph id).
func (e *Engine) Assistant(idOrGraph string) (Assistant, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(idOrGraph)
	if !ok {
		return Assistant{}, NotFound("assistant", idOrGraph)
	}
	return *a, nil
}

// SearchAssistants lists the assistants b matches, sorted as b asks; the
// caller pages. Each is a snapshot.
func (e *Engine) SearchAssistants(b AssistantQuery) ([]Assistant, error) {
	if err := OneOf("sort_order", b.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := OneOf("sort_by", b.SortBy, "assistant_id", "graph_id", "name", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	e.mu.Lock()
	var out []Assistant
	for _, a := range e.assistants {
		if (b.GraphID == "" || a.GraphID == b.GraphID) && (b.Name == "" || strings.Contains(a.Name, b.Name)) && subset(b.Metadata, a.Metadata) {
			out = append(out, *a)
		}
	}
	e.mu.Unlock()
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

// PatchAssistant changes the fields b sets and bumps the version.
func (e *Engine) PatchAssistant(id string, b AssistantRequest) (Assistant, error) {
	if b.GraphID != nil && !e.HasGraph(*b.GraphID) {
		return Assistant{}, NotFound("graph", *b.GraphID)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(id)
	if !ok {
		return Assistant{}, NotFound("assistant", id)
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
	a.UpdatedAt = Now()
	e.persist(store.Assistants, a.AssistantID, "", a)
	return *a, nil
}

// DeleteAssistant deletes an assistant.
func (e *Engine) DeleteAssistant(id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(id)
	if !ok {
		return NotFound("assistant", id)
	}
	delete(e.assistants, a.AssistantID)
	e.unpersist(store.Assistants, a.AssistantID)
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
