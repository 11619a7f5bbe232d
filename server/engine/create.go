package engine

import (
	"context"
	"maps"
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
	var t *threadState
	if spec.ThreadID == "" {
		t = newThread(NewID(), nil)
		t.temporary = true
	} else if t = e.threads[spec.ThreadID]; t == nil || t.temporary {
		if b.IfNotExists != "create" {
			return nil, Run{}, Errorf(ErrNotFound, "thread '%s' not found; create it first or pass if_not_exists \"create\"", spec.ThreadID)
		}
		t = newThread(spec.ThreadID, nil)
	}
	run, err := e.newRunLocked(b, modes, t.ThreadID, webhook, spec.Headers)
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
	if _, ok := e.threads[t.ThreadID]; !ok {
		e.threads[t.ThreadID] = t
	}
	if err := e.enqueueLocked(t, run); err != nil {
		if len(t.queue) == 0 && t.active == nil && t.temporary {
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

// newRunLocked builds the run of b on threadID. The caller holds e.mu.
func (e *Engine) newRunLocked(b *RunRequest, modes []string, threadID, webhook string, headers map[string]string) (*runState, error) {
	a, ok := e.assistantLocked(*b.AssistantID)
	if !ok {
		return nil, NotFound("assistant", *b.AssistantID)
	}
	runID := NewID()
	cfg := maps.Clone(a.Config)
	if cfg == nil {
		cfg = map[string]any{}
	}
	maps.Copy(cfg, b.Config)
	conf := map[string]any{}
	if c, ok := cfg["configurable"].(map[string]any); ok {
		maps.Copy(conf, c)
	}
	for k, v := range headers {
		conf[k] = v
	}
	conf["run_id"], conf["thread_id"], conf["graph_id"], conf["assistant_id"] = runID, threadID, a.GraphID, a.AssistantID
	cfg["configurable"] = conf
	var wh *string
	if webhook != "" {
		wh = &webhook
	}
	t := Now()
	run := Run{
		RunID: runID, ThreadID: threadID, AssistantID: a.AssistantID, CreatedAt: t, UpdatedAt: t,
		Metadata: orEmpty(b.Metadata), Status: RunPending, MultitaskStrategy: orDefault(b.MultitaskStrategy, "enqueue"),
		Kwargs: Kwargs{
			Input: b.Input, Command: b.Command, Config: cfg, Context: b.Context, StreamMode: modes,
			InterruptBefore: b.InterruptBefore, InterruptAfter: b.InterruptAfter, Webhook: wh,
			FeedbackKeys: b.FeedbackKeys, Subgraphs: b.StreamSubgraphs,
			Resumable: b.StreamResumable, Durability: orDefault(b.Durability, "async"),
		},
	}
	opts := runOpts{OnCompletion: orDefault(b.OnCompletion, "delete"), OnDisconnect: orDefault(b.OnDisconnect, "continue"), GraphID: a.GraphID}
	if b.AfterSeconds != nil {
		opts.AfterSeconds = *b.AfterSeconds
	}
	return newRunState(runRecord{Run: run, runOpts: opts}), nil
}
