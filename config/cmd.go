package config

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// checkURLUsage is printed for -h and after usage errors.
const checkURLUsage = "usage: hooklab check-url [--config FILE] [--json] URL..."

// CheckURLCommand implements `hooklab check-url [--config F] [--json] URL...`
// (SPEC B1): it loads the config (--config, else ./langgraph.json when it
// exists, else the embedded default), resolves it as the server would (so a
// header template error is a config error), and prints the decision for each
// URL. It returns the exit code: 0 all allowed, 1 any refused, 2 config or
// usage error (one line on stderr). lookup is the process environment.
func CheckURLCommand(ctx context.Context, args []string, lookup func(string) (string, bool), stdout, stderr io.Writer) int {
	return CheckURLCommandWith(ctx, args, lookup, nil, stdout, stderr)
}

// CheckURLCommandWith is CheckURLCommand with an injected resolver (nil
// means net.DefaultResolver), so tests can map names to addresses.
func CheckURLCommandWith(ctx context.Context, args []string, lookup func(string) (string, bool), res Resolver, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-url", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // we print one line ourselves
	path := fs.String("config", "", "langgraph.json to read (default ./langgraph.json when it exists, else the embedded default)")
	asJSON := fs.Bool("json", false, "print one JSON object per URL")
	urls, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, checkURLUsage)
			return 0
		}
		fmt.Fprintf(stderr, "hooklab check-url: %v; %s\n", err, checkURLUsage)
		return 2
	}
	if len(urls) == 0 {
		fmt.Fprintf(stderr, "hooklab check-url: no URL given; %s\n", checkURLUsage)
		return 2
	}
	f, err := LoadOrDefault(*path)
	if err != nil {
		fmt.Fprintln(stderr, "hooklab check-url: "+err.Error())
		return 2
	}
	rt, err := Resolve(f, lookup)
	if err != nil {
		fmt.Fprintln(stderr, "hooklab check-url: "+err.Error())
		return 2
	}
	ds := make([]Decision, 0, len(urls))
	code := 0
	for _, u := range urls {
		d := rt.CheckURL(ctx, u, res)
		if !d.Allowed {
			code = 1
		}
		ds = append(ds, d)
	}
	if err := WriteDecisions(stdout, ds, *asJSON); err != nil {
		fmt.Fprintln(stderr, "hooklab check-url: "+err.Error())
		return 2
	}
	return code
}

// parseInterspersed parses flags wherever they stand among the URLs, so
// `check-url URL --json` means what it says; after "--" everything is a URL.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if !strings.HasPrefix(args[0], "-") || args[0] == "-" {
			pos, args = append(pos, args[0]), args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), nil
		}
		args = rest
	}
	return pos, nil
}

// LoadOrDefault applies the --config default of SPEC B1: path when given,
// else ./langgraph.json when it exists, else the embedded default.
func LoadOrDefault(path string) (*File, error) {
	if path != "" {
		return Load(path)
	}
	if _, err := os.Stat("langgraph.json"); err == nil {
		return Load("langgraph.json")
	}
	return Default(), nil
}
