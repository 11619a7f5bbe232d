package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBody bounds what hooklab reads into memory of a request or of a
// relayed JSON answer it has to patch.
const maxBody = 64 << 20

type exKind int

const (
	exCreate exKind = iota
	exBatch
	exCancel
	exReadRuns
	exJoinStream
	exInfo
)

// runReq is what hooklab took out of one run-creating body.
type runReq struct {
	webhook      string // "" : the client asked for none
	stateless    bool
	forcedKeep   bool // on_completion keep was forced: hooklab deletes the thread
	onDisconnect string
	strategy     string
}

// exchange is one intercepted request and what its answer must trigger.
type exchange struct {
	u        *Upstream
	kind     exKind
	mode     mode
	threadID string   // from the path
	runIDs   []string // cancels, join streams
	reqs     []runReq // one per run the request creates
	header   http.Header
	at       time.Time
	client   context.Context

	mu       sync.Mutex
	withdraw []func() // cancel intents to take back if the upstream refuses
}

// failed takes back the cancel intents recorded for a request the upstream
// did not carry out.
func (x *exchange) failed() {
	x.mu.Lock()
	ws := x.withdraw
	x.withdraw = nil
	x.mu.Unlock()
	for _, f := range ws {
		f()
	}
}

// credentials are the request headers hooklab reuses for its own calls
// about the run (kept in memory only).
func credentials(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"Authorization", "X-Api-Key", "Cookie"} {
		if v, ok := h[k]; ok {
			out[k] = v
		}
	}
	return out
}

// readBody reads the request body, answering the client itself on failure.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe) || len(b) > maxBody:
		writeDetail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body: over the %d byte limit; send less", min(int64(maxBody), mbeLimit(mbe))))
		return nil, false
	case err != nil:
		writeDetail(w, http.StatusBadRequest, "request body: "+err.Error())
		return nil, false
	}
	return b, true
}

func mbeLimit(e *http.MaxBytesError) int64 {
	if e == nil {
		return maxBody
	}
	return e.Limit
}

// setBody replaces r's body with b.
func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.TransferEncoding = nil
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// rewrite applies the webhook rules to one run body: the policy check
// first, then the webhook key out and, for a stateless run with a webhook,
// on_completion keep. A body that is not a JSON object, or whose webhook
// is neither a string nor null, goes on unchanged for the upstream to
// judge.
func (u *Upstream) rewrite(r *http.Request, body []byte, stateless bool) ([]byte, runReq, error) {
	q := runReq{stateless: stateless}
	o, err := parseObject(body)
	if err != nil {
		return body, q, nil
	}
	q.strategy = stringValue(o.value("multitask_strategy"))
	q.onDisconnect = stringValue(o.value("on_disconnect"))
	raw := o.value("webhook")
	if raw == nil {
		return body, q, nil
	}
	if !bytes.Equal(raw, []byte("null")) {
		if err := json.Unmarshal(raw, &q.webhook); err != nil {
			return body, runReq{stateless: stateless}, nil
		}
	}
	if q.webhook != "" && u.o.CheckWebhook != nil {
		if err := u.o.CheckWebhook(r, q.webhook); err != nil {
			return nil, q, err
		}
	}
	// The upstream must never see the webhook: hooklab sends it. A null
	// goes too (the JS server refuses it with 400; the platform reads it
	// as none).
	body = o.without("webhook")
	if q.webhook != "" && stateless && stringValue(o.value("on_completion")) != "keep" {
		if o, err = parseObject(body); err == nil {
			body = o.with("on_completion", []byte(`"keep"`))
			q.forcedKeep = true
		}
	}
	return body, q, nil
}

func stringValue(raw json.RawMessage) string {
	var s string
	if raw != nil && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func (u *Upstream) serveCreate(w http.ResponseWriter, r *http.Request, threadID string, m mode) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	body, q, err := u.rewrite(r, body, threadID == "")
	if err != nil {
		writeDetail(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	x := &exchange{kind: exCreate, mode: m, threadID: threadID, reqs: []runReq{q}, header: credentials(r.Header), at: u.o.Now()}
	if threadID != "" && (q.strategy == "interrupt" || q.strategy == "rollback") {
		// Recorded before forwarding: the upstream may end the runs it
		// cancels before its answer to this request comes back.
		x.withdraw = u.intendThread(threadID, q.strategy)
	}
	setBody(r, body)
	u.forward(w, r, x)
}

func (u *Upstream) serveBatch(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	elems, err := arrayElements(body)
	if err != nil {
		setBody(r, body)
		u.forward(w, r, nil) // not an array: the upstream says what is wrong
		return
	}
	x := &exchange{kind: exBatch, header: credentials(r.Header), at: u.o.Now()}
	repl := make([][]byte, len(elems))
	// Every element is checked before anything is forwarded: a refusal
	// means no run was created.
	for i, e := range elems {
		nb, q, err := u.rewrite(r, body[e[0]:e[1]], true)
		if err != nil {
			writeDetail(w, http.StatusUnprocessableEntity, fmt.Sprintf("[%d]: %s (no run was created)", i, err.Error()))
			return
		}
		if !bytes.Equal(nb, body[e[0]:e[1]]) {
			repl[i] = nb
		}
		x.reqs = append(x.reqs, q)
	}
	setBody(r, replaceElements(body, elems, repl))
	u.forward(w, r, x)
}

func (u *Upstream) serveCancel(w http.ResponseWriter, r *http.Request, threadID, runID string) {
	action := r.URL.Query().Get("action")
	if action == "" {
		action = "interrupt"
	}
	x := &exchange{kind: exCancel, threadID: threadID, runIDs: []string{runID}}
	if wt := u.watchOf(runID); wt != nil && (action == "interrupt" || action == "rollback") {
		x.withdraw = append(x.withdraw, wt.intend(action))
	}
	u.forward(w, r, x)
}

// serveBulkCancel handles POST /runs/cancel: by run ids, or by status.
func (u *Upstream) serveBulkCancel(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var b struct {
		ThreadID string   `json:"thread_id"`
		RunIDs   []string `json:"run_ids"`
		Status   string   `json:"status"`
		Action   string   `json:"action"`
	}
	x := &exchange{kind: exCancel}
	if json.Unmarshal(body, &b) == nil {
		action := b.Action
		if q := r.URL.Query().Get("action"); q != "" {
			action = q
		}
		if action == "" {
			action = "interrupt"
		}
		if action == "interrupt" || action == "rollback" {
			for _, wt := range u.watchesMatching(b.ThreadID, b.RunIDs, b.Status) {
				x.withdraw = append(x.withdraw, wt.intend(action))
			}
		}
	}
	setBody(r, body)
	u.forward(w, r, x)
}

// response is called with the upstream's answer to an intercepted request.
func (x *exchange) response(resp *http.Response) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		x.failed()
		return nil
	}
	switch x.kind {
	case exCreate:
		if x.mode == modeBackground {
			return x.patchJSON(resp, x.startFromRun)
		}
		x.startStreaming(resp)
	case exBatch:
		return x.patchJSON(resp, x.startFromBatch)
	case exReadRuns:
		return x.patchJSON(resp, x.u.restoreRuns)
	case exInfo:
		return x.patchJSON(resp, servesCrons)
	case exJoinStream:
		if wt := x.u.watchOf(x.runIDs[0]); wt != nil {
			resp.Body = newTee(resp, x, wt, modeStream, true)
		}
	}
	return nil
}

// patchJSON reads a small JSON answer, lets edit change it, and relays
// the result.
func (x *exchange) patchJSON(resp *http.Response, edit func([]byte) []byte) error {
	if enc := resp.Header.Get("Content-Encoding"); enc != "" && enc != "identity" {
		return nil // compressed: relayed as it is, nothing restored
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	resp.Body.Close()
	if err != nil {
		return err
	}
	if len(b) <= maxBody {
		b = edit(b)
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	resp.Header.Del("Transfer-Encoding")
	resp.TransferEncoding = nil
	return nil
}

// startFromRun starts observing the run in a background create's answer
// and restores what the client asked for in it.
func (x *exchange) startFromRun(b []byte) []byte {
	q := x.reqs[0]
	if q.webhook == "" {
		return b
	}
	var r runObject
	if json.Unmarshal(b, &r) != nil || r.RunID == "" || r.ThreadID == "" {
		x.u.notice("warn", "upstream answered a run create without run_id/thread_id; its webhook cannot be sent")
		return b
	}
	x.u.observe(watchSpec{runID: r.RunID, threadID: r.ThreadID, req: q, header: x.header, at: x.at, run: &r})
	return x.u.restoreRun(b, r.RunID)
}

func (x *exchange) startFromBatch(b []byte) []byte {
	elems, err := arrayElements(b)
	if err != nil {
		return b
	}
	repl := make([][]byte, len(elems))
	for i, e := range elems {
		if i >= len(x.reqs) {
			break
		}
		sub := &exchange{u: x.u, reqs: x.reqs[i : i+1], header: x.header, at: x.at}
		repl[i] = sub.startFromRun(b[e[0]:e[1]])
	}
	return replaceElements(b, elems, repl)
}

// startStreaming starts observing a wait or stream run, from the
// Content-Location of its answer, and tees the answer's body.
func (x *exchange) startStreaming(resp *http.Response) {
	q := x.reqs[0]
	if q.webhook == "" {
		return
	}
	threadID, runID := parseLocation(resp.Header.Get("Content-Location"))
	if x.threadID != "" {
		threadID = x.threadID
	}
	var wt *watch
	if runID != "" {
		wt = x.u.observe(watchSpec{runID: runID, threadID: threadID, req: q, header: x.header, at: x.at})
	}
	resp.Body = newTee(resp, x, wt, x.mode, q.onDisconnect == "cancel")
}

// parseLocation splits /threads/{tid}/runs/{rid} or /runs/{rid}.
func parseLocation(loc string) (threadID, runID string) {
	p := strings.Split(strings.Trim(loc, "/"), "/")
	switch {
	case len(p) >= 4 && p[0] == "threads" && p[2] == "runs":
		return p[1], p[3]
	case len(p) >= 2 && p[0] == "runs":
		return "", p[1]
	}
	return "", ""
}

type runIdent struct {
	RunID    string `json:"run_id"`
	ThreadID string `json:"thread_id"`
}
