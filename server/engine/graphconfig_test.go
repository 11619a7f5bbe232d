package engine

import "testing"

// TestGraphConfigReachesAnExistingSystemAssistant: a system assistant
// the store already holds takes LANGGRAPH_CONFIG at the next start, as a
// new version; the same config again changes nothing.
func TestGraphConfigReachesAnExistingSystemAssistant(t *testing.T) {
	e := newTestEngine(t)
	gc, err := ParseGraphConfig(`{"agent": {"configurable": {"model": "x"}, "context": {"user": "u"}}}`)
	if err != nil {
		t.Fatal(err)
	}
	e.o.GraphConfig = gc
	for range 2 {
		e.ensureSystemAssistants() // as a start on a store holding it does
	}
	a, err := e.Assistant("agent")
	if err != nil {
		t.Fatal(err)
	}
	if a.Config["configurable"].(map[string]any)["model"] != "x" || a.Context["user"] != "u" || a.Version != 2 {
		t.Fatalf("system assistant: config %v, context %v, version %d", a.Config, a.Context, a.Version)
	}
}
