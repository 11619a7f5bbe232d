package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"hooklab/config"

	"hooklab/server/hub"
)

// createMode is what a run-creating route answers with.
type createMode int

const (
	modeBackground createMode = iota
	modeStream
	modeWait
)

// runBody is the body of every run-creating route.
type runBody struct {
	AssistantID       *string         `json:"assistant_id"`
	Input             json.RawMessage `json:"input"`
	Command           json.RawMessage `json:"command"`
	Metadata          map[string]any  `json:"metadata"`
	Config            map[string]any  `json:"config"`
	Context           json.RawMessage `json:"context"`
	Webhook           *string         `json:"webhook"`
	InterruptBefore   json.RawMessage `json:"interrupt_before"`
	InterruptAfter    json.RawMessage `json:"interrupt_after"`
	StreamMode        json.RawMessage `json:"stream_mode"`
	StreamSubgraphs   bool            `json:"stream_subgraphs"`
	StreamResumable   bool            `json:"stream_resumable"`
	FeedbackKeys      json.RawMessage `json:"feedback_keys"`
	MultitaskStrategy string          `json:"multitask_strategy"`
	IfNotExists       string          `json:"if_not_exists"`
	OnCompletion      string          `json:"on_completion"`
	OnDisconnect      string          `json:"on_disconnect"`
	AfterSeconds      *float64        `json:"after_seconds"`
	Durability        string          `json:"durability"`
}

// streamModes are the stream modes a run accepts.
func streamModes() []string {
	return []string{"values", "messages", "messages-tuple", "updates", "events", "debug", "custom", "tasks", "checkpoints"}
}

// validate checks every field and returns the normalised stream modes.
func (b *runBody) validate() ([]string, error) {
	if b.AssistantID == nil || *b.AssistantID == "" {
		return nil, invalid("assistant_id", "required; pass an assistant id or a graph id from langgraph.json")
	}
	for _, e := range []struct {
		field, v string
		allowed  []string
	}{
		{"multitask_strategy", b.MultitaskStrategy, []string{"reject", "rollback", "interrupt", "enqueue"}},
		{"if_not_exists", b.IfNotExists, []string{"create", "reject"}},
		{"on_completion", b.OnCompletion, []string{"delete", "keep"}},
		{"on_disconnect", b.OnDisconnect, []string{"cancel", "continue"}},
		{"durability", b.Durability, []string{"sync", "async", "exit"}},
	} {
		if err := oneOf(e.field, e.v, e.allowed...); err != nil {
			return nil, err
		}
	}
	if b.AfterSeconds != nil && (*b.AfterSeconds < 0 || *b.AfterSeconds > 86400*365) {
		return nil, invalid("after_seconds", "must be between 0 and 31536000, got %v", *b.AfterSeconds)
	}
	if err := nodeList("interrupt_before", b.InterruptBefore); err != nil {
		return nil, err
	}
	if err := nodeList("interrupt_after", b.InterruptAfter); err != nil {
		return nil, err
	}
	if cfg, ok := b.Config["configurable"]; ok && cfg != nil {
		if _, isMap := cfg.(map[string]any); !isMap {
			return nil, invalid("config.configurable", "expected an object")
		}
	}
	if len(b.Context) > 0 && !bytes.Equal(b.Context, []byte("null")) && b.Context[0] != '{' {
		return nil, invalid("context", "expected an object")
	}
	if len(b.Command) > 0 && !bytes.Equal(b.Command, []byte("null")) && b.Command[0] != '{' {
		return nil, invalid("command", "expected an object such as {\"resume\": ...}")
	}
	if len(b.FeedbackKeys) > 0 && !bytes.Equal(b.FeedbackKeys, []byte("null")) {
		var keys []string
		if json.Unmarshal(b.FeedbackKeys, &keys) != nil {
			return nil, invalid("feedback_keys", "expected a list of strings")
		}
	}
	modes := []string{"values"}
	if len(b.StreamMode) > 0 && !bytes.Equal(b.StreamMode, []byte("null")) {
		var one string
		var many []string
		if json.Unmarshal(b.StreamMode, &one) == nil {
			modes = []string{one}
		} else if json.Unmarshal(b.StreamMode, &many) == nil {
			modes = many
		} else {
			return nil, invalid("stream_mode", "expected a string or a list of strings")
		}
		for i, m := range modes {
			if err := oneOf(fmt.Sprintf("stream_mode[%d]", i), m, streamModes()...); err != nil || m == "" {
				return nil, invalid("stream_mode", "unknown mode %q; use %s", m, strings.Join(streamModes(), ", "))
			}
		}
	}
	return modes, nil
}

func nodeList(field string, raw json.RawMessage) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var star string
	if json.Unmarshal(raw, &star) == nil {
		if star == "*" {
			return nil
		}
		return invalid(field, "expected \"*\" or a list of node names, got %q", star)
	}
	var nodes []string
	if json.Unmarshal(raw, &nodes) != nil {
		return invalid(field, "expected \"*\" or a list of node names")
	}
	return nil
}

// newRunLocked validates b against the live objects and builds the run. The
// caller holds s.mu. threadID is "" for a stateless run.
func (s *Server) newRunLocked(r *http.Request, b *runBody, modes []string, threadID string, webhook string) (*runState, error) {
	a, ok := s.assistantLocked(*b.AssistantID)
	if !ok {
		return nil, notFound("assistant", *b.AssistantID)
	}
	runID := newID()
	cfg := map[string]any{}
	for k, v := range a.Config {
		cfg[k] = v
	}
	for k, v := range b.Config {
		cfg[k] = v
	}
	conf := map[string]any{}
	if c, ok := cfg["configurable"].(map[string]any); ok {
		for k, v := range c {
			conf[k] = v
		}
	}
	for name, vals := range r.Header {
		if l := strings.ToLower(name); strings.HasPrefix(l, "x-") && l != "x-api-key" && len(vals) > 0 {
			conf[l] = vals[0]
		}
	}
	conf["run_id"], conf["thread_id"], conf["graph_id"], conf["assistant_id"] = runID, threadID, a.GraphID, a.AssistantID
	cfg["configurable"] = conf
	strategy := b.MultitaskStrategy
	if strategy == "" {
		strategy = "enqueue"
	}
	var wh *string
	if webhook != "" {
		wh = &webhook
	}
	t := now()
	run := Run{
		RunID: runID, ThreadID: threadID, AssistantID: a.AssistantID, CreatedAt: t, UpdatedAt: t,
		Metadata: orEmpty(b.Metadata), Status: "pending", MultitaskStrategy: strategy,
		Kwargs: Kwargs{
			Input: b.Input, Command: b.Command, Config: cfg, Context: b.Context, StreamMode: modes,
			InterruptBefore: b.InterruptBefore, InterruptAfter: b.InterruptAfter, Webhook: wh,
			FeedbackKeys: b.FeedbackKeys, Subgraphs: b.StreamSubgraphs,
			Resumable: b.StreamResumable, Durability: orDefault(b.Durability, "async"),
		},
	}
	onCompletion := b.OnCompletion
	if onCompletion == "" {
		onCompletion = "delete"
	}
	opts := runOpts{OnCompletion: onCompletion, OnDisconnect: orDefault(b.OnDisconnect, "continue"), GraphID: a.GraphID}
	if b.AfterSeconds != nil {
		opts.AfterSeconds = *b.AfterSeconds
	}
	return newRunState(runRecord{Run: run, runOpts: opts}), nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// checkWebhook applies the URL policy at creation (SPEC A4): a refusal is a
// 422 before any run or stream exists.
func (s *Server) checkWebhook(r *http.Request, raw *string) (string, error) {
	if raw == nil || *raw == "" {
		return "", nil
	}
	d := s.Runtime().Policy.Check(r.Context(), *raw, s.o.Resolver)
	s.emit(hub.KindDecision, hub.DecisionInfo{Stage: "create", Decision: d})
	if !d.Allowed {
		// The platform's message first; loopback refusals, relative or
		// absolute, add hooklab's hint (SPEC A4): the usual way to lose a
		// local receiver is a langgraph.json without webhooks.url. Every
		// hint is in the decision event.
		detail := d.Message
		loopback := d.Rule == config.RuleLoopback ||
			d.Rule == config.RuleAddress && strings.Contains(d.Hint, "disable_loopback")
		if loopback && d.Hint != "" {
			detail += ". Hint: " + d.Hint
		}
		return "", invalid("webhook", "%s", detail).plain()
	}
	return *raw, nil
}

// plain drops the field prefix: policy refusals carry the platform's exact message.
func (e *apiError) plain() *apiError {
	e.Detail = strings.TrimPrefix(e.Detail, "webhook: ")
	return e
}

// createRun validates b and creates the run on threadID ("" = stateless). It
// returns the live run and a snapshot of it as created, taken under the lock
// (the run may already be executing when the caller reads it).
//
// With stream set, a reader is attached to the run's stream before it can
// start, so a run that ends at once still has its events when the handler
// begins writing (the caller must detach).
func (s *Server) createRun(r *http.Request, b *runBody, threadID, cronID string, stream bool) (*runState, Run, error) {
	modes, err := b.validate()
	if err != nil {
		return nil, Run{}, err
	}
	if threadID != "" && !validUUID(threadID) {
		return nil, Run{}, invalid("thread_id", "must be a UUID, got %q", threadID)
	}
	webhook, err := s.checkWebhook(r, b.Webhook)
	if err != nil {
		return nil, Run{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t *threadState
	if threadID == "" {
		t = newThread(newID(), nil)
		t.temporary = true
	} else if t = s.threads[threadID]; t == nil || t.temporary {
		if b.IfNotExists != "create" {
			return nil, Run{}, errorf(http.StatusNotFound, "thread '%s' not found; create it first or pass if_not_exists \"create\"", threadID)
		}
		t = newThread(threadID, nil)
	}
	run, err := s.newRunLocked(r, b, modes, t.ThreadID, webhook)
	if err != nil {
		return nil, Run{}, err
	}
	run.Stateless = threadID == ""
	// As the platform: a stateless run's thread is temporary unless kept.
	run.Kwargs.Temporary = run.Stateless && run.OnCompletion == "delete"
	run.CronID = cronID
	if stream {
		run.stream.attach()
	}
	if _, ok := s.threads[t.ThreadID]; !ok {
		s.threads[t.ThreadID] = t
	}
	if err := s.enqueueLocked(t, run); err != nil {
		if len(t.queue) == 0 && t.active == nil && t.temporary {
			delete(s.threads, t.ThreadID)
		}
		return nil, Run{}, err
	}
	return run, run.Run, nil
}

func (s *Server) handleRunCreate(mode createMode) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var b runBody
		if err := decodeJSON(r, &b, false); err != nil {
			return err
		}
		threadID := r.PathValue("thread_id")
		if threadID == "" && r.URL.Path != "/runs" && !strings.HasPrefix(r.URL.Path, "/runs/") {
			return invalid("thread_id", "required")
		}
		run, created, err := s.createRun(r, &b, threadID, "", mode == modeStream)
		if err != nil {
			return err
		}
		noteRun(w, run.RunID)
		base := runPath(run)
		w.Header().Set("Content-Location", base)
		switch mode {
		case modeStream:
			w.Header().Set("Location", base+"/stream")
			sseHeaders(w)
			writeSSE(w, r, run.stream, 0, run.Kwargs.Resumable, nil, s.o.Heartbeat, s.onGone(run))
			run.stream.detach() // attached by createRun
		case modeWait:
			w.Header().Set("Location", base+"/join")
			s.writeWait(w, r, run)
		default:
			writeJSON(w, http.StatusOK, created)
		}
		return nil
	}
}

// runPath is the run's canonical location.
func runPath(r *runState) string {
	if r.Stateless {
		return "/runs/" + r.RunID
	}
	return "/threads/" + r.ThreadID + "/runs/" + r.RunID
}

// onGone is what happens when a streaming client disconnects.
func (s *Server) onGone(run *runState) func() {
	return func() {
		if run.OnDisconnect == "cancel" {
			s.mu.Lock()
			if !run.ended() {
				run.requestCancel("interrupt")
			}
			s.mu.Unlock()
		}
	}
}

// writeWait waits for run to end, writing a newline every heartbeat so
// proxies keep the connection, then writes the result.
func (s *Server) writeWait(w http.ResponseWriter, r *http.Request, run *runState) {
	w.Header().Set("Content-Type", "application/json")
	fl, _ := w.(http.Flusher)
	tick := time.NewTicker(s.o.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-run.done:
			s.mu.Lock()
			body := run.waitBody
			s.mu.Unlock()
			if body == nil {
				body = json.RawMessage("null")
			}
			w.Write(body)
			return
		case <-tick.C:
			w.Write([]byte("\n"))
			if fl != nil {
				fl.Flush()
			}
		case <-r.Context().Done():
			s.onGone(run)()
			return
		case <-s.ctx.Done():
			// Shutting down: the run stays pending in the store and runs
			// again on the next start. Abort the connection rather than end
			// a 200 whose body is not JSON.
			panic(http.ErrAbortHandler)
		}
	}
}

func (s *Server) handleRunBatch(w http.ResponseWriter, r *http.Request) error {
	var bodies []runBody
	if err := decodeJSON(r, &bodies, false); err != nil {
		return err
	}
	if len(bodies) == 0 {
		return invalid("request body", "send a non-empty array of run bodies")
	}
	// Every body is checked (schema, webhook policy, assistant) before any
	// run exists: a 4xx means nothing happened.
	for i := range bodies {
		err := func() error {
			if _, err := bodies[i].validate(); err != nil {
				return err
			}
			if _, err := s.checkWebhook(r, bodies[i].Webhook); err != nil {
				return err
			}
			s.mu.Lock()
			_, ok := s.assistantLocked(*bodies[i].AssistantID)
			s.mu.Unlock()
			if !ok {
				return notFound("assistant", *bodies[i].AssistantID)
			}
			return nil
		}()
		if ae, ok := err.(*apiError); ok {
			return &apiError{Status: ae.Status, Detail: fmt.Sprintf("[%d]: %s (no run was created)", i, ae.Detail)}
		} else if err != nil {
			return err
		}
	}
	out := make([]Run, 0, len(bodies))
	for i := range bodies {
		_, created, err := s.createRun(r, &bodies[i], "", "", false)
		if err != nil {
			if ae, ok := err.(*apiError); ok {
				return &apiError{Status: ae.Status, Detail: fmt.Sprintf("[%d]: %s (runs before it were created)", i, ae.Detail)}
			}
			return err
		}
		out = append(out, created)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func sortRuns(runs []*runState) {
	sort.Slice(runs, func(i, j int) bool {
		a, b := runs[i], runs[j]
		return a.CreatedAt.Before(b.CreatedAt.Time) || (a.CreatedAt.Equal(b.CreatedAt.Time) && a.RunID < b.RunID)
	})
}
