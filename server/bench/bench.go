// Package bench is `hooklab bench`: bounded load of runs with webhooks
// against hooklab or any LangGraph-compatible server, and the ceiling
// server that shows what the same load costs a server doing nothing else.
//
// Closed loop (the default): each of C lanes keeps exactly one run
// outstanding: it creates a run whose webhook points at the bench's own
// loopback receiver, waits until that run's webhook arrives (or a per-run
// timeout, which counts it as missing), and only then creates the next
// one. This is how a real client that reacts to webhooks loads a server,
// and it makes create-to-webhook latency an honest number: a server that
// answers POST /runs quickly but delivers late cannot hide it.
//
// Paced (--pace R): an open loop. Run n starts at (n-1)/R seconds whatever
// is outstanding, each waiting for its own webhook, so latency is measured
// at a fixed load that does not ease off when the server stalls.
//
// Every loop is bounded by --runs and --duration (a hard stop); the open
// loop also by --max-in-flight. A run counts when its webhook arrives;
// missing and duplicated webhooks are reported.
//
// With --pid the bench reads the server's CPU time, that of its whole
// process tree, from /proc before and after the load, and reports it per
// finished run. Linux counts it in clock ticks (usually 10 ms), so short
// windows are coarse.
//
// With --webhook pointing at someone else's receiver the bench cannot see
// deliveries: it still measures runs/s and request latency, and reports
// webhook figures as not measured (null in --json).
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
)

// Mode is which run-creating route a lane calls.
type Mode string

// The modes of --mode.
const (
	ModeCreate Mode = "create" // POST /runs (background run), then wait for the webhook
	ModeWait   Mode = "wait"   // POST /runs/wait, then wait for the webhook
	ModeStream Mode = "stream" // POST /runs/stream read to the end, then wait for the webhook
	ModeThread Mode = "thread" // POST /threads once per lane, then POST /threads/{id}/runs
)

// Options configure one bench.
type Options struct {
	URL         string        // target server, e.g. http://127.0.0.1:2024 (required by Run)
	Runs        int           // runs to create in all (default 2000)
	Concurrency int           // lanes, each with one run outstanding (default 16)
	Rate        float64       // runs started per second across all lanes; 0: as fast as the lanes go
	Duration    time.Duration // hard stop (default 30 s)
	Mode        Mode          // default ModeCreate
	Webhook     string        // "" = the bench's own loopback receiver (webhooks measured)
	Assistant   string        // assistant or graph id (default "agent")
	// RunTimeout is how long a lane waits for one run's webhook (and for
	// one request) before counting it missing (default 10 s).
	RunTimeout time.Duration
	// Pace, when set, replaces the lanes with an open loop: this many runs
	// start each second whatever is outstanding (Concurrency and Rate are
	// then unused).
	Pace float64
	// MaxInFlight bounds the runs outstanding in the open loop (default
	// 1024); a start that would exceed it waits and is counted as held.
	MaxInFlight int
	// PID, when set, is the server's process: its CPU time and that of all
	// its descendants is read from /proc before and after the load.
	PID int
	// Settle, with PID, waits up to this long before the load for the
	// server's process tree to go idle (0: start at once).
	Settle time.Duration
	// Progress, when set, is called about ten times a second while the
	// bench runs, and once more at the end, from one goroutine.
	Progress func(Progress)
}

// Progress is a snapshot of a bench in flight.
type Progress struct {
	Done     int           // runs finished (webhook received, or created when not measured)
	Total    int           // Options.Runs
	Elapsed  time.Duration // since the lanes started
	Duration time.Duration // Options.Duration
	Missing  int
	Errors   int
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Runs == 0 {
		o.Runs = 2000
	}
	if o.Concurrency == 0 {
		o.Concurrency = 16
	}
	if o.Duration == 0 {
		o.Duration = 30 * time.Second
	}
	if o.Mode == "" {
		o.Mode = ModeCreate
	}
	if o.Assistant == "" {
		o.Assistant = "agent"
	}
	if o.RunTimeout == 0 {
		o.RunTimeout = 10 * time.Second
	}
	if o.MaxInFlight == 0 {
		o.MaxInFlight = 1024
	}
	switch {
	case o.Runs < 0:
		return o, fmt.Errorf("--runs must be positive, got %d", o.Runs)
	case o.Concurrency < 0 || o.Concurrency > 4096:
		return o, fmt.Errorf("--concurrency must be between 1 and 4096, got %d", o.Concurrency)
	case o.Rate < 0:
		return o, fmt.Errorf("--rate must not be negative, got %v", o.Rate)
	case o.Duration < 0:
		return o, fmt.Errorf("--duration must be positive, got %s", o.Duration)
	case o.RunTimeout < 0:
		return o, fmt.Errorf("run timeout must be positive, got %s", o.RunTimeout)
	case o.Pace < 0:
		return o, fmt.Errorf("--pace must not be negative, got %v", o.Pace)
	case o.Pace > 0 && o.Rate > 0:
		return o, errors.New("--rate paces the closed loop's lanes and --pace is the open loop: give one of them")
	case o.Pace > 0 && o.Mode == ModeThread:
		return o, errors.New("--pace works with --mode create, wait or stream: a thread takes one run at a time, so thread mode needs the closed loop")
	case o.MaxInFlight < 0 || o.MaxInFlight > 65536:
		return o, fmt.Errorf("--max-in-flight must be between 1 and 65536, got %d", o.MaxInFlight)
	case o.Settle < 0:
		return o, fmt.Errorf("--settle must not be negative, got %s", o.Settle)
	case o.Settle > 0 && o.PID == 0:
		return o, errors.New("--settle waits for the server given by --pid to go idle: give --pid too")
	case o.PID < 0:
		return o, fmt.Errorf("--pid must be a process ID, got %d", o.PID)
	}
	switch o.Mode {
	case ModeCreate, ModeWait, ModeStream, ModeThread:
	default:
		return o, fmt.Errorf("--mode must be create, wait, stream or thread, got %q", o.Mode)
	}
	if o.URL != "" {
		if err := httpURL("--url", o.URL); err != nil {
			return o, err
		}
		o.URL = strings.TrimRight(o.URL, "/")
	}
	if o.Webhook != "" {
		if err := httpURL("--webhook", o.Webhook); err != nil {
			return o, err
		}
	}
	return o, nil
}

func httpURL(flagName, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s must be an absolute http(s) URL, got %q", flagName, raw)
	}
	return nil
}

// CLI is `hooklab bench` once its flags are read.
type CLI struct {
	Options
	JSON       bool   // print the result as one JSON object
	CPUProfile string // write a CPU profile of this process to this file
	// Local starts the in-process hooklab loaded when Options.URL is "":
	// its URL, a description, and how to stop it.
	Local func() (url, label string, stop func(context.Context) error, err error)
	// Ceiling, when set, serves the ceiling server on this loopback
	// address until ctx ends, instead of running a bench.
	Ceiling string
}

// ErrUsage marks an error in the options (exit code 2).
var ErrUsage = errors.New("usage")

// Run runs the bench and prints its result. ok is false when a run failed
// or a webhook is missing. An error wrapping ErrUsage is a bad option.
func (c CLI) Run(ctx context.Context, stdout, stderr io.Writer) (ok bool, err error) {
	if c.Ceiling != "" {
		return true, serveCeilingCommand(ctx, c.Ceiling, stderr)
	}
	o, err := c.Options.withDefaults()
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	target := o.URL
	if o.URL == "" {
		url, label, stop, err := c.Local()
		if err != nil {
			return false, fmt.Errorf("starting the in-process hooklab: %w", err)
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := stop(closeCtx); err != nil {
				fmt.Fprintln(stderr, "hooklab bench: stopping the in-process hooklab:", err)
			}
		}()
		o.URL, target = url, label
	}
	if c.CPUProfile != "" {
		f, err := os.Create(c.CPUProfile)
		if err != nil {
			return false, fmt.Errorf("%w: %w", ErrUsage, err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return false, err
		}
		defer pprof.StopCPUProfile()
	}

	if o.PID > 0 {
		if _, err := ReadTreeCPU(o.PID); err != nil {
			return false, fmt.Errorf("%w: %w", ErrUsage, err)
		}
	}

	var bar *progressLine
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(f.Fd()) {
		bar = newProgressLine(stderr)
		o.Progress = bar.update
	} else {
		o.Progress = (&progressLog{w: stderr, next: 5 * time.Second}).update
	}
	res, err := Run(ctx, o)
	if bar != nil {
		bar.clear()
	}
	if err != nil {
		return false, err
	}
	res.Target = target
	if c.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return false, err
		}
	} else {
		res.WriteText(stdout)
	}
	return res.OK(), nil
}

// serveCeilingCommand is `hooklab bench --serve-ceiling ADDR`. The ceiling
// POSTs to any URL it is given, so it listens on loopback only.
func serveCeilingCommand(ctx context.Context, addr string, stderr io.Writer) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("%w: --serve-ceiling must be a loopback address such as 127.0.0.1:2025 (the ceiling POSTs to any webhook URL it is given), got %q", ErrUsage, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "hooklab bench: ceiling server on http://%s (POST /runs, GET /ok) until interrupted\n", ln.Addr())
	return ServeCeiling(ctx, ln)
}
