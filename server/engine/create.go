package engine

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
)

// RunSpec is a run to create.
type RunSpec struct {
	Request  *RunRequest
	ThreadID string            // "" for a stateless run
	CronID   string            // the cron that fired it, if any
	Headers  map[string]string // the request's x-* headers, lower-cased: copied into config.configurable
	// Stream attaches a reader to the run's stream before the run can
	// start, so a run that ends at once still has its events when the
	// caller begins reading. The caller must Detach it.
	Stream bool
}

// CreateRun validates spec, admits its webhook (Options.Admit) and creates
// the run, which starts at once unless its thread is busy. It returns the
// live run and a snapshot of it as created, taken under the lock (the run
// may already be executing when the caller reads it).
func (e *Engine) CreateRun(ctx context.Context, spec RunSpec) (*Handle, Run, error) {
	b := spec.Request
	modes, err := b.Validate()
	if err != nil {
		return nil, Run{}, err
	}
	if spec.ThreadID != "" && !ValidUUID(spec.ThreadID) {
		return nil, Run{}, Invalid("thread_id", "must be a UUID, got %q", spec.ThreadID)
	}
	webhook := ""
	if b.Webhook != nil && *b.Webhook != "" {
		if e.o.Admit != nil {
			if err := e.o.Admit(ctx, *b.Webhook); err != nil {
				return nil, Run{}, err
			}
		}
		webhook = *b.Webhook
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.assistantLocked(*b.AssistantID)
	if !ok {
		return nil, Run{}, Errorf(ErrNotFound, "Thread or assistant not found. No assistant found for %q: use an assistant id or one of the graphs in langgraph.json (%s)",
			*b.AssistantID, strings.Join(e.o.Graphs, ", "))
	}
	var t *threadState
	if spec.ThreadID == "" {
		// As the platform: a stateless run gets a thread of its own, an
		// ordinary thread while the run exists.
		md := map[string]any{"graph_id": a.GraphID, "assistant_id": a.AssistantID}
		if cm, ok := b.Config["metadata"].(map[string]any); ok {
			maps.Copy(md, cm)
		}
		maps.Copy(md, b.Metadata)
		t = newThread(NewID(), md)
		t.temporary = true
	} else if t = e.threads[spec.ThreadID]; t == nil {
		if b.IfNotExists != "create" {
			return nil, Run{}, Errorf(ErrNotFound, "Thread or assistant not found. Thread with ID %s not found: create it first or pass if_not_exists \"create\"", spec.ThreadID)
		}
		t = newThread(spec.ThreadID, map[string]any{"graph_id": a.GraphID, "assistant_id": a.AssistantID})
	}
	run, err := e.newRunLocked(b, a, modes, t, webhook, spec.Headers)
	if err != nil {
		return nil, Run{}, err
	}
	run.Stateless = spec.ThreadID == ""
	// As the platform: a stateless run's thread is temporary unless kept.
	run.Kwargs.Temporary = run.Stateless && run.OnCompletion == "delete"
	run.CronID = spec.CronID
	if spec.Stream {
		run.stream.Attach()
	}
	_, existed := e.threads[t.ThreadID]
	if !existed {
		e.threads[t.ThreadID] = t
	}
	if err := e.enqueueLocked(t, run); err != nil {
		if !existed {
			delete(e.threads, t.ThreadID)
		}
		return nil, Run{}, err
	}
	return &Handle{e: e, r: run}, run.Run, nil
}

// CheckRun validates a run request against the live objects without
// creating anything: the batch route checks every body before creating
// any run.
func (e *Engine) CheckRun(ctx context.Context, b *RunRequest) error {
	if _, err := b.Validate(); err != nil {
		return err
	}
	if b.Webhook != nil && *b.Webhook != "" && e.o.Admit != nil {
		if err := e.o.Admit(ctx, *b.Webhook); err != nil {
			return err
		}
	}
	_, err := e.Assistant(*b.AssistantID)
	return err
}

// newRunLocked builds the run of b on thread t with assistant a. The
// caller holds e.mu.
//
// As the platform: the run's context is the assistant's context with the
// run's over it (the run's configurable stands for its context when it
// sends none); its configurable is the assistant's, then the thread's,
// then the run's (or the run's context), then the request's x-* headers
// and the run's ids.
func (e *Engine) newRunLocked(b *RunRequest, a *Assistant, modes []string, t *threadState, webhook string, headers map[string]string) (*runState, error) {
	runID := NewID()
	cfg := maps.Clone(a.Config)
	if cfg == nil {
		cfg = map[string]any{}
	}
	maps.Copy(cfg, b.Config)
	runConf, _ := b.Config["configurable"].(map[string]any)
	var runCtx map[string]any
	if len(b.Context) > 0 {
		json.Unmarshal(b.Context, &runCtx)
	}
	if len(runCtx) > 0 {
		runConf = runCtx
	} else {
		runCtx = runConf
	}
	conf := map[string]any{}
	if c, ok := a.Config["configurable"].(map[string]any); ok {
		maps.Copy(conf, c)
	}
	if c, ok := t.Config["configurable"].(map[string]any); ok {
		maps.Copy(conf, c)
	}
	maps.Copy(conf, runConf)
	for k, v := range headers {
		conf[k] = v
	}
	conf["run_id"], conf["thread_id"], conf["graph_id"], conf["assistant_id"] = runID, t.ThreadID, a.GraphID, a.AssistantID
	cfg["configurable"] = conf
	merged := maps.Clone(a.Context)
	if merged == nil {
		merged = map[string]any{}
	}
	maps.Copy(merged, runCtx)
	var wh *string
	if webhook != "" {
		wh = &webhook
	}
	now := Now()
	run := Run{
		RunID: runID, ThreadID: t.ThreadID, AssistantID: a.AssistantID, CreatedAt: now, UpdatedAt: now,
		Metadata: orEmpty(b.Metadata), Status: RunPending, MultitaskStrategy: orDefault(b.MultitaskStrategy, "enqueue"),
		Kwargs: Kwargs{
			Input: b.Input, Command: b.Command, Config: cfg, Context: MustJSON(merged), StreamMode: modes,
			InterruptBefore: b.InterruptBefore, InterruptAfter: b.InterruptAfter, Webhook: wh,
			FeedbackKeys: b.FeedbackKeys, Subgraphs: b.StreamSubgraphs,
			Resumable: b.StreamResumable, Durability: orDefault(b.Durability, "async"),
		},
	}
	opts := runOpts{OnCompletion: orDefault(b.OnCompletion, "delete"), OnDisconnect: orDefault(b.OnDisconnect, "continue"),
		GraphID: a.GraphID, CheckpointID: b.startCheckpoint()}
	if b.AfterSeconds != nil {
		opts.AfterSeconds = *b.AfterSeconds
	}
	if t.Status != ThreadBusy {
		t.Metadata = patchedMetadata(t.Metadata, map[string]any{"graph_id": a.GraphID, "assistant_id": a.AssistantID})
	}
	return newRunState(runRecord{Run: run, runOpts: opts}), nil
}
