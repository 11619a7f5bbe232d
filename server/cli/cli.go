// Package cli is hooklab's command line: every subcommand with its flags,
// help and exit codes, built on cobra and styled by fang (help, errors,
// shell completions, a man page). main adds only the process around it and
// the dashboard, which it hands in as a Dashboard.
//
// Exit codes are the same for every command: 0 done, 1 the thing checked
// failed (a URL refused, a delivery not delivered, a missing webhook, an
// error while running), 2 a usage or config error. Flags may come before
// or after the arguments, with one dash or two (-json is --json), and "--"
// ends them.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"charm.land/fang/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"hooklab/config"
	"hooklab/server"
	"hooklab/server/client"
)

// Dashboard runs the terminal dashboard until the user quits or ctx ends.
type Dashboard func(ctx context.Context, t Target) error

// Target is what the dashboard watches: App in this process (hooklab
// dev), or Client over the network (hooklab attach).
type Target struct {
	App        *server.App
	Client     *client.Client
	ConfigPath string
	StorePath  string
	Embedded   bool
	Editor     string // $EDITOR, for edit-and-replay
	Logger     *slog.Logger
}

// Options are the process around the commands.
type Options struct {
	Version   string
	LookupEnv func(string) (string, bool) // os.LookupEnv: templates tell unset from empty
	Stdout    io.Writer
	Stderr    io.Writer
	Dashboard Dashboard       // nil: the commands print JSON lines instead
	Resolver  config.Resolver // DNS for the URL policy; nil: the system resolver
}

// exitError ends a command with an exit code; err, when set, is printed.
type exitError struct {
	code int
	err  error
}

// Error implements error.
func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// Unwrap returns the error printed.
func (e *exitError) Unwrap() error { return e.err }

// usagef is a usage or config error (exit 2).
func usagef(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// failed is a failure while running (exit 1).
func failed(err error) error { return &exitError{code: 1, err: err} }

// quietExit ends with code after the command has said everything.
func quietExit(code int) error { return &exitError{code: code} }

// Run runs hooklab with args (os.Args[1:]) and returns the exit code.
func Run(ctx context.Context, args []string, o Options) int {
	if o.LookupEnv == nil {
		o.LookupEnv = func(string) (string, bool) { return "", false }
	}
	root := newRoot(&o)
	root.SetArgs(longFlags(root, args))
	root.SetOut(o.Stdout)
	root.SetErr(o.Stderr)
	err := fang.Execute(ctx, root, fang.WithVersion(o.Version), fang.WithErrorHandler(printError))
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 2 // cobra's own: an unknown command or a bad argument
}

// printError prints one line (styled on a terminal) unless the command
// has already said everything.
func printError(w io.Writer, styles fang.Styles, err error) {
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "hooklab") {
		msg = "hooklab: " + msg
	}
	if f, ok := w.(term.File); ok && term.IsTerminal(f.Fd()) {
		fang.DefaultErrorHandler(w, styles, errors.New(msg))
		return
	}
	fmt.Fprintln(w, msg)
}

func newRoot(o *Options) *cobra.Command {
	root := &cobra.Command{
		Use:   "hooklab",
		Short: "The LangGraph run API on your machine, with every webhook explained",
		Long: "hooklab serves the LangGraph API locally (or in front of your own LangGraph server), " +
			"sends webhooks exactly as LangGraph Platform does, and shows every request, URL-policy " +
			"decision and delivery in a terminal dashboard. With no command it runs `hooklab dev`.",
		Example: "  hooklab --addr 127.0.0.1:2024\n" +
			"  hooklab check-url --json https://example.com/hook\n" +
			"  hooklab history --limit 20\n" +
			"  hooklab replay ID --to http://127.0.0.1:8000/hook\n" +
			"  hooklab attach ws://127.0.0.1:2024/hooklab/events\n" +
			"  hooklab bench --runs 2000",
		SilenceUsage: true,
	}
	root.SetVersionTemplate("hooklab {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	dev := devCommand(o)
	// hooklab alone is hooklab dev, with dev's flags.
	root.Flags().AddFlagSet(dev.Flags())
	root.RunE = dev.RunE
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("hooklab: unknown command %q (hooklab -h lists the commands)", args[0])
		}
		return nil
	}
	history, replay := historyCommand(o), replayCommand(o)
	addTokenFlag(history, o)
	addTokenFlag(replay, o)
	root.AddCommand(dev, checkURLCommand(o), history, replay, attachCommand(o), benchCommand(o), versionCommand(o))
	root.InitDefaultHelpCmd()
	for _, c := range root.Commands() {
		if c.Name() == "help" {
			c.Aliases = append(c.Aliases, "h")
		}
	}
	return root
}

func versionCommand(o *Options) *cobra.Command {
	return &cobra.Command{
		Use: "version", Short: "Print hooklab's version", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintln(o.Stdout, "hooklab", o.Version)
			return nil
		},
	}
}

// flagError words a flag error as Go's flag package did, names the
// command and shows its usage line (exit 2).
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		msg = "flag provided but not defined: -" + name
	} else if strings.HasPrefix(msg, "unknown shorthand flag: ") {
		if i := strings.LastIndex(msg, " in -"); i >= 0 {
			msg = "flag provided but not defined: " + msg[i+len(" in "):]
		}
	}
	usage := cmd.UseLine()
	if cmd.Name() == "check-url" {
		usage = checkURLUsage
	}
	return usagef("%s: %s; usage: %s", cmd.CommandPath(), msg, usage)
}

// longFlags rewrites "-name" and "-name=value" to "--name..." where name
// is a long flag of any command: Go's flag package, which hooklab's CLI
// used first, took one dash for long flags, and scripts still pass them.
// Nothing after "--" changes.
func longFlags(root *cobra.Command, args []string) []string {
	names := map[string]bool{"help": true, "version": true}
	var collect func(c *cobra.Command)
	collect = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { names[f.Name] = true })
		for _, sub := range c.Commands() {
			collect(sub)
		}
	}
	collect(root)
	out := make([]string, len(args))
	for i, a := range args {
		if a == "--" {
			copy(out[i:], args[i:])
			break
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "-"), "=")
		if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(name) > 1 && names[name] {
			a = "-" + a
		}
		out[i] = a
	}
	return out
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// noArgs refuses positional arguments, naming the first.
func noArgs(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usagef("%s: unexpected argument %q: %s", cmd.CommandPath(), args[0], what)
		}
		return nil
	}
}
