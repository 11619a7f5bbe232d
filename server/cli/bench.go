package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/bench"
)

func benchCommand(o *Options) *cobra.Command {
	var (
		c    bench.CLI
		mode string
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a LangGraph server with runs that carry webhooks and report runs/s and latency",
		Long: "Create runs whose webhooks come back to the bench's own loopback receiver, and report " +
			"runs/s, webhooks/s and latency percentiles. Without --url it loads an in-process hooklab " +
			"with a file store in a temporary directory. Exit 1 when a run fails or a webhook is missing.",
		Args: noArgs("bench takes only flags"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.Pace > 0 && cmd.Flags().Changed("concurrency") {
				return usagef("hooklab bench: --concurrency sets the closed loop's lanes; the open loop of --pace is bounded by --max-in-flight instead")
			}
			c.Mode = bench.Mode(mode)
			c.Local = func() (string, string, func(context.Context) error, error) { return localHooklab(o) }
			ok, err := c.Run(cmd.Context(), o.Stdout, o.Stderr)
			switch {
			case errors.Is(err, bench.ErrUsage):
				return usagef("hooklab bench: %s", strings.TrimPrefix(err.Error(), bench.ErrUsage.Error()+": "))
			case err != nil:
				return failed(fmt.Errorf("hooklab bench: %w", err))
			case !ok:
				return quietExit(1)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&c.URL, "url", "", "target LangGraph-compatible server (default: an in-process hooklab with a temporary store)")
	fl.IntVar(&c.Runs, "runs", 2000, "runs to create in all")
	fl.IntVar(&c.Concurrency, "concurrency", 16, "lanes, each with one run outstanding")
	fl.Float64Var(&c.Rate, "rate", 0, "pace run starts to this many per second (0: closed loop, as fast as possible); for latency at a given load")
	fl.DurationVar(&c.Duration, "duration", 30*time.Second, "hard stop, whatever --runs says")
	fl.StringVar(&mode, "mode", string(bench.ModeCreate), "create | wait | stream | thread")
	fl.StringVar(&c.Webhook, "webhook", "", "webhook URL to send runs to (default: the bench's own loopback receiver; another receiver means webhook figures are not measured)")
	fl.StringVar(&c.Assistant, "assistant", "agent", "assistant id or graph id")
	fl.DurationVar(&c.RunTimeout, "run-timeout", 10*time.Second, "wait this long for one run's webhook before counting it missing")
	fl.Float64Var(&c.Pace, "pace", 0, "open loop: start this many runs per second whatever is outstanding, each waiting for its own webhook (instead of --concurrency lanes)")
	fl.IntVar(&c.MaxInFlight, "max-in-flight", 1024, "with --pace: at most this many runs outstanding (a start past it waits, and is counted as held)")
	fl.IntVar(&c.PID, "pid", 0, "the server's process ID: report its CPU time per run (the process and all its descendants, from /proc)")
	fl.DurationVar(&c.Settle, "settle", 0, "with --pid: first wait up to this long for the server to go idle (under 10% of a core), so work left from an earlier load is not counted")
	fl.StringVar(&c.Ceiling, "serve-ceiling", "", "instead of a bench, serve the ceiling server on this loopback address (e.g. 127.0.0.1:2025) until interrupted: POST /runs answers a canned run and POSTs a canned 1 KB webhook")
	fl.BoolVar(&c.JSON, "json", false, "print the result as one JSON object")
	fl.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the bench (client and, when in-process, server) to this file")
	return cmd
}

// localHooklab starts the in-process hooklab the bench loads: the
// embedded default config, a file store with history on in a temporary
// directory, no environment for header templates.
func localHooklab(o *Options) (url, label string, stop func(context.Context) error, err error) {
	dir, err := os.MkdirTemp("", "hooklab-bench-")
	if err != nil {
		return "", "", nil, err
	}
	noEnv := func(string) (string, bool) { return "", false }
	rt, err := config.Resolve(config.Default(), noEnv)
	if err == nil {
		var app *server.App
		app, err = server.Open(server.Config{Runtime: rt, LookupEnv: noEnv, Addr: "127.0.0.1:0",
			StorePath: filepath.Join(dir, "hooklab.db"), Version: o.Version})
		if err == nil {
			if err = app.Start(context.Background()); err == nil {
				stop = func(ctx context.Context) error {
					return errors.Join(app.Close(ctx), os.RemoveAll(dir))
				}
				return app.URL, "in-process hooklab (" + app.URL + ", file store in a temp dir)", stop, nil
			}
			closeApp(app)
		}
	}
	os.RemoveAll(dir)
	return "", "", nil, err
}
