package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Ceiling is the least a server can do for one bench run, as an
// http.Handler: POST /runs answers a canned pending run at once, then
// POSTs a canned webhook of about 1 KB (the size of hooklab's webhook for
// its echo graph) to the run's webhook URL. No graph, no state, no store:
// measured with the same client on the same machine, it is the limit that
// client can show for any server. Only the run ID and the timestamps vary
// between runs, so the bench still matches each webhook to its run and
// measures run end to webhook.
//
// GET /ok answers {"ok":true} for readiness checks. Everything else is a
// JSON 404.
type Ceiling struct {
	client *http.Client
	n      atomic.Uint64
	slots  chan struct{} // webhooks in flight, at most cap
	wg     sync.WaitGroup
}

// ceilingMaxInFlight bounds the webhooks a Ceiling has in flight; past it,
// POST /runs waits for one to end before it answers.
const ceilingMaxInFlight = 4096

// NewCeiling returns a Ceiling whose webhooks go out through a keep-alive
// client that ignores proxy settings (its receivers are on loopback).
// Close it to wait for the webhooks in flight.
func NewCeiling() *Ceiling {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	}
	return &Ceiling{
		client: &http.Client{Transport: t, Timeout: 10 * time.Second},
		slots:  make(chan struct{}, ceilingMaxInFlight),
	}
}

// ServeHTTP implements http.Handler.
func (c *Ceiling) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/runs" && r.Method == http.MethodPost:
		c.create(w, r)
	case r.URL.Path == "/ok" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		writeCanned(w, http.StatusOK, []byte(`{"ok":true}`))
	default:
		writeCanned(w, http.StatusNotFound, []byte(`{"detail":"Not Found: the ceiling server answers POST /runs and GET /ok"}`))
	}
}

func (c *Ceiling) create(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Webhook string `json:"webhook"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeCanned(w, http.StatusUnprocessableEntity, []byte(`{"detail":"the body must be a JSON object with a webhook URL"}`))
		return
	}
	if u, err := url.Parse(body.Webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		writeCanned(w, http.StatusUnprocessableEntity, []byte(`{"detail":"webhook: give an absolute http(s) URL for the ceiling server to POST to"}`))
		return
	}
	id := runID(c.n.Add(1))
	now := time.Now().UTC()
	c.slots <- struct{}{}
	c.wg.Add(1)
	writeCanned(w, http.StatusOK, cannedRun(id, now))
	go func() {
		defer c.wg.Done()
		defer func() { <-c.slots }()
		c.post(body.Webhook, cannedWebhook(id, now, time.Now().UTC()))
	}()
}

// post sends one webhook; a receiver that fails is not retried (the bench
// counts the webhook missing).
func (c *Ceiling) post(to string, payload []byte) {
	req, err := http.NewRequest(http.MethodPost, to, bytes.NewReader(payload))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
}

// Close waits for the webhooks in flight (each bounded by the client's
// 10 s timeout) and closes idle connections.
func (c *Ceiling) Close() {
	c.wg.Wait()
	c.client.CloseIdleConnections()
}

func writeCanned(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(status)
	w.Write(body)
}

// runID is a UUID-shaped ID made from a counter: unique within one
// Ceiling, and costs nothing.
func runID(n uint64) []byte {
	b := append(make([]byte, 0, 36), "00000000-0000-4000-8000-"...)
	hex := strconv.FormatUint(n, 16)
	for range 12 - len(hex) {
		b = append(b, '0')
	}
	return append(b, hex...)
}

// The canned run: the fields, order and size of a LangGraph background run
// of an echo graph with one short message, with holes for the run ID and
// the times.
const (
	cannedHead = `","thread_id":"00000000-0000-4000-8000-000000000000",` +
		`"assistant_id":"fe096781-5601-53d2-b2f6-0d3403f7e9ca","created_at":"`
	cannedStatus = `","metadata":{},"status":"`
	cannedBody   = `","kwargs":{"input":{"messages":[{"role":"user","content":"bench"}]},` +
		`"command":null,"config":{"configurable":{"assistant_id":"fe096781-5601-53d2-b2f6-0d3403f7e9ca",` +
		`"graph_id":"agent","thread_id":"00000000-0000-4000-8000-000000000000"}},"context":null,` +
		`"stream_mode":["values"],"interrupt_before":null,"interrupt_after":null,` +
		`"webhook":"http://127.0.0.1/hook","feedback_keys":null,"temporary":true,"subgraphs":false,` +
		`"resumable":false,"durability":"async"},"multitask_strategy":"enqueue"`
	isoTime = "2006-01-02T15:04:05.000000+00:00" // times are UTC
)

// cannedRun is the answer to POST /runs.
func cannedRun(id []byte, at time.Time) []byte {
	b := append(make([]byte, 0, 1024), `{"run_id":"`...)
	b = append(append(b, id...), cannedHead...)
	b = at.AppendFormat(b, isoTime)
	b = append(b, `","updated_at":"`...)
	b = at.AppendFormat(b, isoTime)
	b = append(append(append(b, cannedStatus...), "pending"...), cannedBody...)
	return append(b, '}')
}

// cannedWebhook is the success webhook of run id, about 1 KB.
func cannedWebhook(id []byte, created, ended time.Time) []byte {
	b := append(make([]byte, 0, 1100), `{"run_id":"`...)
	b = append(append(b, id...), cannedHead...)
	b = created.AppendFormat(b, isoTime)
	b = append(b, `","updated_at":"`...)
	b = ended.AppendFormat(b, isoTime)
	b = append(append(append(b, cannedStatus...), "success"...), cannedBody...)
	b = append(b, `,"run_started_at":"`...)
	b = created.AppendFormat(b, isoTime)
	b = append(b, `","run_ended_at":"`...)
	b = ended.AppendFormat(b, isoTime)
	b = append(b, `","webhook_sent_at":"`...)
	b = ended.AppendFormat(b, isoTime)
	return append(b, `","values":null}`...)
}

// ServeCeiling serves a Ceiling on ln until ctx ends, then stops taking
// requests, waits up to 5 s for those in progress and for the webhooks in
// flight, and returns nil. It returns the serving error if serving stops
// on its own.
func ServeCeiling(ctx context.Context, ln net.Listener) error {
	c := NewCeiling()
	srv := &http.Server{
		Handler:           c,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer c.Close()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	<-served // http.ErrServerClosed once Shutdown began
	return err
}
