package upstream

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/store"
)

// sdkCase is one line cases.mjs printed.
type sdkCase struct {
	Case          string   `json:"case"`
	Error         string   `json:"error"`
	Runs          []string `json:"runs"`
	Thread        string   `json:"thread"`
	KwargsWebhook string   `json:"kwargs_webhook"`
	GetWebhook    string   `json:"get_webhook"`
	Temporary     any      `json:"temporary"`
	Last          string   `json:"last"`
	Events        []string `json:"events"`
	Thrown        string   `json:"thrown"`
	Interrupted   bool     `json:"interrupted"`
}

// runCases runs cases.mjs against rg and returns its lines by case.
func runCases(t *testing.T, rg *rig, only ...string) map[string]sdkCase {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "cases.mjs")
	cmd.Dir = jsDir(t)
	cmd.Env = append(os.Environ(), "HOOKLAB_URL="+rg.URL, "HOOK_URL="+rg.recv.URL, "CASES="+strings.Join(only, ","))
	out, err := cmd.Output()
	cases := map[string]sdkCase{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var c sdkCase
		if json.Unmarshal(sc.Bytes(), &c) == nil && c.Case != "" {
			cases[c.Case] = c
		}
	}
	for _, c := range cases {
		if c.Error != "" {
			t.Errorf("case %s failed in the SDK: %s", c.Case, c.Error)
		}
	}
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("cases.mjs: %v\n%s\n%s", err, out, stderr)
	}
	return cases
}

// payloadKeys are the top-level keys of a webhook body, in order.
func payloadKeys(t testing.TB, raw []byte) []string {
	t.Helper()
	o, err := parseObject(raw)
	if err != nil {
		t.Fatalf("payload: %v", err)
	}
	var keys []string
	for _, m := range o.members {
		keys = append(keys, m.key)
	}
	return keys
}

var platformKeys = []string{"run_id", "thread_id", "assistant_id", "created_at", "updated_at", "metadata", "status",
	"kwargs", "multitask_strategy", "run_started_at", "run_ended_at", "webhook_sent_at", "values"}

// lastMessage is the content of the last message in a payload's values.
func lastMessage(v any) string {
	m, _ := v.(map[string]any)
	msgs, _ := m["messages"].([]any)
	if len(msgs) == 0 {
		return ""
	}
	last, _ := msgs[len(msgs)-1].(map[string]any)
	s, _ := last["content"].(string)
	return s
}

// TestSDKCases drives every webhook case with the official JS SDK through
// hooklab in front of the real JS dev server, and checks each webhook.
func TestSDKCases(t *testing.T) {
	js := sharedJSServer(t)
	rg := newRig(t, js.URL, nil)
	cases := runCases(t, rg)

	type want struct {
		status  string
		last    string // the last message in values; "-" : values null
		errType string
		errMsg  string
		temp    bool // kwargs.temporary restored to true
		hooks   int  // webhooks expected (attempts); 0: none
	}
	wants := map[string][]want{
		"thread_background":      {{status: "success", last: "review saw: hello bg", hooks: 1}},
		"thread_wait":            {{status: "success", last: "review saw: hello wait", hooks: 1}},
		"thread_stream":          {{status: "success", last: "review saw: hello stream", hooks: 1}},
		"stateless_background":   {{status: "success", last: "-", temp: true, hooks: 1}},
		"stateless_wait":         {{status: "success", last: "-", temp: true, hooks: 1}},
		"stateless_stream":       {{status: "success", last: "-", temp: true, hooks: 1}},
		"batch":                  {{status: "success", last: "-", temp: true, hooks: 1}, {status: "error", last: "FAIL batch one", errType: "TypeError", errMsg: "agent failed on purpose", hooks: 1}},
		"error_wait":             {{status: "error", last: "FAIL wait", errType: "TypeError", errMsg: "agent failed on purpose", hooks: 1}},
		"error_background":       {{status: "error", last: "agent saw: fail in review", errType: "TypeError", errMsg: "review failed on purpose", hooks: 1}},
		"error_stateless_stream": {{status: "error", last: "-", temp: true, errType: "TypeError", errMsg: "agent failed on purpose", hooks: 1}},
		"interrupt":              {{status: "success", last: "agent saw: INTERRUPT please", hooks: 1}},
		"cancel_interrupt":       {{status: "interrupted", last: "cancel me", hooks: 1}},
		"cancel_rollback":        {{status: "rollback", last: "-", hooks: 1}},
		"multitask_interrupt":    {{status: "interrupted", last: "first", hooks: 1}, {status: "success", last: "review saw: second", hooks: 1}},
		"pending_cancel":         {{status: "success", last: "review saw: busy", hooks: 1}, {hooks: 0}},
		"stream_disconnect":      {{status: "interrupted", last: "leave early", hooks: 1}},
		"receiver_500":           {{status: "success", last: "review saw: to a failing receiver", hooks: 3}},
	}
	for name, ws := range wants {
		c, ok := cases[name]
		if !ok {
			t.Errorf("case %s: no result from the SDK", name)
			continue
		}
		if len(c.Runs) != len(ws) {
			t.Errorf("case %s: %d runs, want %d", name, len(c.Runs), len(ws))
			continue
		}
		for i, w := range ws {
			if w.hooks > 0 {
				rg.recv.waitRun(t, c.Runs[i], w.hooks, 30*time.Second)
			}
		}
	}
	// Every observation over: nothing more can arrive.
	waitIdle(t, rg)
	for name, ws := range wants {
		c := cases[name]
		for i, w := range ws {
			if i >= len(c.Runs) {
				break
			}
			rid := c.Runs[i]
			hs := rg.recv.forRun(rid)
			if len(hs) != w.hooks {
				t.Errorf("%s run %d: %d webhooks, want %d", name, i, len(hs), w.hooks)
				continue
			}
			if w.hooks == 0 {
				continue
			}
			h := hs[0]
			for _, other := range hs[1:] {
				if !bytes.Equal(other.Raw, h.Raw) {
					t.Errorf("%s: retries sent different bodies", name)
				}
			}
			checkHook(t, name, h, w.status, w.last, w.errType, w.errMsg, w.temp, rg.recv.URL)
		}
	}
	// What the client saw.
	if c := cases["thread_background"]; c.KwargsWebhook != rg.recv.URL+"/thread_background" || c.GetWebhook != c.KwargsWebhook {
		t.Errorf("relayed Run kwargs.webhook: create %q, get %q", c.KwargsWebhook, c.GetWebhook)
	}
	if c := cases["stateless_background"]; c.Temporary != true || c.KwargsWebhook == "" {
		t.Errorf("stateless create: client saw temporary %v webhook %q, want true and the URL", c.Temporary, c.KwargsWebhook)
	}
	if c := cases["batch"]; !slices.Equal(c.Temporary.([]any), []any{true, false}) {
		t.Errorf("batch temporary %v, want [true false]", c.Temporary)
	}
	if c := cases["thread_stream"]; !slices.Contains(c.Events, "updates") || c.Events[0] != "metadata" {
		t.Errorf("stream events through hooklab: %v", c.Events)
	}
	if c := cases["error_stateless_stream"]; !slices.Contains(c.Events, "error") {
		t.Errorf("stateless error stream lost its error event: %v", c.Events)
	}
	if c := cases["thread_wait"]; c.Last != "review saw: hello wait" {
		t.Errorf("wait values through hooklab: last %q", c.Last)
	}
	if c := cases["interrupt"]; !c.Interrupted {
		t.Error("interrupt: the wait answer lost __interrupt__")
	}
	// The failing receiver: one delivery, three attempts, failed.
	rid := cases["receiver_500"].Runs[0]
	ds, err := rg.store.Deliveries(context.Background(), store.DeliveryQuery{RunID: rid})
	if err != nil || len(ds) != 1 || ds[0].Attempts != 3 || ds[0].Outcome != sender.OutcomeFailed {
		t.Errorf("receiver 500: deliveries %+v err %v, want one failed after 3 attempts", ds, err)
	}
	// Stateless threads hooklab kept alive are gone again.
	for _, name := range []string{"stateless_background", "stateless_wait", "stateless_stream"} {
		tid, _ := rg.recv.forRun(cases[name].Runs[0])[0].Body["thread_id"].(string)
		if code, _ := get(t, js.URL+"/threads/"+tid); code != 404 {
			t.Errorf("%s: kept thread %s still exists upstream (HTTP %d)", name, tid, code)
		}
	}
}

// checkHook checks one webhook against the platform's payload.
func checkHook(t *testing.T, name string, h hookReq, status, last, errType, errMsg string, temp bool, base string) {
	t.Helper()
	b := h.Body
	if h.ContentType != "application/json" {
		t.Errorf("%s: content-type %q", name, h.ContentType)
	}
	if b["status"] != status {
		t.Errorf("%s: status %v, want %s", name, b["status"], status)
	}
	keys := payloadKeys(t, h.Raw)
	want := platformKeys
	if errType != "" {
		want = append(slices.Clone(platformKeys), "error")
	}
	if !slices.Equal(keys, want) {
		t.Errorf("%s: payload keys %v, want %v", name, keys, want)
	}
	if last == "-" {
		if b["values"] != nil {
			t.Errorf("%s: values %v, want null", name, b["values"])
		}
	} else if got := lastMessage(b["values"]); got != last {
		t.Errorf("%s: last message in values %q, want %q", name, got, last)
	}
	if errType != "" {
		e, _ := b["error"].(map[string]any)
		if e["error"] != errType || e["message"] != errMsg {
			t.Errorf("%s: error %v, want %s: %s", name, b["error"], errType, errMsg)
		}
	}
	kw, _ := b["kwargs"].(map[string]any)
	if kw["webhook"] != base+h.Path {
		t.Errorf("%s: kwargs.webhook %v, want %s", name, kw["webhook"], base+h.Path)
	}
	if kw["temporary"] != temp {
		t.Errorf("%s: kwargs.temporary %v, want %v", name, kw["temporary"], temp)
	}
	for _, k := range []string{"created_at", "updated_at", "run_started_at", "run_ended_at", "webhook_sent_at"} {
		s, _ := b[k].(string)
		if _, err := time.Parse("2006-01-02T15:04:05.000000+00:00", s); err != nil {
			t.Errorf("%s: %s %q is not the platform's time form", name, k, s)
		}
	}
}

// waitIdle waits until no run is observed, nothing is journalled (every
// observation that ended deleted its record) and the sender has nothing
// pending (bounded).
func waitIdle(t testing.TB, rg *rig) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for rg.up.Observing() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d runs still observed after 30 s", rg.up.Observing())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		recs, err := rg.store.Load(store.Observations)
		if err == nil && len(recs) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d observations still journalled after 30 s (%v)", len(recs), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		ds, err := rg.store.Deliveries(context.Background(), store.DeliveryQuery{Outcome: sender.OutcomePending})
		if err == nil && len(ds) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries still pending after 30 s: %d", len(ds))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
