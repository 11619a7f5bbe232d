package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"hooklab/config"
	"hooklab/server/store"
)

// The config and URL-tester parts of the dashboard's backend that a
// remote hooklab needs beyond plain requests: the structured refusal of
// a save, the reload, the loosenings of a save, and a tester session.

// setConfig caches rt as the config in force.
func (c *Client) setConfig(rt *config.Runtime) {
	if rt.File == nil {
		rt.File = &config.File{}
	}
	c.mu.Lock()
	c.rt = rt
	c.info.ConfigPath, c.info.Embedded = rt.File.Path, rt.File.Embedded
	c.mu.Unlock()
}

// putConfig sends PUT /hooklab/config and decodes the answer into out. A
// save the hooklab refused because langgraph.json on disk no longer
// parses or changed (409) is the *config.ConflictError it sent, with the
// file and the diff; other refusals are an *APIError.
func (c *Client) putConfig(ctx context.Context, body, out any) error {
	const path = "/hooklab/config"
	b, err := store.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, c.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportErr(err)
	}
	defer resp.Body.Close()
	// A config answer holds the file and a diff of it: far below this.
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("PUT %s: cannot read the answer: %w", path, err)
	}
	if resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("PUT %s: cannot read the answer: %w", path, err)
		}
		return nil
	}
	var conflict struct {
		Conflict *config.ConflictError `json:"conflict"`
	}
	if resp.StatusCode == http.StatusConflict && json.Unmarshal(data, &conflict) == nil && conflict.Conflict != nil {
		return conflict.Conflict
	}
	ae := &APIError{Method: http.MethodPut, Path: path, Status: resp.StatusCode}
	var e struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(data, &e) == nil {
		ae.Detail = e.Detail
	}
	return ae
}

// ReloadConfig asks the hooklab to read langgraph.json again and put it in
// force (POST /hooklab/config/reload): the "reload" answer to a refused
// save. A file that does not load is an *APIError with its line and
// column, and the config's Problem stays.
func (c *Client) ReloadConfig(ctx context.Context) (*config.Runtime, error) {
	var rt config.Runtime
	if err := c.do(ctx, http.MethodPost, "/hooklab/config/reload", nil, &rt); err != nil {
		return nil, err
	}
	c.setConfig(&rt)
	return &rt, nil
}

// Loosenings names every way f's webhooks config is looser than the
// hooklab's langgraph.json (a dry run of the save: nothing changes), so
// the dashboard can ask before it saves.
func (c *Client) Loosenings(ctx context.Context, f *config.File) ([]config.Loosening, error) {
	var ans struct {
		Loosenings []config.Loosening `json:"loosenings"`
	}
	if err := c.putConfig(ctx, newConfigPut(f, false, true), &ans); err != nil {
		return nil, err
	}
	return ans.Loosenings, nil
}

// webhooksOrEmpty is WebhooksJSON, with {} for an unset config (cleared,
// not left out, which would keep the running one).
func webhooksOrEmpty(w config.Webhooks) json.RawMessage {
	if wh := WebhooksJSON(w); wh != nil {
		return wh
	}
	return json.RawMessage("{}")
}

// URLTester is a URL-tester session over a remote hooklab: a URL tested
// again (typed, erased, typed back) is answered from the session, so it
// is resolved once. Answers that could not be fetched are not kept.
type URLTester struct {
	c  *Client
	mu sync.Mutex
	m  map[urlTest]config.Decision
}

type urlTest struct {
	raw     string
	offline bool
}

// NewURLTester starts a URL-tester session.
func (c *Client) NewURLTester() *URLTester {
	return &URLTester{c: c, m: map[urlTest]config.Decision{}}
}

// Test is TestURL through the session.
func (t *URLTester) Test(ctx context.Context, raw string, offline bool) config.Decision {
	k := urlTest{raw, offline}
	t.mu.Lock()
	d, ok := t.m[k]
	t.mu.Unlock()
	if ok {
		return d
	}
	var err error
	if err = t.c.do(ctx, http.MethodPost, "/hooklab/check-url", map[string]any{"url": raw, "offline": offline}, &d); err != nil {
		return config.Decision{URL: raw, Allowed: false, Message: fmt.Sprintf("cannot ask the hooklab at %s: %v", t.c.base, err)}
	}
	t.mu.Lock()
	if len(t.m) >= 1024 {
		t.m = map[urlTest]config.Decision{}
	}
	t.m[k] = d
	t.mu.Unlock()
	return d
}
