package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"hooklab/config"
)

// checkURLUsage is check-url's usage line in its errors.
const checkURLUsage = "hooklab check-url [--config FILE] [--json] URL..."

func checkURLCommand(o *Options) *cobra.Command {
	var path string
	var asJSON, offline bool
	cmd := &cobra.Command{
		Use:   "check-url URL...",
		Short: "Show the URL-policy decision for each URL, check by check",
		Long: "Decide each URL as the platform's URL policy would, with the config of --config (else " +
			"./langgraph.json, else the embedded default), and show every check: the value in force and " +
			"where it came from. The platform stops at the first failure, which is the one it reports; " +
			"check-url runs the other checks too and lists every failure with the setting behind it. " +
			"Header templates are checked but their variables need not be set. With --offline host names " +
			"are not resolved and the address check of a name is not run. Exit 1 when any URL is refused.",
		RunE: func(cmd *cobra.Command, urls []string) error {
			if len(urls) == 0 {
				return usagef("hooklab check-url: no URL given; usage: %s", checkURLUsage)
			}
			f, err := config.LoadOrDefault(path)
			if err != nil {
				return usagef("hooklab check-url: %v", err)
			}
			p, err := config.ResolvePolicy(f)
			if err != nil {
				return usagef("hooklab check-url: %v", err)
			}
			for _, w := range f.Warnings {
				fmt.Fprintf(o.Stderr, "hooklab check-url: warning: %s: %s\n", f.Path, w)
			}
			// One lookup per host name for the whole run.
			co := config.CheckOptions{Resolver: config.NewResolveCache(o.Resolver, 0), Offline: offline}
			ds := make([]config.Decision, 0, len(urls))
			code := 0
			for _, u := range urls {
				d := p.Explain(cmd.Context(), u, co)
				if !d.Allowed {
					code = 1
				}
				ds = append(ds, d)
			}
			if err := config.WriteDecisions(o.Stdout, ds, asJSON); err != nil {
				return usagef("hooklab check-url: %v", err)
			}
			return quietExit(code)
		},
	}
	cmd.Flags().StringVar(&path, "config", "", "the langgraph.json to read (default ./langgraph.json when it exists, else the embedded default)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object per URL")
	cmd.Flags().BoolVar(&offline, "offline", false, "do not resolve host names: the address check of a name is not run")
	return cmd
}
