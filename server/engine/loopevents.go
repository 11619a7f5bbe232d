package engine

import (
	"encoding/json"
	"maps"

	"hooklab/sender"
)

// The events of the debug, checkpoints and tasks stream modes, in the
// platform's shapes: a debug event wraps a checkpoint, a task start or a
// task result as {"step", "timestamp", "type", "payload"}; a checkpoint
// payload is {"config", "parent_config", "values", "metadata", "next",
// "tasks"} (debug adds "checkpoint" and "parent_checkpoint"); a task start
// is {"id", "name", "input", "triggers"} with triggers ["branch:to:NODE"];
// a task result is {"id", "name", "error", "result", "interrupts"} with
// result the task's writes folded by channel ({"messages": [...]}), as
// current langgraph (Python and JS) sends it; older Python releases sent a
// list of [channel, value] pairs. The __start__ task is hidden
// from every mode, as the platform hides it.

// emitter sends stream events for the modes a run asked for.
type emitter struct {
	e     *Engine
	r     *runState
	modes map[string]bool
	runID string
}

func (em emitter) send(mode, event string, v any) {
	if mode != "" && !em.modes[mode] {
		return
	}
	em.e.runEvent(em.r, event, MustJSON(v))
}

// runEvent adds an event to a run's stream and to its thread's join
// streams, under one id.
func (e *Engine) runEvent(r *runState, name string, data []byte) {
	e.feeds.mu.Lock()
	defer e.feeds.mu.Unlock()
	id := e.feeds.nextIDLocked()
	r.stream.add(name, data, id)
	e.feeds.publishLocked(r.ThreadID, FeedEvent{ID: id, Name: name, Data: data})
}

type debugEvent struct {
	Step      int    `json:"step"`
	Timestamp Time   `json:"timestamp"`
	Type      string `json:"type"`
	Payload   any    `json:"payload"`
}

type checkpointPayload struct {
	Config       map[string]any  `json:"config"`
	ParentConfig map[string]any  `json:"parent_config"`
	Values       json.RawMessage `json:"values"`
	Metadata     map[string]any  `json:"metadata"`
	Next         []string        `json:"next"`
	Tasks        []debugTask     `json:"tasks"`
}

type debugCheckpointPayload struct {
	checkpointPayload
	Checkpoint       *Checkpoint `json:"checkpoint"`
	ParentCheckpoint *Checkpoint `json:"parent_checkpoint"`
}

type debugTask struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Interrupts []any  `json:"interrupts"`
	State      any    `json:"state"`
}

type taskStart struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Input    any      `json:"input"`
	Triggers []string `json:"triggers"`
}

type taskEnd struct {
	ID         string         `json:"id"`
	Name       string         `json:"name"`
	Error      any            `json:"error"`
	Result     map[string]any `json:"result"`
	Interrupts []any          `json:"interrupts"`
}

func (l *loop) emitValues() {
	if l.em.modes["values"] {
		l.em.e.runEvent(l.em.r, "values", l.values())
	}
}

// emitInterrupt reports a stop at an interrupt: an updates event, and,
// when the run did not ask for updates, a values event as the platform
// sends it (only when there are interrupts to show).
func (l *loop) emitInterrupt(interrupts []any) {
	if interrupts == nil {
		interrupts = []any{}
	}
	ev := map[string]any{"__interrupt__": interrupts}
	l.em.send("updates", "updates", ev)
	if !l.em.modes["updates"] && len(interrupts) > 0 {
		l.em.send("", "values", ev)
	}
}

// debugConfig is the config of a checkpoint in a debug payload.
func (l *loop) debugConfig(cp *Checkpoint) map[string]any {
	if cp == nil {
		return nil
	}
	conf := maps.Clone(l.config)
	conf["checkpoint_ns"], conf["thread_id"], conf["checkpoint_id"] = cp.CheckpointNS, cp.ThreadID, cp.CheckpointID
	return map[string]any{"configurable": conf}
}

func (l *loop) emitCheckpoint(st ThreadState) {
	if !l.em.modes["debug"] && !l.em.modes["checkpoints"] {
		return
	}
	tasks := make([]debugTask, len(st.Tasks))
	for i, t := range st.Tasks {
		tasks[i] = debugTask{ID: t.ID, Name: t.Name, Interrupts: []any{}}
	}
	p := checkpointPayload{
		Config: l.debugConfig(st.Checkpoint), ParentConfig: l.debugConfig(st.ParentCheckpoint),
		Values: st.Values, Metadata: st.Metadata, Next: st.Next, Tasks: tasks,
	}
	l.em.send("checkpoints", "checkpoints", p)
	l.em.send("debug", "debug", debugEvent{Step: stepOf(st), Timestamp: st.CreatedAt, Type: "checkpoint",
		Payload: debugCheckpointPayload{checkpointPayload: p, Checkpoint: st.Checkpoint, ParentCheckpoint: st.ParentCheckpoint}})
}

func (l *loop) emitTaskStart(t Task) {
	p := taskStart{ID: t.ID, Name: t.Name, Input: l.state, Triggers: []string{"branch:to:" + t.Name}}
	l.em.send("tasks", "tasks", p)
	l.em.send("debug", "debug", debugEvent{Step: l.step, Timestamp: Now(), Type: "task", Payload: p})
}

func (l *loop) emitTaskEnd(t Task, err *sender.RunError, update map[string]any, interrupts []any) {
	p := taskEnd{ID: t.ID, Name: t.Name, Result: map[string]any{}, Interrupts: interrupts}
	if err != nil {
		p.Error = err
	}
	maps.Copy(p.Result, update)
	l.em.send("tasks", "tasks", p)
	l.em.send("debug", "debug", debugEvent{Step: l.step, Timestamp: Now(), Type: "task_result", Payload: p})
}
