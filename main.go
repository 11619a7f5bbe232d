// Command hooklab serves the LangGraph run API locally, sends webhooks
// exactly as LangGraph Platform does, and shows every request, URL-policy
// decision and delivery in a terminal dashboard.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server"
	"hooklab/server/bench"
	"hooklab/server/client"
	"hooklab/server/hub"
	"hooklab/server/store"
	"hooklab/ui"
)

const version = "0.1.0"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `hooklab: the LangGraph run API on your machine, with every webhook explained.

Usage:
  hooklab [dev] [--addr A] [--config F] [--store F|:memory:] [--headless] [--run-timeout D]
                [--max-body BYTES] [--log F]
  hooklab check-url [--config F] [--json] URL...
  hooklab history [--json] [--limit N] [--store F] [--config F] [--curl ID]
  hooklab replay ID [--to URL] [--body FILE] [--header K:V]... [--store F] [--config F] [--json]
  hooklab attach [ws://HOST:PORT/hooklab/events]   (default ws://127.0.0.1:2024/hooklab/events)
  hooklab bench [--runs N] [--concurrency C] [--duration D] [--mode create|wait|stream|thread]
                [--rate R] [--webhook URL] [--url URL] [--assistant ID] [--run-timeout D] [--json]

Each command's flags: hooklab COMMAND -h
`

// run is hooklab's whole program: main only adds the process around it.
// getenv is os.LookupEnv: header templates must tell "unset" from "empty".
func run(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	cmd := "dev"
	switch {
	case len(args) > 0 && slices.Contains([]string{"-h", "-help", "--help", "-version", "--version"}, args[0]):
		cmd = strings.TrimLeft(args[0], "-") // hooklab's own help, not dev's flags
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "dev":
		return dev(ctx, args, getenv, stdout, stderr)
	case "check-url":
		return config.CheckURLCommand(ctx, args, getenv, stdout, stderr)
	case "history":
		return client.HistoryCommand(ctx, args, getenv, stdout, stderr)
	case "replay":
		return client.ReplayCommand(ctx, args, getenv, stdout, stderr)
	case "attach":
		return attach(ctx, args, stdout, stderr)
	case "bench":
		return bench.Command(ctx, args, stdout, stderr)
	case "help", "h":
		fmt.Fprint(stdout, usage)
		return 0
	case "version":
		fmt.Fprintln(stdout, "hooklab", version)
		return 0
	}
	fmt.Fprintf(stderr, "hooklab: unknown command %q\n%s", cmd, usage)
	return 2
}

// flagExit is the exit code after a flag parse error, which the flag
// package has printed: 0 for -h (the help asked for), else 2.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

func env(getenv func(string) (string, bool)) func(string) string {
	return func(k string) string { v, _ := getenv(k); return v }
}

// dev starts the server, then the dashboard or the headless JSON feed.
func dev(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hooklab dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:2024", "address to serve on")
	cfgPath := fs.String("config", "", "langgraph.json (default ./langgraph.json when it exists, else the embedded default)")
	storePath := fs.String("store", "", "history database (default under $XDG_STATE_HOME/hooklab; :memory: for none)")
	headless := fs.Bool("headless", false, "no dashboard: one JSON event per line on stdout")
	runTimeout := fs.Duration("run-timeout", time.Hour, "runs longer than this end with status timeout")
	maxBody := fs.Int64("max-body", 32<<20, "largest request body accepted, in bytes (larger gets 413)")
	logPath := fs.String("log", "", "log file while the dashboard is open (default: next to the store; the temp dir with :memory:)")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hooklab dev: unexpected argument %q: dev takes only flags (hooklab -h lists the commands)\n", fs.Arg(0))
		return 2
	}
	if *maxBody <= 0 {
		fmt.Fprintf(stderr, "hooklab dev: --max-body %d: must be a positive number of bytes (default 33554432, 32 MiB)\n", *maxBody)
		return 2
	}
	f, err := config.LoadOrDefault(*cfgPath)
	if err != nil {
		fmt.Fprintln(stderr, "hooklab:", err)
		return 2
	}
	rt, err := config.Resolve(f, getenv)
	if err != nil {
		fmt.Fprintln(stderr, "hooklab:", err)
		return 2
	}
	if *storePath == "" {
		*storePath = store.DefaultPath(env(getenv))
	}
	tui := !*headless && isTerminal(stdout)
	tuneGC(getenv, tui)
	logger, closeLog := newLogger(tui, *logPath, *storePath, stderr)
	defer closeLog()

	events := hub.New()
	defer events.Close()
	st, err := store.Open(*storePath, store.Options{Publish: events.Publish, Logger: logger,
		// The store cannot record its own failure: tell the dashboard and
		// the feed directly, as a transient (Seq 0) notice.
		OnError: func(err error) {
			logger.Error("store write failed", "err", err)
			notify(events, "error", "store: "+err.Error()+"; the API keeps answering, new history is held in memory and retried")
		},
		OnRecover: func() { notify(events, "info", "store: writing again") },
	})
	if err != nil {
		fmt.Fprintln(stderr, "hooklab:", err)
		return 1
	}
	defer st.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "hooklab: cannot listen on %s: %v (is another hooklab or LangGraph server running? pick another --addr)\n", *addr, errors.Unwrap(err))
		return 1
	}
	var srv *server.Server
	snd := sender.New(sender.Options{
		Recorder: st, Runtime: func() *config.Runtime { return srv.Runtime() },
		Version: version, Logger: logger,
	})
	srv, err = server.New(server.Options{
		Store: st, Hub: events, Sender: snd, Runtime: rt, LookupEnv: getenv, RunTimeout: *runTimeout,
		MaxBody: *maxBody, Version: version, Addr: ln.Addr().String(), Logger: logger,
	})
	if err != nil {
		ln.Close()
		fmt.Fprintln(stderr, "hooklab:", err)
		return 1
	}
	snd.SetLocal(srv.Handler())
	httpSrv := &http.Server{
		Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go httpSrv.Serve(ln)
	if err := st.SetOwnerAddr(ln.Addr().String()); err != nil {
		logger.Warn("cannot record the store's owner", "err", err)
	}
	snd.Start(ctx)
	srv.Start()
	if !f.Embedded {
		go srv.WatchConfig(ctx, f.Path, time.Second)
	}
	st.Append(hub.KindNotice, hub.NoticeInfo{Level: "info", Text: fmt.Sprintf("hooklab %s listening on http://%s (config: %s, store: %s)", version, ln.Addr(), configLabel(f), *storePath)})

	code := 0
	if tui {
		b := server.NewBackend(srv, ui.Info{Addr: ln.Addr().String(), ConfigPath: f.Path, StorePath: *storePath, Version: version, Embedded: f.Embedded})
		editor, _ := getenv("EDITOR")
		if _, err := tea.NewProgram(ui.New(b, ui.WithEditor(editor), ui.WithLogger(logger)), tea.WithContext(ctx)).Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) && ctx.Err() == nil {
			fmt.Fprintln(stderr, "hooklab: dashboard:", err)
			code = 1
		}
	} else {
		printEvents(ctx, srv.Subscribe(ctx), stdout)
	}

	// Stop runs first (they stay pending in the store and run again on the
	// next start), which also releases /wait and stream answers; then let
	// requests finish; then give in-flight deliveries what is left of the
	// 5 s. The sender stores whatever has not finished as pending.
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Close(shutdown)
	httpSrv.Shutdown(shutdown)
	snd.Close(shutdown)
	if err := st.Close(); err != nil {
		fmt.Fprintln(stderr, "hooklab: closing the store:", err)
	}
	return code
}

// notify publishes a notice that is not stored (Seq 0).
func notify(h *hub.Hub, level, text string) {
	b, _ := json.Marshal(hub.NoticeInfo{Level: level, Text: text})
	h.Publish(hub.Event{Time: time.Now().UTC(), Kind: hub.KindNotice, Payload: b})
}

// tuneGC trades memory for CPU where that is cheap. Headless, the live heap
// is a few MB (history lives on disk) and GC ran often enough under load to
// cost about a fifth of the throughput, so the heap may grow 5x. With the
// dashboard the live heap is ~25 MB (its window of 100k rows) and 5x of
// that would pass the 150 MB budget, so the default stays. A soft limit
// bounds both. GOGC and GOMEMLIMIT in the environment win.
func tuneGC(getenv func(string) (string, bool), tui bool) {
	if _, ok := getenv("GOGC"); !ok && !tui {
		debug.SetGCPercent(400)
	}
	if _, ok := getenv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(256 << 20)
	}
}

func configLabel(f *config.File) string {
	if f.Embedded {
		return "embedded default"
	}
	return f.Path
}

// printEvents is headless mode: one JSON event per line until ctx ends.
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

// attach prints a remote hooklab's feed (the dashboard when stdout is a terminal).
func attach(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hooklab attach", flag.ContinueOnError)
	fs.SetOutput(stderr)
	headless := fs.Bool("headless", false, "print JSON lines instead of opening the dashboard")
	if err := fs.Parse(args); err != nil {
		return flagExit(err)
	}
	target := "ws://127.0.0.1:2024/hooklab/events"
	switch fs.NArg() {
	case 0:
	case 1:
		target = fs.Arg(0)
	default:
		fmt.Fprintf(stderr, "hooklab attach: unexpected argument %q: attach takes one URL, e.g. ws://127.0.0.1:2024/hooklab/events\n", fs.Arg(1))
		return 2
	}
	c, err := client.New(target)
	if err != nil {
		fmt.Fprintln(stderr, "hooklab attach:", err)
		return 2
	}
	if err := c.Ping(ctx); err != nil {
		fmt.Fprintln(stderr, "hooklab attach:", err)
		return 1
	}
	if !*headless && isTerminal(stdout) {
		if _, err := tea.NewProgram(ui.New(c), tea.WithContext(ctx)).Run(); err != nil && ctx.Err() == nil && !errors.Is(err, tea.ErrProgramKilled) {
			fmt.Fprintln(stderr, "hooklab attach:", err)
			return 1
		}
		return 0
	}
	printEvents(ctx, c.Subscribe(ctx), stdout)
	if err := c.Err(); err != nil && ctx.Err() == nil {
		fmt.Fprintln(stderr, "hooklab attach:", err)
		return 1
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
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
