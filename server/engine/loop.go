package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"hooklab/sender"
)

// A run executes the echo graph as LangGraph's loop does. A run with input
// on a thread first writes an input checkpoint (source "input", next
// ["__start__"]); each superstep then runs the nodes of next, applies
// their writes with the graph's reducers and writes a checkpoint (source
// "loop"). A run with no input, or with a command, resumes from the latest
// checkpoint instead. config.recursion_limit (default 25) bounds the
// supersteps: the loop stops with GraphRecursionError once the step count
// passes the run's first step plus the limit plus one, checked before
// every superstep including the last, empty one, so a one-node graph needs
// a limit of 2. A temporary run (stateless, on_completion delete) keeps no
// checkpoint.

// defaultRecursionLimit is the platform's default config.recursion_limit.
const defaultRecursionLimit = 25

// graphResult is what a graph run produced.
type graphResult struct {
	Values     json.RawMessage // the state at the end (nil when cancelled)
	Interrupts []any           // the interrupts it stopped at, for /wait
	Next       []string        // the nodes left to run (interrupted when not empty)
	Tasks      []Task          // the tasks of the last checkpoint
	Err        *sender.RunError
}

// command is a run's command: state writes, nodes to go to, a resume value.
type command struct {
	update    map[string]any
	gotoNodes []string
	resume    any
	hasResume bool
}

func parseCommand(raw json.RawMessage) (*command, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var c struct {
		Update json.RawMessage `json:"update"`
		Goto   json.RawMessage `json:"goto"`
		Resume json.RawMessage `json:"resume"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, Invalid("command", "expected an object such as {\"resume\": ...}")
	}
	cmd := &command{}
	var err error
	if cmd.update, err = updateObject("command.update", c.Update); err != nil {
		return nil, err
	}
	if len(c.Goto) > 0 && !isNull(c.Goto) {
		var items []json.RawMessage
		if c.Goto[0] != '[' {
			items = []json.RawMessage{c.Goto}
		} else if err := json.Unmarshal(c.Goto, &items); err != nil {
			return nil, Invalid("command.goto", "expected a node name, a {\"node\", \"input\"} object or a list of them")
		}
		for _, it := range items {
			var name string
			var send struct {
				Node string `json:"node"`
			}
			if json.Unmarshal(it, &name) != nil {
				if json.Unmarshal(it, &send) != nil || send.Node == "" {
					return nil, Invalid("command.goto", "expected a node name, a {\"node\", \"input\"} object or a list of them")
				}
				name = send.Node
			}
			if name != nodeEcho && name != nodeEnd {
				return nil, Errorf(ErrRejected, "command.goto: the echo graph has no node %q; its nodes are %q and %q", name, nodeEcho, nodeEnd)
			}
			if name == nodeEcho && !slices.Contains(cmd.gotoNodes, name) {
				cmd.gotoNodes = append(cmd.gotoNodes, name)
			}
		}
	}
	if len(c.Resume) > 0 {
		cmd.hasResume = true
		json.Unmarshal(c.Resume, &cmd.resume)
	}
	return cmd, nil
}

// recursionLimit reads config.recursion_limit (validated at creation).
func recursionLimit(cfg map[string]any) int {
	if n, ok := cfg["recursion_limit"].(float64); ok && n >= 1 {
		return int(n)
	}
	return defaultRecursionLimit
}

func recursionError(limit int) *sender.RunError {
	return &sender.RunError{Error: "GraphRecursionError", Message: fmt.Sprintf("Recursion limit of %d reached without hitting a stop condition. "+
		"You can increase the limit by setting the `recursion_limit` config key.\n"+
		"For troubleshooting, visit: https://docs.langchain.com/oss/python/langgraph/errors/GRAPH_RECURSION_LIMIT", limit)}
}

// loop is one run of the echo graph.
type loop struct {
	e      *Engine
	t      *threadState
	r      *runState
	em     emitter
	saving bool        // checkpoints are kept on the thread
	head   ThreadState // the latest checkpoint (Checkpoint nil when none)
	state  map[string]any
	vals   json.RawMessage // state encoded, nil until needed after a change
	step   int
	stop   int
	meta   map[string]any // the run's part of every checkpoint's metadata
	config map[string]any // configurable of the configs in debug payloads
}

// successors is the echo graph's edges: the nodes a superstep's nodes
// trigger.
func successors(ran []string) []string {
	for _, n := range ran {
		if n == nodeStart {
			return []string{nodeEcho}
		}
	}
	return []string{}
}

// runGraph executes r on its thread t from its base checkpoint.
func (e *Engine) runGraph(ctx context.Context, t *threadState, r *runState, em emitter) graphResult {
	l := &loop{e: e, t: t, r: r, em: em, saving: !r.Kwargs.Temporary}
	e.mu.Lock()
	if r.CheckpointID != "" {
		l.head, _, _ = t.find(r.CheckpointID)
	} else if len(t.history) > 0 {
		l.head = t.history[0]
	}
	e.mu.Unlock()
	l.meta, l.config = checkpointContext(r)
	return l.run(ctx)
}

// checkpointContext is what a run adds to its checkpoints' metadata (the
// run's metadata and the plain values of its configurable, as the
// platform copies them) and to the configs of its debug payloads.
func checkpointContext(r *runState) (meta, config map[string]any) {
	meta = map[string]any{}
	config = map[string]any{}
	conf, _ := r.Kwargs.Config["configurable"].(map[string]any)
	for k, v := range conf {
		if strings.HasPrefix(k, "__") || k == "checkpoint_id" || k == "checkpoint_ns" || k == "checkpoint_map" {
			continue
		}
		config[k] = v
		switch v.(type) {
		case string, float64, bool, int:
			meta[k] = v
		}
	}
	maps.Copy(meta, r.Metadata)
	meta["graph_id"], meta["assistant_id"], meta["run_id"], meta["thread_id"] = r.GraphID, r.AssistantID, r.RunID, r.ThreadID
	meta["run_attempt"] = 1
	return meta, config
}

func (l *loop) run(ctx context.Context) graphResult {
	k := l.r.Kwargs
	c := readControls(k)
	cmd, _ := parseCommand(k.Command) // validated at creation
	inputGiven := len(k.Input) > 0 && !isNull(k.Input)
	var input map[string]any
	if inputGiven {
		json.Unmarshal(k.Input, &input)
	}
	limit := recursionLimit(k.Config)
	hasHead := l.head.Checkpoint != nil
	if hasHead {
		l.state, l.vals = decodeState(l.head.Values), l.head.Values
		l.step = stepOf(l.head) + 1
	} else {
		l.state = map[string]any{"messages": []any{}}
		l.step = -1
	}
	l.stop = l.step + limit + 1
	resuming := hasHead && (cmd != nil || !inputGiven)
	var resume any
	hasResume := false
	if cmd != nil {
		l.setState(applyUpdate(l.state, cmd.update))
		resume, hasResume = cmd.resume, cmd.hasResume
	}
	var next []string
	if resuming {
		next = slices.Clone(l.head.Next)
		if cmd != nil {
			for _, n := range cmd.gotoNodes {
				if !slices.Contains(next, n) {
					next = append(next, n)
				}
			}
		}
		l.emitValues()
		if cmd != nil && len(next) == 0 && cmd.update != nil {
			// Writes with nothing left to run: kept as a checkpoint of their own.
			l.checkpoint("loop", []string{}, nil)
			l.step++
		} else {
			// The superstep resumed from starts with its checkpoint again.
			l.emitCheckpoint(l.head)
		}
	} else {
		next = []string{nodeStart}
		var writes map[string]any
		if cmd != nil && !inputGiven {
			next = slices.Clone(cmd.gotoNodes)
		} else {
			writes = map[string]any{nodeStart: input}
		}
		l.checkpoint("input", next, writes)
		l.setTaskResult(nodeStart, input)
		l.step++
	}
	first := true
	for {
		if l.step > l.stop {
			return l.fail(recursionError(limit))
		}
		if len(next) == 0 {
			break
		}
		if !(first && resuming) && nodesHit(k.InterruptBefore, next) {
			l.emitInterrupt(nil)
			return l.result(nil)
		}
		first = false
		writes := map[string]any{}
		var visible map[string]any
		for _, node := range next {
			switch node {
			case nodeStart:
				writes[node] = input
			case nodeEcho:
				task := l.task(nodeEcho)
				l.emitTaskStart(task)
				res := l.runEcho(ctx, c, l.state, resume, hasResume)
				switch {
				case res.cancelled:
					return graphResult{}
				case res.err != nil:
					l.recordTask(nodeEcho, func(t *Task) { t.Error = res.err })
					l.emitTaskEnd(task, res.err, nil, []any{})
					return l.fail(res.err)
				case res.interrupt != nil:
					l.recordTask(nodeEcho, func(t *Task) { t.Interrupts = res.interrupt })
					l.emitInterrupt(res.interrupt)
					l.emitTaskEnd(task, nil, nil, res.interrupt)
					return l.result(res.interrupt)
				}
				writes[node] = res.update
				if visible == nil {
					visible = map[string]any{}
				}
				visible[node] = res.update
				l.recordTask(nodeEcho, func(t *Task) { t.Result = res.update })
				l.em.send("updates", "updates", map[string]any{nodeEcho: res.update})
				l.emitTaskEnd(task, nil, res.update, []any{})
			}
		}
		var produced []any
		for _, node := range next {
			if upd, ok := writes[node].(map[string]any); ok {
				l.setState(applyUpdate(l.state, upd))
				if node != nodeStart {
					produced = append(produced, asList(upd["messages"])...)
				}
			}
		}
		l.emitValues()
		if len(produced) > 0 {
			// The messages mode completes a node's messages once the state
			// holds them, so a stream with it ends with messages/complete.
			l.em.send("messages", "messages/complete", produced)
		}
		ran := next
		next = successors(ran)
		var metaWrites map[string]any
		if visible != nil {
			metaWrites = visible
		}
		l.checkpoint("loop", next, metaWrites)
		l.step++
		if nodesHit(k.InterruptAfter, ran) {
			l.emitInterrupt(nil)
			return l.result(nil)
		}
		resume, hasResume = nil, false
	}
	return l.result(nil)
}

func (l *loop) setState(state map[string]any) { l.state, l.vals = state, nil }

// values is the state encoded once per change: the values event, the
// checkpoint and the result share it.
func (l *loop) values() json.RawMessage {
	if l.vals == nil {
		l.vals = MustJSON(l.state)
	}
	return l.vals
}

// nodesHit reports whether an interrupt_before/after list ("*" or node
// names) names one of nodes.
func nodesHit(raw json.RawMessage, nodes []string) bool {
	var star string
	if json.Unmarshal(raw, &star) == nil && star == "*" {
		return slices.ContainsFunc(nodes, func(n string) bool { return n != nodeStart })
	}
	var names []string
	if json.Unmarshal(raw, &names) != nil {
		return false
	}
	for _, n := range nodes {
		if n != nodeStart && slices.Contains(names, n) {
			return true
		}
	}
	return false
}

// result is the run's outcome once it stopped without an error.
func (l *loop) result(interrupts []any) graphResult {
	vals := l.values()
	next := l.head.Next
	if next == nil {
		next = []string{}
	}
	return graphResult{Values: vals, Interrupts: interrupts, Next: next, Tasks: l.head.Tasks}
}

// fail ends the run with err: the stream's last event is an error event.
func (l *loop) fail(err *sender.RunError) graphResult {
	l.em.send("", "error", err)
	res := l.result(nil)
	res.Err = err
	return res
}

// checkpoint writes a checkpoint of the current state after the current
// one, planning next; writes is the metadata's record of the superstep's
// visible writes (null for none).
func (l *loop) checkpoint(source string, next []string, writes map[string]any) {
	meta := maps.Clone(l.meta)
	meta["source"], meta["step"], meta["parents"] = source, l.step, map[string]any{}
	if writes != nil {
		meta["writes"] = writes
	} else {
		meta["writes"] = nil
	}
	vals := l.values()
	st := newCheckpoint(l.r.ThreadID, l.head.Checkpoint, vals, next, meta)
	l.head = st
	if l.saving {
		l.e.mu.Lock()
		l.t.put(st)
		if l.e.threads[l.t.ThreadID] == l.t {
			l.e.persistThread(l.t)
		}
		l.e.mu.Unlock()
	}
	l.emitCheckpoint(st)
}

// task is the head checkpoint's task for node.
func (l *loop) task(node string) Task {
	for _, t := range l.head.Tasks {
		if t.Name == node {
			return t
		}
	}
	return Task{ID: taskID(l.head.Checkpoint.CheckpointID, node), Name: node}
}

// recordTask changes the head checkpoint's task for node (its result,
// error or interrupts), in memory and on the thread.
func (l *loop) recordTask(node string, fn func(*Task)) {
	tasks := slices.Clone(l.head.Tasks)
	for i := range tasks {
		if tasks[i].Name == node {
			fn(&tasks[i])
		}
	}
	l.head.Tasks = tasks
	if n := countInterrupts(tasks); n != nil {
		l.head.Interrupts = n
	}
	if l.saving {
		// Stored with the next checkpoint, or when the run ends.
		l.e.mu.Lock()
		l.t.setHead(l.head)
		l.e.mu.Unlock()
	}
}

func (l *loop) setTaskResult(node string, v map[string]any) {
	if v == nil {
		return
	}
	l.recordTask(node, func(t *Task) { t.Result = v })
}

// countInterrupts lists the interrupts of tasks, or nil when none has any.
func countInterrupts(tasks []Task) []any {
	var out []any
	for _, t := range tasks {
		out = append(out, t.Interrupts...)
	}
	return out
}
