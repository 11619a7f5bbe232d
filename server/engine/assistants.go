package engine

import (
	"maps"
	"sort"
	"strings"

	"hooklab/server/store"
)

// Assistants, as the platform keeps them: every create and update makes a
// version (1, then the highest plus one) that can be listed and made the
// latest again; context and config.configurable mirror each other (the
// one given is copied into the other; giving both is refused).

// AssistantRequest is the body of POST /assistants and PATCH
// /assistants/{id}.
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

// assistantRecord is how an assistant is stored: with its versions.
type assistantRecord struct {
	Assistant
	Versions []AssistantVersion `json:"versions,omitempty"`
}

func assistantNotFound(id string) *Error {
	return Errorf(ErrNotFound, "Assistant %s not found", id)
}

func (e *Engine) persistAssistant(a *Assistant) {
	e.persist(store.Assistants, a.AssistantID, "", assistantRecord{Assistant: *a, Versions: e.versions[a.AssistantID]})
}

// versionOf is the version an assistant's current fields make.
func versionOf(a *Assistant) AssistantVersion {
	return AssistantVersion{
		AssistantID: a.AssistantID, Version: a.Version, GraphID: a.GraphID, Config: a.Config, Context: a.Context,
		Metadata: a.Metadata, CreatedAt: a.UpdatedAt, Name: a.Name, Description: a.Description,
	}
}

// mirrorContext applies the platform's rule between context and
// config.configurable, returning the config and context to keep.
func mirrorContext(config, context map[string]any) (map[string]any, map[string]any, error) {
	conf, _ := config["configurable"].(map[string]any)
	switch {
	case len(conf) > 0 && len(context) > 0:
		return nil, nil, checkContext(config, MustJSON(context))
	case len(context) > 0:
		config = maps.Clone(config)
		if config == nil {
			config = map[string]any{}
		}
		config["configurable"] = maps.Clone(context)
	case len(conf) > 0:
		context = maps.Clone(conf)
	}
	return config, context, nil
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
	config, context, err := mirrorContext(b.Config, b.Context)
	if err != nil {
		return Assistant{}, err
	}
	id, err := givenOrNewID("assistant_id", b.AssistantID)
	if err != nil {
		return Assistant{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.assistants[id]; ok {
		if b.IfExists == "do_nothing" {
			return *old, nil
		}
		return Assistant{}, Errorf(ErrConflict, "Assistant %s already exists; pass if_exists \"do_nothing\" to reuse it", id)
	}
	t := Now()
	a := &Assistant{
		AssistantID: id, GraphID: *b.GraphID, Config: orEmpty(config), Context: orEmpty(context),
		CreatedAt: t, UpdatedAt: t, Metadata: orEmpty(b.Metadata), Version: 1, Name: "Untitled",
		Description: b.Description,
	}
	if b.Name != nil {
		a.Name = *b.Name
	}
	e.assistants[id] = a
	e.versions[id] = []AssistantVersion{versionOf(a)}
	e.persistAssistant(a)
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
		return Assistant{}, assistantNotFound(idOrGraph)
	}
	return *a, nil
}

// SearchAssistants lists the assistants b matches (name: a case-insensitive
// substring), sorted as b asks; the caller pages. Each is a snapshot.
func (e *Engine) SearchAssistants(b AssistantQuery) ([]Assistant, error) {
	if err := OneOf("sort_order", b.SortOrder, "asc", "desc"); err != nil {
		return nil, err
	}
	if err := OneOf("sort_by", b.SortBy, "assistant_id", "graph_id", "name", "created_at", "updated_at"); err != nil {
		return nil, err
	}
	name := strings.ToLower(b.Name)
	e.mu.Lock()
	var out []Assistant
	for _, a := range e.assistants {
		if (b.GraphID == "" || a.GraphID == b.GraphID) && strings.Contains(strings.ToLower(a.Name), name) && subset(b.Metadata, a.Metadata) {
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
			less = strings.ToLower(x.GraphID) < strings.ToLower(y.GraphID)
		case "name":
			less = strings.ToLower(x.Name) < strings.ToLower(y.Name)
		case "updated_at":
			less = x.UpdatedAt.Before(y.UpdatedAt.Time)
		default:
			less = x.CreatedAt.Before(y.CreatedAt.Time) || (x.CreatedAt.Equal(y.CreatedAt.Time) && x.AssistantID < y.AssistantID)
		}
		return less == asc
	})
	return out, nil
}

// PatchAssistant changes the fields b sets and makes a new version:
// metadata is merged, config replaced when given non-empty, the others
// replaced when given.
func (e *Engine) PatchAssistant(id string, b AssistantRequest) (Assistant, error) {
	if b.GraphID != nil && !e.HasGraph(*b.GraphID) {
		return Assistant{}, NotFound("graph", *b.GraphID)
	}
	config, context, err := mirrorContext(b.Config, b.Context)
	if err != nil {
		return Assistant{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(id)
	if !ok {
		return Assistant{}, assistantNotFound(id)
	}
	next := *a
	if b.GraphID != nil {
		next.GraphID = *b.GraphID
	}
	if len(config) > 0 {
		next.Config = config
	}
	if context != nil {
		next.Context = context
	}
	next.Metadata = patchedMetadata(a.Metadata, b.Metadata)
	if b.Name != nil {
		next.Name = *b.Name
	}
	if b.Description != nil {
		next.Description = b.Description
	}
	e.newVersionLocked(a, next)
	return *a, nil
}

// VersionQuery is the body of POST /assistants/{id}/versions.
type VersionQuery struct {
	Metadata map[string]any `json:"metadata"`
	Limit    *int           `json:"limit"`
	Offset   int            `json:"offset"`
}

// AssistantVersions lists an assistant's versions, newest first; none to
// list is a 404, as on the platform.
func (e *Engine) AssistantVersions(id string, q VersionQuery) ([]AssistantVersion, error) {
	limit := 10
	if q.Limit != nil {
		limit = *q.Limit
	}
	if limit < 1 || limit > 1000 {
		return nil, Invalid("limit", "must be between 1 and 1000, got %d", limit)
	}
	if q.Offset < 0 {
		return nil, Invalid("offset", "must not be negative, got %d", q.Offset)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(id)
	if !ok {
		return nil, assistantNotFound(id)
	}
	var out []AssistantVersion
	for _, v := range e.versions[a.AssistantID] {
		if subset(q.Metadata, v.Metadata) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	lo := min(q.Offset, len(out))
	out = out[lo:min(lo+limit, len(out))]
	if len(out) == 0 {
		return nil, assistantNotFound(id)
	}
	return out, nil
}

// SetLatestVersion makes version the assistant's current one: its config,
// metadata, name and description come back (context and graph stay).
func (e *Engine) SetLatestVersion(id string, version int) (Assistant, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(id)
	if !ok {
		return Assistant{}, assistantNotFound(id)
	}
	for _, v := range e.versions[a.AssistantID] {
		if v.Version == version {
			next := *a
			next.Config, next.Metadata, next.Version, next.Name, next.Description = v.Config, v.Metadata, v.Version, v.Name, v.Description
			next.UpdatedAt = Now()
			*a = next
			e.persistAssistant(a)
			return *a, nil
		}
	}
	return Assistant{}, Errorf(ErrNotFound, "Version %d not found for assistant %s", version, a.AssistantID)
}

// DeleteAssistant deletes an assistant and its versions, cancelling its
// runs; with deleteThreads, the threads whose metadata names it as their
// assistant_id go too, with their runs.
func (e *Engine) DeleteAssistant(id string, deleteThreads bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(id)
	if !ok {
		return Errorf(ErrNotFound, "Assistant with ID %s not found", id)
	}
	if deleteThreads {
		for _, t := range e.threads {
			if t.Metadata["assistant_id"] == a.AssistantID {
				e.dropThreadLocked(t)
			}
		}
	}
	e.dropAssistantLocked(a.AssistantID)
	return nil
}

// dropAssistantLocked cancels the assistant's runs still going and
// removes it with its versions. The caller holds e.mu.
func (e *Engine) dropAssistantLocked(id string) {
	for _, r := range e.runs {
		if r.AssistantID == id && !r.ended() {
			e.cancelRunLocked(r, ActionInterrupt)
		}
	}
	delete(e.assistants, id)
	delete(e.versions, id)
	e.unpersist(store.Assistants, id)
}

// newVersionLocked puts next in force as a's newest version. The caller
// holds e.mu.
func (e *Engine) newVersionLocked(a *Assistant, next Assistant) {
	versions := e.versions[a.AssistantID]
	next.Version = 1
	for _, v := range versions {
		next.Version = max(next.Version, v.Version+1)
	}
	next.UpdatedAt = Now()
	*a = next
	e.versions[a.AssistantID] = append(versions[:len(versions):len(versions)], versionOf(a))
	e.persistAssistant(a)
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
