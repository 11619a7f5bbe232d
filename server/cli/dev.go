package cli

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/engine"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// devFlags are the flags of `hooklab dev` (and of `hooklab` alone).
type devFlags struct {
	addr, config, store, log string
	upstream                 string
	command                  []string // after --: the upstream to start
	token                    string
	allowHosts               []string
	headless                 bool
	runTimeout               time.Duration
	maxBody                  int64
	maxHistory, maxAge       string
}

func devCommand(o *Options) *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Serve the LangGraph API and open the dashboard (the default command)",
		Long: "Serve the LangGraph API on --addr with the built-in echo graph for every graph in langgraph.json, " +
			"send webhooks as LangGraph Platform does, and open the dashboard (or, with --headless or when " +
			"stdout is not a terminal, print one JSON event per line).",
		Args: devArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				f.command = args[dash:]
			}
			return f.run(cmd.Context(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", "127.0.0.1:2024", "address to serve on")
	fl.StringVar(&f.config, "config", "", "the langgraph.json to use (default ./langgraph.json when it exists, else the embedded default)")
	fl.StringVar(&f.store, "store", "", "history database (default under $XDG_STATE_HOME/hooklab; :memory: for none)")
	fl.BoolVar(&f.headless, "headless", false, "no dashboard: one JSON event per line on stdout")
	fl.DurationVar(&f.runTimeout, "run-timeout", time.Hour, "runs longer than this end with status timeout")
	fl.Int64Var(&f.maxBody, "max-body", 32<<20, "largest request body accepted, in bytes (larger gets 413)")
	fl.StringVar(&f.upstream, "upstream", "", "forward the LangGraph API to your own LangGraph server at this URL (with -- COMMAND ARGS... hooklab starts it)")
	fl.StringVar(&f.log, "log", "", "log file while the dashboard is open (default: next to the store; the temp dir with :memory:)")
	fl.StringArrayVar(&f.allowHosts, "allow-host", nil, "also answer requests whose Host is this name (repeatable; .example.com: the name and its subdomains); IP addresses and localhost always are")
	fl.StringVar(&f.maxHistory, "max-history", defaultMaxHistory, "keep the history store within this size on disk (500MB, 1GiB; 0: no limit), pruning the oldest runs")
	fl.StringVar(&f.maxAge, "max-age", "0", "prune runs older than this (90m, 12h, 7d; 0: keep them)")
	fl.StringVar(&f.token, "token", "", "require this token on hooklab's own API /hooklab/ (default $HOOKLAB_TOKEN; beyond loopback without one, a token is generated and printed)")
	return cmd
}

func (f *devFlags) run(ctx context.Context, o *Options) error {
	if f.maxBody <= 0 {
		return usagef("hooklab dev: --max-body %d: must be a positive number of bytes (default 33554432, 32 MiB)", f.maxBody)
	}
	if len(f.command) > 0 && f.upstream == "" {
		port := commandPort(f.command)
		if port == "" {
			return usagef("hooklab dev: which URL does %q serve? pass --upstream, or give the upstream command --port", f.command[0])
		}
		f.upstream = "http://127.0.0.1:" + port
	}
	maxHistory, err := parseSize("--max-history", f.maxHistory)
	if err != nil {
		return err
	}
	maxAge, err := parseAge("--max-age", f.maxAge)
	if err != nil {
		return err
	}
	token, err := f.devToken(o)
	if err != nil {
		return err
	}
	file, err := config.LoadOrDefault(f.config)
	if err != nil {
		return usagef("%v", err)
	}
	rt, err := config.Resolve(file, o.LookupEnv)
	if err != nil {
		return usagef("%v", err)
	}
	if err := checkGraphConfig(file, o.LookupEnv, f.upstream); err != nil {
		return err
	}
	if f.store == "" {
		f.store = store.DefaultPath(env(o.LookupEnv))
	}
	tui := !f.headless && o.Dashboard != nil && isTerminal(o.Stdout)
	tuneGC(o.LookupEnv, tui)
	logger, closeLog := newLogger(tui, f.log, f.store, o.Stderr)
	defer closeLog()

	app, err := server.Open(server.Config{
		Runtime: rt, LookupEnv: o.LookupEnv, Addr: f.addr, StorePath: f.store, WatchEvery: time.Second,
		RunTimeout: f.runTimeout, MaxBody: f.maxBody, Version: o.Version, Logger: logger, Resolver: o.Resolver,
		AllowHosts: f.allowHosts, Token: token, MaxHistory: maxHistory, MaxAge: maxAge,
		Upstream: f.upstream, UpstreamCommand: f.command, UpstreamOutput: upstreamOutput(tui, o.Stderr, logger),
	})
	if err != nil {
		return startError(err)
	}
	if err := app.Start(ctx); err != nil {
		closeApp(app)
		return startError(err)
	}
	warnExposed(o.Stderr, app, f.addr, token)
	var dashErr error
	if tui {
		editor, _ := o.LookupEnv("EDITOR")
		dashErr = o.Dashboard(ctx, Target{App: app, ConfigPath: file.Path, StorePath: f.store,
			Embedded: file.Embedded, Editor: editor, Logger: logger})
	} else {
		printEvents(ctx, app.Server.Subscribe(ctx), o.Stdout)
	}
	if err := closeApp(app); err != nil {
		fmt.Fprintln(o.Stderr, "hooklab: closing the store:", err)
	}
	if dashErr != nil && ctx.Err() == nil {
		return failed(fmt.Errorf("dashboard: %w", dashErr))
	}
	return nil
}

// devArgs allows arguments only after "--": the upstream command.
func devArgs(cmd *cobra.Command, args []string) error {
	n := len(args)
	if dash := cmd.ArgsLenAtDash(); dash >= 0 {
		n = dash
	}
	if n > 0 {
		return usagef("%s: unexpected argument %q: dev takes only flags, and the upstream command after -- (hooklab -h lists the commands)", cmd.CommandPath(), args[0])
	}
	return nil
}

// commandPort is the --port (or -p) an upstream command is given, or "".
func commandPort(argv []string) string {
	for i, a := range argv {
		switch {
		case (a == "--port" || a == "-p") && i+1 < len(argv):
			return argv[i+1]
		case strings.HasPrefix(a, "--port="):
			return strings.TrimPrefix(a, "--port=")
		}
	}
	return ""
}

// upstreamOutput is where the upstream command's output goes: stderr when
// headless; under the dashboard, which shows it, only the log file.
func upstreamOutput(tui bool, stderr io.Writer, logger *slog.Logger) func(string) {
	if tui {
		return func(line string) { logger.Info("upstream", "line", line) }
	}
	var mu sync.Mutex
	return func(line string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintln(stderr, "upstream | "+line)
	}
}

// startError is the exit of a hooklab that could not start: 2 when the
// fix is in how it was called (the upstream does not answer, a bad
// --upstream), 1 otherwise (the address is taken, the store cannot open).
func startError(err error) error {
	var ue *server.UpstreamError
	if errors.As(err, &ue) {
		return &exitError{code: 2, err: err}
	}
	return failed(err)
}

// closeApp gives a hooklab 5 s to wind down.
func closeApp(app *server.App) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return app.Close(ctx)
}

func env(lookup func(string) (string, bool)) func(string) string {
	return func(k string) string { v, _ := lookup(k); return v }
}

// checkGraphConfig refuses a LANGGRAPH_CONFIG that does not read, naming
// where it came from (the environment or langgraph.json's env). In front
// of an upstream it is the upstream's business.
func checkGraphConfig(file *config.File, lookup func(string) (string, bool), upstream string) error {
	if upstream != "" {
		return nil
	}
	v, ok := lookup("LANGGRAPH_CONFIG")
	from := "the environment"
	if !ok {
		v = file.Env["LANGGRAPH_CONFIG"]
		from = "env in " + cmp.Or(file.Path, "langgraph.json")
	}
	if _, err := engine.ParseGraphConfig(v); err != nil {
		return usagef("hooklab dev: %v (from %s)", err, from)
	}
	return nil
}

// tuneGC trades memory for CPU where that is cheap: the heap may grow 5x
// its live size before a collection. Headless, the live heap is a few MB
// (history lives on disk) and collections at the default ran often enough
// under load to cost about a fifth of the throughput. With the dashboard
// the live heap is ~30 MB (its window of 100k rows) and a soft memory
// limit of 128 MiB caps the growth (headless, 256 MiB). Measured with the
// dashboard open under a closed-loop load: the default cost ~30 µs of CPU
// per run and a tenth of the throughput; these settings keep the
// throughput within 10 % of headless for ~180 MB of RSS instead of ~146.
// GOGC and GOMEMLIMIT in the environment win.
func tuneGC(lookup func(string) (string, bool), tui bool) {
	if _, ok := lookup("GOGC"); !ok {
		debug.SetGCPercent(400)
	}
	if _, ok := lookup("GOMEMLIMIT"); !ok {
		limit := int64(256 << 20)
		if tui {
			limit = 128 << 20
		}
		debug.SetMemoryLimit(limit)
	}
}

// newLogger logs to stderr in headless mode and to a file under the
// dashboard, which owns the terminal.
func newLogger(tui bool, path, storePath string, stderr io.Writer) (*slog.Logger, func()) {
	if !tui {
		return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), func() {}
	}
	if path == "" {
		dir := filepath.Dir(storePath)
		if storePath == ":memory:" {
			dir = os.TempDir()
		}
		path = filepath.Join(dir, "hooklab.log")
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return slog.New(slog.DiscardHandler), func() {}
	}
	log.SetOutput(f)
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }
}

// printEvents is headless mode: one JSON event per line until ctx ends or
// the subscription closes.
func printEvents(ctx context.Context, sub *hub.Subscription, stdout io.Writer) {
	w := bufio.NewWriterSize(stdout, 64<<10)
	defer w.Flush()
	enc := json.NewEncoder(w)
	line := make([]byte, 0, 4096)
	flush := time.NewTicker(100 * time.Millisecond)
	defer flush.Stop()
	var reported uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-flush.C:
			if d := sub.Dropped(); d > reported {
				reported = d
				enc.Encode(map[string]any{"kind": "notice", "payload": map[string]any{"level": "warn", "text": fmt.Sprintf("stdout is slower than the event rate: %d events not printed (all are in the store: hooklab history)", d)}})
			}
			w.Flush()
		case e, ok := <-sub.C():
			if !ok {
				return
			}
			// The payload is JSON the store already encoded: write it as it
			// is rather than have encoding/json validate it again.
			line = append(line[:0], `{"seq":`...)
			line = strconv.AppendUint(line, e.Seq, 10)
			line = append(line, `,"time":"`...)
			line = e.Time.AppendFormat(line, time.RFC3339Nano)
			line = append(line, `","kind":"`...)
			line = append(line, e.Kind...)
			line = append(line, `","payload":`...)
			line = append(line, e.Payload...)
			line = append(line, "}\n"...)
			w.Write(line)
		}
	}
}

// errorIs reports whether err is a config problem, for exit code 2.
func configError(err error) bool {
	var ce *config.Error
	return errors.As(err, &ce)
}
