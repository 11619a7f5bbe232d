package upstream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// Sender queues one webhook delivery; *sender.Sender satisfies it.
type Sender interface {
	Send(ctx context.Context, j sender.Job) (string, error)
}

// Recorder records an event; the store satisfies it.
type Recorder interface {
	Append(kind hub.Kind, payload any)
}

// Schedule is how long the observer waits before its next poll of a run.
// age is the time since the observer started watching the run; held
// reports that a client holds the run's wait or stream response open.
type Schedule func(age time.Duration, held bool) time.Duration

// Options configure an Upstream.
type Options struct {
	// URL is the upstream server's base URL, e.g. http://127.0.0.1:2025.
	URL string
	// CheckWebhook applies the URL policy to a webhook before anything is
	// forwarded. nil error: allowed. Otherwise the client gets
	// 422 {"detail": err.Error()} and the upstream sees nothing.
	CheckWebhook func(r *http.Request, webhook string) error
	Sender       Sender   // where finished runs' webhooks go
	Recorder     Recorder // events: runs, upstream status, notices
	// RunTimeout bounds a run: one still running after it is cancelled
	// upstream and reported as timeout. Default 1 h.
	RunTimeout time.Duration
	// Header is sent with hooklab's own calls to the upstream when no
	// client request supplied credentials (cron firings).
	Header http.Header
	Logger *slog.Logger
	// Journal keeps each observation in the store while it lasts, so a
	// restart (Resume) sends the webhooks of runs that outlived the
	// process. nil: observations live in memory only.
	Journal Journal

	// Poll is the observer's schedule; nil: DefaultSchedule.
	Poll Schedule
	// Hot is the poll interval right after a relayed stream event, when a
	// run is likely to be ending; default 2 ms.
	Hot time.Duration
	// Monitor is how often the upstream's /ok is checked while it is
	// reachable (default 30 s: the dev servers log every request, and
	// a failed request or poll marks it down anyway); it is checked every
	// 250 ms while it is not, so its return shows at once.
	Monitor time.Duration
	// LostAfter is how long a run's upstream may stay unreachable before
	// the run is reported lost; default 2 min.
	LostAfter time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// DefaultSchedule polls every 5 ms for the first 250 ms (most runs of a
// quick graph end there), every 20 ms up to 2 s, every 100 ms up to 10 s,
// every 250 ms up to 30 s and every second after that. While a client
// holds the run's wait or stream answer it polls every 5 ms for the first
// 5 s and every 50 ms up to 30 s.
func DefaultSchedule(age time.Duration, held bool) time.Duration {
	switch {
	case held && age < 5*time.Second, age < 250*time.Millisecond:
		return 5 * time.Millisecond
	case held && age < 30*time.Second:
		return 50 * time.Millisecond
	case age < 2*time.Second:
		return 20 * time.Millisecond
	case age < 10*time.Second:
		return 100 * time.Millisecond
	case age < 30*time.Second:
		return 250 * time.Millisecond
	}
	return time.Second
}

// Upstream forwards the LangGraph API to a developer's own server and
// sends the webhooks of the runs created through it.
type Upstream struct {
	o      Options
	base   *url.URL
	label  string // the base URL as the user wrote it, for messages
	proxy  *httputil.ReverseProxy
	client *http.Client // hooklab's own calls: observer, crons, health

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	watches  map[string]*watch // run id → live observer
	restores restoreLog        // what to patch back into relayed Run objects
	st       hub.UpstreamInfo
	outages  uint64 // times the upstream was seen down; a change means it may have restarted
	child    *Child
	closed   bool
}

// New checks o and returns an Upstream; its monitor runs until Close.
func New(o Options) (*Upstream, error) {
	base, err := parseBase(o.URL)
	if err != nil {
		return nil, err
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = time.Hour
	}
	if o.Poll == nil {
		o.Poll = DefaultSchedule
	}
	if o.Hot <= 0 {
		o.Hot = 2 * time.Millisecond
	}
	if o.Monitor <= 0 {
		o.Monitor = 30 * time.Second
	}
	if o.LostAfter <= 0 {
		o.LostAfter = 2 * time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Recorder == nil {
		o.Recorder = nopRecorder{}
	}
	u := &Upstream{
		o: o, base: base, label: strings.TrimRight(o.URL, "/"),
		watches:  map[string]*watch{},
		restores: restoreLog{m: map[string]restore{}},
	}
	u.st.URL = u.label
	u.ctx, u.cancel = context.WithCancel(context.Background())
	u.proxy = u.newProxy()
	u.client = &http.Client{Transport: newTransport(), Timeout: 10 * time.Second}
	u.wg.Add(1)
	go u.monitor()
	return u, nil
}

func parseBase(raw string) (*url.URL, error) {
	const fix = "pass the URL your LangGraph server listens on, e.g. --upstream http://127.0.0.1:2025"
	if raw == "" {
		return nil, fmt.Errorf("upstream: no URL; %s", fix)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("upstream: %q is not an http(s) URL with a host; %s", raw, fix)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("upstream: %q has a query, fragment or user info; %s", raw, fix)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil, // the upstream is reached directly, never through an environment proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		DisableCompression:  true,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
}

// URL is the upstream's base URL as configured.
func (u *Upstream) URL() string { return u.label }

// Close stops the monitor and every observer. With a Journal, runs still
// being observed keep their records and the next Resume takes them up;
// without one they are reported lost (hooklab stopped before they ended)
// and no webhook is sent for them.
func (u *Upstream) Close() error {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return nil
	}
	u.closed = true
	ws := make([]*watch, 0, len(u.watches))
	for _, w := range u.watches {
		ws = append(ws, w)
	}
	u.mu.Unlock()
	suspended := 0
	for _, w := range ws {
		if u.o.Journal == nil {
			w.lose("hooklab stopped before the run ended")
		} else if w.suspend() {
			suspended++
		}
	}
	if suspended > 0 {
		u.notice("info", "%d upstream run(s) still going are journalled: their webhooks are sent when hooklab next starts in front of %s with this store", suspended, u.label)
	}
	u.cancel()
	u.wg.Wait()
	return nil
}

// Observing is the number of runs whose end hooklab is waiting for.
func (u *Upstream) Observing() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.watches)
}

// endpoint is the upstream URL of path (which starts with /).
func (u *Upstream) endpoint(path string) string {
	return u.base.String() + path
}

// emit records an event.
func (u *Upstream) emit(kind hub.Kind, payload any) { u.o.Recorder.Append(kind, payload) }

func (u *Upstream) notice(level, format string, args ...any) {
	u.emit(hub.KindNotice, hub.NoticeInfo{Level: level, Text: fmt.Sprintf(format, args...)})
}

// writeDetail answers {"detail": ...} with status code.
func writeDetail(w http.ResponseWriter, code int, detail string) {
	b, _ := json.Marshal(map[string]string{"detail": detail})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	w.WriteHeader(code)
	w.Write(b)
}

type nopRecorder struct{}

func (nopRecorder) Append(hub.Kind, any) {}
