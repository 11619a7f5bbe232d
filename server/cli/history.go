package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server"
	"hooklab/server/client"
	"hooklab/server/store"
)

func historyCommand(o *Options) *cobra.Command {
	var h client.HistoryOptions
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List stored deliveries, newest first, or print one as a curl command",
		Long: "List the stored webhook deliveries, newest first, with the delivery each replays. It asks the " +
			"hooklab that owns the store when one is running, else reads the file. --curl takes an id or a " +
			"unique prefix of one (the 8 characters the dashboard shows) and prints templated headers as " +
			"${VAR} from the templates in force when the delivery was made, and a relative URL with the " +
			"address of the hooklab that sent it.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("hooklab history: unexpected argument %q (did you mean --curl %s?)", args[0], args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if h.Limit < 1 || h.Limit > 10000 {
				return usagef("hooklab history: --limit must be from 1 to 10000, got %d", h.Limit)
			}
			h.Getenv = o.LookupEnv
			return exitFor(client.History(cmd.Context(), h, o.Stdout, o.Stderr))
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&h.JSON, "json", false, "print a JSON array instead of a table")
	fl.IntVar(&h.Limit, "limit", 50, "how many deliveries to show (1-10000)")
	fl.StringVar(&h.StorePath, "store", "", "history database (default under $XDG_STATE_HOME/hooklab)")
	fl.StringVar(&h.CurlID, "curl", "", "print this delivery (an id or a unique prefix) as a runnable curl command")
	fl.StringVar(&h.ConfigPath, "config", "", "header templates for --curl of a delivery recorded before hooklab kept them with it")
	return cmd
}

func replayCommand(o *Options) *cobra.Command {
	var (
		r        client.ReplayOptions
		bodyFile string
		headers  []string
		cfgPath  string
	)
	cmd := &cobra.Command{
		Use:   "replay ID",
		Short: "Send a stored delivery again and print the outcome",
		Long: "Send a stored delivery again: as it was, to another URL, with another body or headers. ID may " +
			"be a unique prefix (the 8 characters the dashboard shows). --diff prints what the replay changed, " +
			"the diff the dashboard shows. It " +
			"goes through the hooklab that owns the store when one is running, else sends the delivery " +
			"itself with the config of --config (else ./langgraph.json, else the embedded default), " +
			"re-resolving secret headers from the environment. Exit 1 unless it is delivered.",
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return usagef("hooklab replay: which delivery? pass its ID (list them with `hooklab history`)")
			case len(args) > 1:
				return usagef("hooklab replay: unexpected argument %q: replay takes one delivery ID", args[1])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Replay.ID = args[0]
			for _, v := range headers {
				h, err := client.ParseHeader(v)
				if err != nil {
					return usagef("hooklab replay: invalid value %q for flag -header: %v", v, err)
				}
				r.Replay.Headers = append(r.Replay.Headers, h)
			}
			if bodyFile != "" {
				b, err := os.ReadFile(bodyFile)
				if err != nil {
					return usagef("hooklab replay: --body: %v", err)
				}
				if !json.Valid(b) {
					return usagef("hooklab replay: --body %s is not valid JSON; webhooks carry JSON", bodyFile)
				}
				r.Replay.Body = b
			}
			r.Getenv = o.LookupEnv
			r.Direct = func(ctx context.Context, st *store.Store, rp sender.Replay) (sender.Delivery, error) {
				return replayDirect(ctx, st, rp, cfgPath, o)
			}
			delivered, err := client.Replay(cmd.Context(), r, o.Stdout, o.Stderr)
			if err == nil && !delivered {
				return quietExit(1)
			}
			return exitFor(err)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&r.Replay.URL, "to", "", "send to this URL instead of the original")
	fl.StringVar(&bodyFile, "body", "", "send the JSON in this file instead of the original body")
	fl.StringArrayVar(&headers, "header", nil, "set a header, NAME:VALUE (repeatable)")
	fl.StringVar(&r.StorePath, "store", "", "history database (default under $XDG_STATE_HOME/hooklab)")
	fl.StringVar(&cfgPath, "config", "", "the langgraph.json of a replay sent from here (default ./langgraph.json when it exists)")
	fl.BoolVar(&r.JSON, "json", false, "print the new delivery as JSON")
	fl.BoolVar(&r.Diff, "diff", false, "print what the replay changed against the original (request and response)")
	return cmd
}

// replayDirect sends a delivery from this process, recording into st: a
// hooklab assembled over the store, not serving (a relative URL is
// dispatched into its handler, the sink), and not started, so it resumes
// nothing an earlier hooklab left pending.
func replayDirect(ctx context.Context, st *store.Store, rp sender.Replay, cfgPath string, o *Options) (sender.Delivery, error) {
	f, err := config.LoadOrDefault(cfgPath)
	if err != nil {
		return sender.Delivery{}, err
	}
	rt, err := config.Resolve(f, o.LookupEnv)
	if err != nil {
		return sender.Delivery{}, err
	}
	app, err := server.Open(server.Config{Runtime: rt, LookupEnv: o.LookupEnv, Store: st, Version: o.Version, Resolver: o.Resolver})
	if err != nil {
		return sender.Delivery{}, err
	}
	defer closeApp(app)
	return app.Sender.Replay(ctx, rp)
}

// exitFor is the exit of a client command's error: 2 for a usage or
// config problem, 1 for any other.
func exitFor(err error) error {
	var ue *client.UsageError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue), configError(err):
		return &exitError{code: 2, err: err}
	}
	return failed(err)
}
