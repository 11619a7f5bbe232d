package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/crons"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// History is the dashboard's: GET /hooklab/history.
func (c *Client) History(ctx context.Context, q store.Query) ([]hub.Event, error) {
	v := url.Values{}
	if q.Since > 0 {
		v.Set("since", strconv.FormatUint(q.Since, 10))
	}
	if q.Before > 0 {
		v.Set("before", strconv.FormatUint(q.Before, 10))
	}
	if len(q.Kinds) > 0 {
		ks := make([]string, len(q.Kinds))
		for i, k := range q.Kinds {
			ks[i] = string(k)
		}
		v.Set("kind", strings.Join(ks, ","))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Newest {
		v.Set("newest", "1")
	}
	p := "/hooklab/history"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	var evs []hub.Event
	err := c.do(ctx, http.MethodGet, p, nil, &evs)
	return evs, err
}

// Delivery is the dashboard's: GET /hooklab/deliveries/{id}. An unknown
// id gives an error matching store.ErrNotFound.
func (c *Client) Delivery(ctx context.Context, id string) (sender.Delivery, error) {
	var d sender.Delivery
	err := c.do(ctx, http.MethodGet, "/hooklab/deliveries/"+url.PathEscape(id), nil, &d)
	return d, err
}

// Deliveries lists stored deliveries, newest first (GET /hooklab/deliveries).
func (c *Client) Deliveries(ctx context.Context, q store.DeliveryQuery) ([]sender.Delivery, error) {
	v := url.Values{}
	if q.Outcome != "" {
		v.Set("status", q.Outcome)
	}
	if q.URL != "" {
		v.Set("url", q.URL)
	}
	if q.RunID != "" {
		v.Set("run_id", q.RunID)
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	p := "/hooklab/deliveries"
	if len(v) > 0 {
		p += "?" + v.Encode()
	}
	var ds []sender.Delivery
	err := c.do(ctx, http.MethodGet, p, nil, &ds)
	return ds, err
}

// replayRequest is the body of POST /hooklab/deliveries/{id}/replay.
type replayRequest struct {
	URL     string          `json:"url,omitempty"`
	Body    json.RawMessage `json:"body,omitempty"`
	Headers []hub.HeaderKV  `json:"headers,omitempty"`
}

// Replay is the dashboard's: the hooklab sends the delivery again and
// answers with the new delivery once it has an outcome.
func (c *Client) Replay(ctx context.Context, r sender.Replay) (sender.Delivery, error) {
	body := replayRequest{URL: r.URL, Headers: r.Headers}
	if len(bytes.TrimSpace(r.Body)) > 0 {
		body.Body = r.Body
	}
	var d sender.Delivery
	err := c.do(ctx, http.MethodPost, "/hooklab/deliveries/"+url.PathEscape(r.ID)+"/replay", body, &d)
	return d, err
}

// CheckURL is the URL policy of the remote hooklab, explained (every
// failing check). When the hooklab cannot be asked, the answer is "not
// allowed", saying why.
func (c *Client) CheckURL(ctx context.Context, raw string) config.Decision {
	return c.TestURL(ctx, raw, false)
}

// TestURL is CheckURL with the URL tester's offline option: the remote
// hooklab does not resolve host names and says the address check did
// not run.
func (c *Client) TestURL(ctx context.Context, raw string, offline bool) config.Decision {
	var d config.Decision
	body := map[string]any{"url": raw, "offline": offline}
	if err := c.do(ctx, http.MethodPost, "/hooklab/check-url", body, &d); err != nil {
		return config.Decision{URL: raw, Allowed: false,
			Message: fmt.Sprintf("cannot ask the hooklab at %s: %v", c.base, err)}
	}
	return d
}

// Config is the dashboard's: the config in force as last fetched (at
// Ping, after ApplyConfig, and in the background after any config event on
// the feed). It never touches the network, so the dashboard may call it
// while drawing; before anything was fetched it is an empty config, never
// nil.
func (c *Client) Config() *config.Runtime {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rt == nil {
		return &config.Runtime{File: &config.File{}}
	}
	return c.rt
}

// ApplyConfig is the dashboard's: PUT /hooklab/config with f's webhooks
// and http keys in langgraph.json's shape. f is validated here first, so a
// bad value comes back as a *config.Error naming its key; a refusal by the
// hooklab (a header template it cannot resolve) carries its detail.
func (c *Client) ApplyConfig(ctx context.Context, f *config.File, save bool) error {
	if f == nil {
		return errors.New("no config to apply")
	}
	if err := f.Validate(); err != nil {
		return err
	}
	var rt config.Runtime
	if err := c.putConfig(ctx, newConfigPut(f, save, false), &rt); err != nil {
		return err
	}
	c.setConfig(&rt)
	return nil
}

// ResolveConfig is the dashboard's: PUT /hooklab/config with dry_run,
// so the hooklab validates f and resolves its header templates in its own
// environment without putting anything in force. The runtime comes back
// with its secrets masked (the JSON carries only the masked values). A
// refusal is a *config.Error naming the key, read from the detail of the
// hooklab's 422.
func (c *Client) ResolveConfig(ctx context.Context, f *config.File) (*config.Runtime, error) {
	if f == nil {
		return nil, errors.New("no config to resolve")
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var rt config.Runtime
	err := c.do(ctx, http.MethodPut, "/hooklab/config", newConfigPut(f, false, true), &rt)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity {
		return nil, configRefusal(ae.Detail, f)
	}
	if err != nil {
		return nil, err
	}
	if rt.File == nil {
		rt.File = &config.File{}
	}
	return &rt, nil
}

// configPut is the body of PUT /hooklab/config.
type configPut struct {
	Webhooks json.RawMessage `json:"webhooks"`
	HTTP     map[string]bool `json:"http"`
	Save     bool            `json:"save"`
	DryRun   bool            `json:"dry_run,omitempty"`
}

func newConfigPut(f *config.File, save, dryRun bool) configPut {
	return configPut{Webhooks: webhooksOrEmpty(f.Webhooks), HTTP: map[string]bool{"disable_webhooks": f.HTTP.DisableWebhooks}, Save: save, DryRun: dryRun}
}

// configRefusal reads the detail of a refused config ("config: FILE: KEY:
// MESSAGE; fix: FIX", as config.Error renders it) back into a
// *config.Error. Only header keys need finding: every other value was
// validated here before the request. A detail that names none is the
// message.
func configRefusal(detail string, f *config.File) *config.Error {
	rest := strings.TrimPrefix(detail, "config: ")
	hs := slices.Clone(f.Webhooks.Headers)
	slices.SortFunc(hs, func(a, b config.Header) int { return len(b.Name) - len(a.Name) }) // X-Token-2 before X-Token
	for _, h := range hs {
		key := "webhooks.headers." + h.Name
		i := strings.Index(rest, key+": ")
		if i < 0 {
			continue
		}
		msg, fix, _ := strings.Cut(rest[i+len(key)+2:], "; fix: ")
		return &config.Error{File: strings.TrimSuffix(rest[:i], ": "), Key: key, Message: msg, Fix: fix}
	}
	return &config.Error{Message: rest}
}

// WebhooksJSON renders w as langgraph.json's `webhooks` object: headers as
// an object of name to template in their order, and only the keys that are
// set. It is nil when w is entirely unset (the key is absent).
func WebhooksJSON(w config.Webhooks) json.RawMessage {
	var o object
	if w.EnvPrefix != nil {
		o.add("env_prefix", *w.EnvPrefix)
	}
	if w.Headers != nil {
		var h object
		for _, x := range w.Headers {
			h.add(x.Name, x.Template)
		}
		o.addRaw("headers", h.bytes())
	}
	if w.AllowedFields != nil {
		o.add("allowed_fields", w.AllowedFields)
	}
	if u := w.URL; u != nil {
		var uo object
		if u.AllowedDomains != nil {
			uo.add("allowed_domains", u.AllowedDomains)
		}
		if u.RequireHTTPS != nil {
			uo.add("require_https", *u.RequireHTTPS)
		}
		if u.AllowedPorts != nil {
			uo.add("allowed_ports", u.AllowedPorts)
		}
		if u.DisableLoopback != nil {
			uo.add("disable_loopback", *u.DisableLoopback)
		}
		if u.DisablePrivateIPs != nil {
			uo.add("disable_private_ips", *u.DisablePrivateIPs)
		}
		if u.MaxURLLength != nil {
			uo.add("max_url_length", *u.MaxURLLength)
		}
		o.addRaw("url", uo.bytes())
	}
	if o.n == 0 {
		return nil
	}
	return o.bytes()
}

// object writes a JSON object with its keys in insertion order, which a
// Go map would lose (header order is part of the config).
type object struct {
	b bytes.Buffer
	n int
}

func (o *object) add(k string, v any) {
	b, _ := json.Marshal(v)
	o.addRaw(k, b)
}

func (o *object) addRaw(k string, v []byte) {
	if o.n == 0 {
		o.b.WriteByte('{')
	} else {
		o.b.WriteByte(',')
	}
	kb, _ := json.Marshal(k)
	o.b.Write(kb)
	o.b.WriteByte(':')
	o.b.Write(v)
	o.n++
}

func (o *object) bytes() []byte {
	if o.n == 0 {
		return []byte("{}")
	}
	return append(o.b.Bytes(), '}')
}

// Crons lists the remote hooklab's crons: POST /runs/crons/search.
func (c *Client) Crons(ctx context.Context) ([]crons.Cron, error) {
	var rows []crons.Cron
	if err := c.do(ctx, http.MethodPost, "/runs/crons/search", map[string]int{"limit": 1000}, &rows); err != nil {
		return nil, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].CronID < rows[j].CronID })
	return rows, nil
}

// FireCron is the dashboard's: POST /hooklab/crons/{id}/fire.
func (c *Client) FireCron(ctx context.Context, id string) (string, error) {
	var r struct {
		RunID string `json:"run_id"`
	}
	err := c.do(ctx, http.MethodPost, "/hooklab/crons/"+url.PathEscape(id)+"/fire", nil, &r)
	return r.RunID, err
}

// DeleteCron is the dashboard's: DELETE /runs/crons/{id}, the platform's
// route. An unknown id gives an error matching store.ErrNotFound.
func (c *Client) DeleteCron(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/runs/crons/"+url.PathEscape(id), nil, nil)
}

// SetCronEnabled is the dashboard's: PATCH /runs/crons/{id} with
// {"enabled": …}, the platform's route.
func (c *Client) SetCronEnabled(ctx context.Context, id string, enabled bool) error {
	return c.do(ctx, http.MethodPatch, "/runs/crons/"+url.PathEscape(id), map[string]bool{"enabled": enabled}, nil)
}

// Info describes the remote hooklab: its address and the config it runs.
type Info struct {
	Addr, ConfigPath, StorePath, Version string
	Embedded                             bool
	Remote                               bool // always true: this hooklab is watched over the network
	// Upstream is the state of the LangGraph server the hooklab forwards
	// to (nil: none), as of Ping and the newest upstream event on a feed.
	Upstream *hub.UpstreamInfo
}

// Info describes the remote hooklab as last fetched.
func (c *Client) Info() Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := c.info
	if i.Upstream != nil {
		u := *i.Upstream
		i.Upstream = &u
	}
	return i
}

// setUpstream caches the upstream state an upstream event carries.
func (c *Client) setUpstream(e hub.Event) {
	var u hub.UpstreamInfo
	if e.Decode(&u) != nil {
		return
	}
	c.mu.Lock()
	c.info.Upstream = &u
	c.mu.Unlock()
}

// UpstreamLog is the dashboard's: GET /hooklab/upstream/log, the newest
// lines the upstream command the hooklab started wrote. A hooklab that
// forwards to no upstream gives an error matching store.ErrNotFound.
func (c *Client) UpstreamLog(ctx context.Context) ([]string, error) {
	var l struct {
		Lines []string `json:"lines"`
	}
	err := c.do(ctx, http.MethodGet, "/hooklab/upstream/log", nil, &l)
	return l.Lines, err
}
