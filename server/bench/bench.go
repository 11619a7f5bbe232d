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
	"flag"
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

// Command runs `hooklab bench`. Exit status: 0 when every run ended and
// every webhook arrived once, 1 when a run failed or a webhook is missing
// (or the bench could not run), 2 for a usage error.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hooklab bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	fs.StringVar(&o.URL, "url", "", "target LangGraph-compatible server (default: an in-process hooklab with a temporary store)")
	fs.IntVar(&o.Runs, "runs", 2000, "runs to create in all")
	fs.IntVar(&o.Concurrency, "concurrency", 16, "lanes, each with one run outstanding")
	fs.Float64Var(&o.Rate, "rate", 0, "pace run starts to this many per second (0: closed loop, as fast as possible); for latency at a given load")
	fs.DurationVar(&o.Duration, "duration", 30*time.Second, "hard stop, whatever --runs says")
	mode := fs.String("mode", string(ModeCreate), "create | wait | stream | thread")
	fs.StringVar(&o.Webhook, "webhook", "", "webhook URL to send runs to (default: the bench's own loopback receiver; another receiver means webhook figures are not measured)")
	fs.StringVar(&o.Assistant, "assistant", "agent", "assistant id or graph id")
	fs.DurationVar(&o.RunTimeout, "run-timeout", 10*time.Second, "wait this long for one run's webhook before counting it missing")
	fs.Float64Var(&o.Pace, "pace", 0, "open loop: start this many runs per second whatever is outstanding, each waiting for its own webhook (instead of --concurrency lanes)")
	fs.IntVar(&o.MaxInFlight, "max-in-flight", 1024, "with --pace: at most this many runs outstanding (a start past it waits, and is counted as held)")
	fs.IntVar(&o.PID, "pid", 0, "the server's process ID: report its CPU time per run (the process and all its descendants, from /proc)")
	fs.DurationVar(&o.Settle, "settle", 0, "with --pid: first wait up to this long for the server to go idle (under 10% of a core), so work left from an earlier load is not counted")
	ceiling := fs.String("serve-ceiling", "", "instead of a bench, serve the ceiling server on this loopback address (e.g. 127.0.0.1:2025) until interrupted: POST /runs answers a canned run and POSTs a canned 1 KB webhook")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the bench (client and, when in-process, server) to this file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hooklab bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *ceiling != "" {
		return serveCeilingCommand(ctx, *ceiling, stderr)
	}
	if o.Pace > 0 {
		var lanes bool
		fs.Visit(func(f *flag.Flag) { lanes = lanes || f.Name == "concurrency" })
		if lanes {
			fmt.Fprintln(stderr, "hooklab bench: --concurrency sets the closed loop's lanes; the open loop of --pace is bounded by --max-in-flight instead")
			return 2
		}
	}
	o.Mode = Mode(*mode)
	o, err := o.withDefaults()
	if err != nil {
		fmt.Fprintln(stderr, "hooklab bench:", err)
		return 2
	}

	target := o.URL
	if o.URL == "" {
		local, err := StartLocal("")
		if err != nil {
			fmt.Fprintln(stderr, "hooklab bench: starting the in-process hooklab:", err)
			return 1
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := local.Close(closeCtx); err != nil {
				fmt.Fprintln(stderr, "hooklab bench: stopping the in-process hooklab:", err)
			}
		}()
		o.URL = local.URL
		target = "in-process hooklab (" + local.URL + ", file store in a temp dir)"
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "hooklab bench:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "hooklab bench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	if o.PID > 0 {
		if _, err := ReadTreeCPU(o.PID); err != nil {
			fmt.Fprintln(stderr, "hooklab bench:", err)
			return 2
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
		fmt.Fprintln(stderr, "hooklab bench:", err)
		return 1
	}
	res.Target = target
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(stderr, "hooklab bench:", err)
			return 1
		}
	} else {
		res.WriteText(stdout)
	}
	if !res.OK() {
		return 1
	}
	return 0
}

// serveCeilingCommand is `hooklab bench --serve-ceiling ADDR`. The ceiling
// POSTs to any URL it is given, so it listens on loopback only.
func serveCeilingCommand(ctx context.Context, addr string, stderr io.Writer) int {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		fmt.Fprintf(stderr, "hooklab bench: --serve-ceiling must be a loopback address such as 127.0.0.1:2025 (the ceiling POSTs to any webhook URL it is given), got %q\n", addr)
		return 2
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(stderr, "hooklab bench:", err)
		return 1
	}
	fmt.Fprintf(stderr, "hooklab bench: ceiling server on http://%s (POST /runs, GET /ok) until interrupted\n", ln.Addr())
	if err := ServeCeiling(ctx, ln); err != nil {
		fmt.Fprintln(stderr, "hooklab bench:", err)
		return 1
	}
	return 0
}
