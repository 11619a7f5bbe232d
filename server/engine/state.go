package engine

import (
	"encoding/json"
	"fmt"
	"slices"
)

// State updates (POST /threads/{id}/state, and the supersteps of POST
// /threads) write a checkpoint of source "update" as the node as_node
// would: its values go through the graph's reducers and next is what that
// node leads to ("__start__" leads to "echo", "echo" to the end). Without
// as_node the update is made as the node that wrote last ("__start__"
// while echo is still to run, "echo" once it ran; "__start__" on a thread
// with no checkpoint). "__input__" writes an input checkpoint, as a run's
// input does. The thread then is interrupted when next is not empty, else
// idle; a thread with a pending or running run refuses updates (409).

// StateUpdate is the body of POST /threads/{id}/state, and one update of
// a superstep.
type StateUpdate struct {
	Values       json.RawMessage `json:"values"`
	Command      json.RawMessage `json:"command"`
	AsNode       *string         `json:"as_node"`
	Checkpoint   map[string]any  `json:"checkpoint"`
	CheckpointID string          `json:"checkpoint_id"`
}

// Superstep is one step of POST /threads's supersteps: updates applied
// together in one checkpoint.
type Superstep struct {
	Updates []StateUpdate `json:"updates"`
}

// CheckpointConfig is the configurable naming a checkpoint, as a state
// update answers it.
type CheckpointConfig struct {
	ThreadID     string `json:"thread_id"`
	CheckpointNS string `json:"checkpoint_ns"`
	CheckpointID string `json:"checkpoint_id"`
}

// UpdateResult is the answer of POST /threads/{id}/state. Configurable and
// CheckpointID repeat Checkpoint (the platform keeps them for old clients).
type UpdateResult struct {
	Checkpoint   CheckpointConfig `json:"checkpoint"`
	Configurable CheckpointConfig `json:"configurable"`
	CheckpointID string           `json:"checkpoint_id"`
}

// update is a decoded StateUpdate.
type update struct {
	values []map[string]any
	asNode string
	gotoN  []string
}

func decodeUpdate(field string, u StateUpdate) (update, error) {
	var out update
	if u.AsNode != nil {
		out.asNode = *u.AsNode
		switch out.asNode {
		case nodeStart, nodeEcho, nodeEnd, nodeInput:
		default:
			return out, Errorf(ErrRejected, "%sas_node: Node %s does not exist; the echo graph's nodes are %q and %q (and %q, %q)",
				field, out.asNode, nodeStart, nodeEcho, nodeInput, nodeEnd)
		}
	}
	if len(u.Command) > 0 && !isNull(u.Command) {
		cmd, err := parseCommand(u.Command)
		if err != nil {
			return out, err
		}
		if cmd.update != nil {
			out.values = append(out.values, cmd.update)
		}
		out.gotoN = cmd.gotoNodes
		return out, nil
	}
	if len(u.Values) == 0 || isNull(u.Values) {
		return out, nil
	}
	if u.Values[0] == '[' {
		var list []map[string]any
		if json.Unmarshal(u.Values, &list) != nil {
			return out, Invalid(field+"values", "expected an object (or a list of objects) of state keys, such as {\"messages\": [...]}")
		}
		out.values = list
		return out, nil
	}
	obj, err := updateObject(field+"values", u.Values)
	if err != nil {
		return out, err
	}
	out.values = []map[string]any{obj}
	return out, nil
}

// lastWriter is the node a thread's state is updated as when the update
// names none.
func lastWriter(head ThreadState) string {
	if head.Checkpoint != nil && len(head.Next) == 0 {
		return nodeEcho
	}
	return nodeStart
}

// graphIDLocked is the thread's graph: its metadata's graph_id, else the
// graph of one of its runs. The caller holds e.mu.
func (e *Engine) graphIDLocked(t *threadState) string {
	if g, ok := t.Metadata["graph_id"].(string); ok && g != "" {
		return g
	}
	for _, r := range e.runs {
		if r.ThreadID == t.ThreadID && r.GraphID != "" {
			return r.GraphID
		}
	}
	return ""
}

func noGraphError(id string) error {
	return Errorf(ErrRejected, "Thread '%s' has no assigned graph ID. This usually occurs when no runs have been made on this particular thread. "+
		"This operation requires a graph ID. Please ensure a run has been made for the thread or manually update the thread metadata "+
		"(by setting the 'graph_id' field) before running this operation.", id)
}

// UpdateThreadState writes values into a thread's state as node as_node
// would, from its latest checkpoint or the one the update names.
func (e *Engine) UpdateThreadState(id string, b StateUpdate) (UpdateResult, error) {
	u, err := decodeUpdate("", b)
	if err != nil {
		return UpdateResult{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t, err := e.threadLocked(id)
	if err != nil {
		return UpdateResult{}, err
	}
	if err := e.checkIdleLocked(t); err != nil {
		return UpdateResult{}, err
	}
	graphID := e.graphIDLocked(t)
	if graphID == "" {
		return UpdateResult{}, noGraphError(t.ThreadID)
	}
	base := t.current()
	if cid := b.CheckpointID; cid != "" || b.Checkpoint["checkpoint_id"] != nil {
		if cid == "" {
			cid, _ = b.Checkpoint["checkpoint_id"].(string)
		}
		base, _, _ = t.find(cid)
	}
	st := applySuperstep(t.ThreadID, graphID, base, []update{u})
	t.put(st)
	e.settleUpdatedLocked(t)
	cc := CheckpointConfig{ThreadID: t.ThreadID, CheckpointID: st.Checkpoint.CheckpointID}
	return UpdateResult{Checkpoint: cc, Configurable: cc, CheckpointID: cc.CheckpointID}, nil
}

// checkIdleLocked refuses a state change while a run is pending or
// running on t. The caller holds e.mu.
func (e *Engine) checkIdleLocked(t *threadState) error {
	var busy []string
	for _, r := range append([]*runState{t.active}, t.queue...) {
		if r != nil {
			busy = append(busy, "run "+r.RunID+" ("+string(r.Status)+")")
		}
	}
	if len(busy) > 0 {
		return Errorf(ErrConflict, "Thread %s has in-flight runs: %v; wait for them to end or cancel them", t.ThreadID, busy)
	}
	return nil
}

// settleUpdatedLocked sets a thread's values, interrupts and status from
// its latest checkpoint after a state change. The caller holds e.mu.
func (e *Engine) settleUpdatedLocked(t *threadState) {
	head := t.current()
	t.Values = head.Values
	t.Interrupts = taskInterrupts(head.Tasks)
	t.Error = nil
	status := ThreadIdle
	if len(head.Next) > 0 {
		status = ThreadInterrupted
	}
	t.Status = status
	t.UpdatedAt = Now()
	e.persistThread(t)
	e.publishThread(t.ThreadID, "state_update", map[string]any{"state": head, "thread_id": t.ThreadID})
}

// taskInterrupts maps the id of each task that has interrupts to them.
func taskInterrupts(tasks []Task) map[string]any {
	out := map[string]any{}
	for _, tk := range tasks {
		if len(tk.Interrupts) > 0 {
			out[tk.ID] = tk.Interrupts
		}
	}
	return out
}

// applySuperstep is the checkpoint that the updates of one superstep make
// after base.
func applySuperstep(threadID, graphID string, base ThreadState, ups []update) ThreadState {
	state := decodeState(base.Values)
	step := -1
	if base.Checkpoint != nil {
		step = stepOf(base) + 1
	} else {
		state = map[string]any{"messages": []any{}}
	}
	source := "update"
	writes := map[string]any{}
	var next []string
	for _, u := range ups {
		node := u.asNode
		if node == "" {
			node = lastWriter(base)
		}
		if node == nodeInput {
			source = "input"
			next = appendNew(next, nodeStart)
			for _, v := range u.values {
				writes[nodeStart] = v
			}
			continue
		}
		for _, v := range u.values {
			state = applyUpdate(state, v)
		}
		var w any
		if len(u.values) == 1 {
			w = u.values[0]
		} else if len(u.values) > 1 {
			w = u.values
		}
		writes[node] = w
		next = appendNew(next, successors([]string{node})...)
		next = appendNew(next, u.gotoN...)
	}
	meta := map[string]any{"source": source, "step": step, "parents": map[string]any{}, "writes": writes,
		"graph_id": graphID, "thread_id": threadID}
	vals, _ := marshal(state)
	st := newCheckpoint(threadID, base.Checkpoint, vals, next, meta)
	if source == "input" {
		if in, ok := writes[nodeStart].(map[string]any); ok {
			st.Tasks[0].Result = in
		}
	}
	return st
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// applySupersteps writes the checkpoints supersteps describe on a new
// thread. The caller holds e.mu.
func (e *Engine) applySupersteps(t *threadState, steps []Superstep) error {
	graphID := e.graphIDLocked(t)
	if graphID == "" {
		return noGraphError(t.ThreadID)
	}
	decoded := make([][]update, len(steps))
	for i, s := range steps {
		for j, u := range s.Updates {
			d, err := decodeUpdate(fmt.Sprintf("supersteps[%d].updates[%d].", i, j), u)
			if err != nil {
				return err
			}
			decoded[i] = append(decoded[i], d)
		}
	}
	for _, ups := range decoded {
		if len(ups) == 0 {
			continue
		}
		t.put(applySuperstep(t.ThreadID, graphID, t.current(), ups))
	}
	e.settleUpdatedLocked(t)
	return nil
}
