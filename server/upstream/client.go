package upstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// runObject is the part of an upstream Run object the payload needs.
type runObject struct {
	RunID             string          `json:"run_id"`
	ThreadID          string          `json:"thread_id"`
	AssistantID       string          `json:"assistant_id"`
	Status            string          `json:"status"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
	Metadata          json.RawMessage `json:"metadata"`
	Kwargs            json.RawMessage `json:"kwargs"`
	MultitaskStrategy string          `json:"multitask_strategy"`
}

// checkpoint is one entry of a thread's history.
type checkpoint struct {
	Values    json.RawMessage `json:"values"`
	CreatedAt string          `json:"created_at"`
	Metadata  struct {
		RunID string `json:"run_id"`
	} `json:"metadata"`
	Tasks []struct {
		Error json.RawMessage `json:"error"`
	} `json:"tasks"`
	at time.Time
}

// call makes one request of hooklab's own to the upstream and reads the
// answer (bounded).
func (u *Upstream) call(ctx context.Context, method, path string, body any, hdr http.Header) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.endpoint(path), rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range u.o.Header {
		req.Header[k] = v
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "hooklab-upstream")
	resp, err := u.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return resp.StatusCode, b, err
}

func (u *Upstream) getRun(ctx context.Context, tid, rid string, hdr http.Header) (*runObject, int, error) {
	code, b, err := u.call(ctx, http.MethodGet, "/threads/"+url.PathEscape(tid)+"/runs/"+url.PathEscape(rid), nil, hdr)
	if err != nil || code != http.StatusOK {
		return nil, code, err
	}
	var r runObject
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, 0, fmt.Errorf("run %s: %w", rid, err)
	}
	return &r, code, nil
}

// runCheckpoints returns the checkpoints the run itself wrote, newest
// first. The metadata filter is asked for, and applied again here: not
// every server honours it.
func (u *Upstream) runCheckpoints(ctx context.Context, tid, rid string, hdr http.Header) ([]checkpoint, error) {
	body := map[string]any{"limit": 100, "metadata": map[string]string{"run_id": rid}}
	code, b, err := u.call(ctx, http.MethodPost, "/threads/"+url.PathEscape(tid)+"/history", body, hdr)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("history of thread %s: HTTP %d", tid, code)
	}
	var all []checkpoint
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("history of thread %s: %w", tid, err)
	}
	out := all[:0]
	for _, c := range all {
		if c.Metadata.RunID == rid {
			c.at = parseTime(c.CreatedAt)
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.After(out[j].at) })
	return out, nil
}

// threadState is the part of GET /threads/{tid}/state the error needs.
type threadState struct {
	Metadata struct {
		RunID string `json:"run_id"`
	} `json:"metadata"`
	Tasks []struct {
		Error json.RawMessage `json:"error"`
	} `json:"tasks"`
}

func (u *Upstream) state(ctx context.Context, tid string, hdr http.Header) (*threadState, error) {
	code, b, err := u.call(ctx, http.MethodGet, "/threads/"+url.PathEscape(tid)+"/state", nil, hdr)
	if err != nil || code != http.StatusOK {
		return nil, fmt.Errorf("state of thread %s: HTTP %d %v", tid, code, err)
	}
	var s threadState
	return &s, json.Unmarshal(b, &s)
}

// threadError is the error a server keeps on the thread itself, if any.
func (u *Upstream) threadError(ctx context.Context, tid string, hdr http.Header) json.RawMessage {
	code, b, err := u.call(ctx, http.MethodGet, "/threads/"+url.PathEscape(tid), nil, hdr)
	if err != nil || code != http.StatusOK {
		return nil
	}
	var t struct {
		Error json.RawMessage `json:"error"`
	}
	json.Unmarshal(b, &t)
	return t.Error
}

func (u *Upstream) cancelRun(ctx context.Context, tid, rid string, hdr http.Header) {
	u.call(ctx, http.MethodPost, "/threads/"+url.PathEscape(tid)+"/runs/"+url.PathEscape(rid)+"/cancel?action=interrupt", nil, hdr)
}

func (u *Upstream) deleteThread(tid string, hdr http.Header) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	code, b, err := u.call(ctx, http.MethodDelete, "/threads/"+url.PathEscape(tid), nil, hdr)
	if err != nil {
		return err
	}
	if code/100 != 2 && code != http.StatusNotFound {
		return fmt.Errorf("HTTP %d %s", code, strings.TrimSpace(string(b)))
	}
	return nil
}

// resolveThread finds the thread of a stateless run whose answer did not
// name it: the newest threads first, busy ones before the rest, each asked
// for the run.
func (w *watch) resolveThread(ctx context.Context) string {
	u := w.u
	since := w.spec.at.Add(-5 * time.Second)
	tried := map[string]bool{}
	for _, status := range []string{"busy", ""} {
		q := map[string]any{"limit": 100, "sort_by": "created_at", "sort_order": "desc", "select": []string{"thread_id", "created_at"}}
		if status != "" {
			q["status"] = status
		}
		code, b, err := u.call(ctx, http.MethodPost, "/threads/search", q, w.spec.header)
		if err != nil || code != http.StatusOK {
			return ""
		}
		var ts []struct {
			ThreadID  string `json:"thread_id"`
			CreatedAt string `json:"created_at"`
		}
		if json.Unmarshal(b, &ts) != nil {
			return ""
		}
		for _, t := range ts {
			if tried[t.ThreadID] || u.threadTaken(t.ThreadID) {
				continue
			}
			if at := parseTime(t.CreatedAt); !at.IsZero() && at.Before(since) {
				break // sorted newest first: the rest are older than the run
			}
			tried[t.ThreadID] = true
			if _, code, err := u.getRun(ctx, t.ThreadID, w.spec.runID, w.spec.header); err == nil && code == http.StatusOK {
				w.mu.Lock()
				w.threadID = t.ThreadID
				w.mu.Unlock()
				w.persist()
				return t.ThreadID
			}
		}
	}
	return ""
}

// threadTaken reports whether a watched stateless run already owns tid
// (a stateless run's thread holds that run only).
func (u *Upstream) threadTaken(tid string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, w := range u.watches {
		if w.spec.req.stateless && w.thread() == tid {
			return true
		}
	}
	return false
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
