package engine

import (
	"strconv"
)

// The echo graph's own description, as the graph, schemas and subgraphs
// routes answer it in the Python platform's shapes: the drawing lists the
// nodes (__start__ and echo as runnables, __end__ bare: the JS server
// draws START and END as "schema" nodes) and the edges between them,
// without the "conditional" key on plain edges; the schemas (JSON Schema
// draft 07, saying so in "$schema" as the JS server does) describe the
// state the echo graph really keeps and the controls it really reads; it
// has no subgraphs (an empty object).

// GraphNode is a node of a graph drawing.
type GraphNode struct {
	ID   string         `json:"id"`
	Type string         `json:"type,omitempty"`
	Data map[string]any `json:"data,omitempty"`
}

// GraphEdge is an edge of a graph drawing.
type GraphEdge struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// GraphDrawing is the answer of GET /assistants/{id}/graph.
type GraphDrawing struct {
	Nodes []GraphNode `json:"nodes"`
	Edges []GraphEdge `json:"edges"`
}

// GraphSchemas is the answer of GET /assistants/{id}/schemas.
type GraphSchemas struct {
	GraphID       string         `json:"graph_id"`
	InputSchema   map[string]any `json:"input_schema"`
	OutputSchema  map[string]any `json:"output_schema"`
	StateSchema   map[string]any `json:"state_schema"`
	ConfigSchema  map[string]any `json:"config_schema"`
	ContextSchema map[string]any `json:"context_schema"`
}

// parseXray reads the xray parameter: true/false, or a positive depth.
func parseXray(v string) error {
	switch v {
	case "", "true", "True", "false", "False":
		return nil
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return nil
	}
	return Invalid("xray", "Invalid xray value %q; use true, false or a positive depth", v)
}

// AssistantGraph is the drawing of an assistant's graph. xray (subgraph
// depth) changes nothing: the echo graph has no subgraphs.
func (e *Engine) AssistantGraph(id, xray string) (GraphDrawing, error) {
	if err := parseXray(xray); err != nil {
		return GraphDrawing{}, err
	}
	if _, err := e.Assistant(id); err != nil {
		return GraphDrawing{}, err
	}
	return GraphDrawing{
		Nodes: []GraphNode{
			{ID: nodeStart, Type: "runnable", Data: map[string]any{"name": nodeStart}},
			{ID: nodeEcho, Type: "runnable", Data: map[string]any{"name": nodeEcho}},
			{ID: nodeEnd},
		},
		Edges: []GraphEdge{{Source: nodeStart, Target: nodeEcho}, {Source: nodeEcho, Target: nodeEnd}},
	}, nil
}

// AssistantSchemas describes an assistant's graph: its state, input,
// output, config and context.
func (e *Engine) AssistantSchemas(id string) (GraphSchemas, error) {
	a, err := e.Assistant(id)
	if err != nil {
		return GraphSchemas{}, err
	}
	return GraphSchemas{
		GraphID: a.GraphID, InputSchema: stateSchema("EchoInput"), OutputSchema: stateSchema("EchoOutput"),
		StateSchema: stateSchema("EchoState"), ConfigSchema: controlsSchema("Configurable"), ContextSchema: controlsSchema("Context"),
	}, nil
}

// AssistantSubgraphs lists an assistant's subgraphs (the echo graph has
// none).
func (e *Engine) AssistantSubgraphs(id string) (map[string]any, error) {
	if _, err := e.Assistant(id); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}

func messageSchema() map[string]any {
	return map[string]any{
		"title": "Message", "type": "object",
		"description": "A LangChain message; a message without an id gets one, a message with the id of one already in the state replaces it",
		"properties": map[string]any{
			"type":    map[string]any{"title": "Type", "type": "string", "enum": []string{"human", "ai", "system", "tool", "remove"}},
			"role":    map[string]any{"title": "Role", "type": "string", "description": "read instead of type when type is missing: user, assistant, system or tool"},
			"content": map[string]any{"title": "Content"},
			"id":      map[string]any{"title": "Id", "type": "string"},
		},
		"required": []string{"content"}, "additionalProperties": true,
	}
}

// draft07 names the JSON Schema version of every schema a route answers.
const draft07 = "http://json-schema.org/draft-07/schema#"

func stateSchema(title string) map[string]any {
	return map[string]any{
		"$schema": draft07, "title": title, "type": "object",
		"description": "The echo graph's state: messages (merged by id), and any other key (replaced on update)",
		"properties": map[string]any{
			"messages": map[string]any{
				"title": "Messages", "type": "array",
				"items": map[string]any{"anyOf": []any{messageSchema(), map[string]any{"type": "string", "description": "the content of a human message"}}},
			},
		},
		"additionalProperties": true,
	}
}

func controlsSchema(title string) map[string]any {
	return map[string]any{
		"$schema": draft07, "title": title, "type": "object",
		"description": "The echo graph's controls, read from config.configurable and from context",
		"properties": map[string]any{
			"sleep_ms":  map[string]any{"title": "Sleep Ms", "type": "number", "description": "sleep this many milliseconds before answering (cancellable)"},
			"fail":      map[string]any{"title": "Fail", "type": []string{"string", "boolean"}, "description": "fail the run with this message (a ValueError)"},
			"interrupt": map[string]any{"title": "Interrupt", "description": "stop at an interrupt with this value; a command's resume value answers it"},
		},
	}
}
