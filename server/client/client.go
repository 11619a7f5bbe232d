// Package client talks to a running hooklab over its /hooklab/ API and
// websocket feed: the CLI's history and replay, and the dashboard of
// `hooklab attach`. A *Client offers what the dashboard asks of an
// in-process hooklab, so the same dashboard runs over the network.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"hooklab/config"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// pingTimeout bounds Ping and the config fetches that do not get a
// caller's deadline: hooklab is local, so a slow answer means a wrong address.
const pingTimeout = 5 * time.Second

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// Client is a connection to a running hooklab.
type Client struct {
	base string // http://host:port, no trailing slash
	feed string // ws://host:port/hooklab/events
	hc   *http.Client
	// token is sent as Authorization: Bearer on hooklab's own API and the
	// feed (a hooklab listening beyond loopback requires it); never on the
	// LangGraph routes, which an upstream server may read it on.
	token string

	mu      sync.Mutex
	rt      *config.Runtime // the config in force, as last fetched
	info    Info
	feedErr error  // why the feed is down (nil while connected)
	pingSeq uint64 // the hooklab's last Seq at Ping: where a feed resumes if its first dial fails
}

// APIError is an error answer from hooklab: its HTTP status and the
// server's {"detail": "..."}. A 404 matches store.ErrNotFound with errors.Is.
type APIError struct {
	Method, Path string
	Status       int
	Detail       string
}

// Error returns the server's detail, which already names the field and the fix.
func (e *APIError) Error() string {
	if e.Detail != "" {
		return e.Detail
	}
	return fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
}

// Unwrap lets errors.Is(err, store.ErrNotFound) work across the network.
func (e *APIError) Unwrap() error {
	if e.Status == http.StatusNotFound {
		return store.ErrNotFound
	}
	return nil
}

// Option is a setting of New.
type Option func(*Client)

// WithToken sends token to hooklab's own API and its feed ("" sends none).
func WithToken(token string) Option {
	return func(c *Client) { c.token = strings.TrimSpace(token) }
}

// TokenEnv is the environment variable hooklab's CLI reads the token from.
const TokenEnv = "HOOKLAB_TOKEN"

// EnvToken is the token set in the environment getenv reads (nil: none).
func EnvToken(getenv func(string) (string, bool)) string {
	if getenv == nil {
		return ""
	}
	v, _ := getenv(TokenEnv)
	return v
}

// New returns a client for the hooklab at target: a feed URL
// (ws://host:port/hooklab/events), an http:// base, or host:port. It does
// not touch the network; call Ping to see whether anything answers.
func New(target string, opts ...Option) (*Client, error) {
	base, err := baseURL(target)
	if err != nil {
		return nil, err
	}
	feed := "ws" + strings.TrimPrefix(base, "http") + "/hooklab/events"
	// A private transport without proxies: hooklab is on loopback, and a
	// proxy from the environment must not see (or break) the feed.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	c := &Client{base: base, feed: feed, hc: &http.Client{Transport: tr}}
	c.info = Info{Addr: strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://"), Remote: true}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// baseURL derives http(s)://host:port from any accepted target form.
func baseURL(target string) (string, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return "", errors.New("no hooklab address given; pass ws://HOST:PORT/hooklab/events, http://HOST:PORT or HOST:PORT")
	}
	if !strings.Contains(t, "://") {
		t = "http://" + t
	}
	u, err := url.Parse(t)
	if err != nil {
		return "", fmt.Errorf("cannot read hooklab address %q: %v; pass ws://HOST:PORT/hooklab/events, http://HOST:PORT or HOST:PORT", target, err)
	}
	scheme := map[string]string{"http": "http", "ws": "http", "https": "https", "wss": "https"}[strings.ToLower(u.Scheme)]
	if scheme == "" {
		return "", fmt.Errorf("hooklab address %q: scheme %q is not one of ws, wss, http, https", target, u.Scheme)
	}
	host := u.Host
	if strings.HasPrefix(host, ":") {
		host = "127.0.0.1" + host // ":2024" means this machine
	}
	if h, _, err := net.SplitHostPort(host); host == "" || (err == nil && h == "") {
		return "", fmt.Errorf("hooklab address %q has no host; pass HOST:PORT", target)
	}
	return scheme + "://" + host, nil
}

// Base is the http(s)://host:port of the hooklab.
func (c *Client) Base() string { return c.base }

// FeedURL is the websocket feed's URL.
func (c *Client) FeedURL() string { return c.feed }

// health is the body of GET /hooklab/healthz.
type health struct {
	OK         bool   `json:"ok"`
	Version    string `json:"version"`
	Addr       string `json:"addr"`
	Seq        uint64 `json:"seq"`
	Store      string `json:"store"`
	StoreError string `json:"store_error"`
	// Upstream is the upstream's state, when the hooklab forwards to one.
	Upstream *hub.UpstreamInfo `json:"upstream"`
}

// Ping checks that a hooklab answers, and caches its info and config.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	var h health
	if err := c.do(ctx, http.MethodGet, "/hooklab/healthz", nil, &h); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden) && ae.Detail != "" {
			return fmt.Errorf("the hooklab at %s refused: %s", c.base, ae.Detail)
		}
		if errors.As(err, &ae) {
			return fmt.Errorf("no hooklab answers at %s: GET /hooklab/healthz gave HTTP %d (is this a LangGraph server without hooklab?)", c.base, ae.Status)
		}
		return fmt.Errorf("no hooklab answers at %s: %w", c.base, err)
	}
	if !h.OK {
		return fmt.Errorf("no hooklab answers at %s: /hooklab/healthz did not say ok", c.base)
	}
	c.mu.Lock()
	if h.Addr != "" {
		c.info.Addr = h.Addr
	}
	c.info.Version, c.info.StorePath = h.Version, h.Store
	if h.Upstream != nil {
		c.info.Upstream = h.Upstream
	}
	c.pingSeq = h.Seq
	c.mu.Unlock()
	return c.refreshConfig(ctx)
}

// Err is the error that ended the feed, or why it is down while it
// reconnects; nil while it is connected or was ended by its context.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.feedErr
}

func (c *Client) setFeedErr(err error) {
	c.mu.Lock()
	c.feedErr = err
	c.mu.Unlock()
}

// refreshConfig fetches the config in force and caches it.
func (c *Client) refreshConfig(ctx context.Context) error {
	var rt config.Runtime
	if err := c.do(ctx, http.MethodGet, "/hooklab/config", nil, &rt); err != nil {
		return fmt.Errorf("reading the config of the hooklab at %s: %w", c.base, err)
	}
	if rt.File == nil {
		rt.File = &config.File{}
	}
	c.mu.Lock()
	c.rt = &rt
	c.info.ConfigPath, c.info.Embedded = rt.File.Path, rt.File.Embedded
	c.mu.Unlock()
	return nil
}

// do sends one API request: in (if not nil) as the JSON body, the answer
// decoded into out (if not nil). A non-2xx answer is an *APIError.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := store.Marshal(in) // a replay body goes out as the user wrote it
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil || method != http.MethodGet {
		// hooklab refuses a state-changing request without it.
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	c.authorize(req.Header, path)
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportErr(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		ae := &APIError{Method: method, Path: pathOnly(path), Status: resp.StatusCode}
		var e struct {
			Detail any `json:"detail"`
		}
		if json.Unmarshal(b, &e) == nil && e.Detail != nil {
			if s, ok := e.Detail.(string); ok {
				ae.Detail = s
			} else {
				d, _ := json.Marshal(e.Detail)
				ae.Detail = string(d)
			}
		}
		return ae
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: cannot read the answer: %w", method, pathOnly(path), err)
	}
	return nil
}

// authorize adds the token to a request for path on hooklab's own API.
func (c *Client) authorize(h http.Header, path string) {
	if c.token != "" && strings.HasPrefix(path, "/hooklab/") {
		h.Set("Authorization", "Bearer "+c.token)
	}
}

// transportErr drops net/http's "Get \"url\":" prefix: callers name the
// hooklab themselves.
func transportErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func pathOnly(p string) string {
	if i := strings.IndexByte(p, '?'); i >= 0 {
		return p[:i]
	}
	return p
}
