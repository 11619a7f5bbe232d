package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// version is the User-Agent version of deliveries a CLI replay sends itself.
const version = "0.1.0"

// closeTimeout bounds the wind-down of a direct replay.
const closeTimeout = 5 * time.Second

// headerFlags collects repeated --header K:V flags.
type headerFlags []hub.HeaderKV

func (h *headerFlags) String() string { return fmt.Sprint(*h) }

func (h *headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return fmt.Errorf("want NAME:VALUE, e.g. X-Test:1, got %q", v)
	}
	*h = append(*h, hub.HeaderKV{Name: name, Value: strings.TrimSpace(value)})
	return nil
}

// ReplayCommand is `hooklab replay ID [--to URL] [--body FILE] [--header
// K:V]... [--store F] [--config F] [--json]`: send a stored delivery again
// and print the outcome. Flags may come before or after ID. It goes through
// the hooklab that owns the store when one is running, else it sends the
// delivery itself with the config of --config (else ./langgraph.json, else
// the embedded default), re-resolving secret headers from getenv
// (os.LookupEnv). Exit codes: 0 delivered, 1 any other outcome or error,
// 2 usage or config error.
func ReplayCommand(ctx context.Context, args []string, getenv func(string) (string, bool), stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("hooklab replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	to := fs.String("to", "", "send to this URL instead of the original")
	bodyFile := fs.String("body", "", "send the JSON in `FILE` instead of the original body")
	var headers headerFlags
	fs.Var(&headers, "header", "set a header, `NAME:VALUE` (repeatable)")
	storePath := fs.String("store", "", "history database (default under $XDG_STATE_HOME/hooklab)")
	cfgPath := fs.String("config", "", "langgraph.json for a direct replay (default ./langgraph.json when it exists)")
	asJSON := fs.Bool("json", false, "print the new delivery as JSON")
	id, err := parseWithID(fs, args, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2
	}
	if id == "" {
		fmt.Fprintln(stderr, "hooklab replay: which delivery? pass its ID (list them with `hooklab history`)")
		return 2
	}
	rp := sender.Replay{ID: id, URL: *to, Headers: headers}
	if *bodyFile != "" {
		b, err := os.ReadFile(*bodyFile)
		if err != nil {
			fmt.Fprintln(stderr, "hooklab replay: --body:", err)
			return 2
		}
		if !json.Valid(b) {
			fmt.Fprintf(stderr, "hooklab replay: --body %s is not valid JSON; webhooks carry JSON\n", *bodyFile)
			return 2
		}
		rp.Body = b
	}
	src, code := openSource(*storePath, getenv, true, stderr, "hooklab replay")
	if src == nil {
		return code
	}
	var d sender.Delivery
	if src.c != nil {
		d, err = src.c.Replay(ctx, rp)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				err = fmt.Errorf("asking the hooklab at %s that owns %s: %w", src.owner, src.path, err)
			}
		}
	} else {
		var cfgErr bool
		d, cfgErr, err = replayDirect(ctx, src.st, rp, *cfgPath, getenv)
		if cfgErr {
			src.close()
			fmt.Fprintln(stderr, "hooklab replay:", err)
			return 2
		}
	}
	src.close()
	if err != nil && d.ID == "" {
		fmt.Fprintln(stderr, "hooklab replay:", describe(err, id))
		return 1
	}
	if *asJSON {
		b, _ := store.MarshalIndent(d, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintln(stdout, outcomeLine(d))
	}
	if err != nil {
		fmt.Fprintln(stderr, "hooklab replay:", err)
	}
	if d.Outcome != sender.OutcomeDelivered {
		return 1
	}
	return 0
}

// parseWithID parses flags and the one ID argument in any order: flag
// parsing stops at the first non-flag, so what follows it is parsed again.
// On a usage error it has printed why and returns the error (flag.ErrHelp
// for -h).
func parseWithID(fs *flag.FlagSet, args []string, stderr io.Writer) (string, error) {
	var id string
	rest := args
	for len(rest) > 0 {
		if !strings.HasPrefix(rest[0], "-") || rest[0] == "-" {
			if id != "" {
				fmt.Fprintf(stderr, "hooklab replay: unexpected argument %q: replay takes one delivery ID\n", rest[0])
				return "", errors.New("unexpected argument")
			}
			id, rest = rest[0], rest[1:]
			continue
		}
		if err := fs.Parse(rest); err != nil {
			return "", err // the flag package has printed why
		}
		rest = fs.Args()
	}
	return id, nil
}

// outcomeLine is the one-line result of a replay.
func outcomeLine(d sender.Delivery) string {
	status := "-"
	if d.Status != 0 {
		status = fmt.Sprint(d.Status)
	}
	s := fmt.Sprintf("%s  status=%s  attempts=%d  url=%s  id=%s  replay_of=%s",
		d.Outcome, status, d.Attempts, d.URL, d.ID, d.ReplayOf)
	if d.Reason != "" {
		s += fmt.Sprintf("  reason=%q", d.Reason)
	}
	return s
}

// replayDirect sends the delivery from this process, recording into st.
// cfgErr reports that err is a config problem (exit 2).
func replayDirect(ctx context.Context, st *store.Store, rp sender.Replay, cfgPath string, getenv func(string) (string, bool)) (d sender.Delivery, cfgErr bool, err error) {
	orig, err := st.Delivery(ctx, rp.ID)
	if err != nil {
		return d, false, err
	}
	f, err := config.LoadOrDefault(cfgPath)
	if err != nil {
		return d, true, err
	}
	rt, err := config.Resolve(f, getenv)
	if err != nil {
		return d, true, err
	}
	h := hub.New()
	defer h.Close()
	// No Start: Start would also resume the pending deliveries a stopped
	// hooklab left behind, and a replay command must send only the one
	// delivery it was asked for. Replay runs on this goroutine without it.
	snd := sender.New(sender.Options{Recorder: st, Runtime: func() *config.Runtime { return rt }, Version: version})
	if strings.HasPrefix(cmp.Or(rp.URL, orig.URL), "/") {
		// A relative URL is dispatched into hooklab's own handler (the sink).
		srv, err := server.New(server.Options{Store: st, Hub: h, Sender: snd, Runtime: rt, LookupEnv: getenv,
			Version: version, Addr: defaultOwnerAddr})
		if err != nil {
			return d, false, err
		}
		snd.SetLocal(srv.Handler())
		defer func() {
			cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
			defer cancel()
			srv.Close(cctx)
		}()
	}
	d, err = snd.Replay(ctx, rp)
	cctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	snd.Close(cctx)
	return d, false, err
}
