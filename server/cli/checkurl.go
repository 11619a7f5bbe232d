package cli

import (
	"github.com/spf13/cobra"

	"hooklab/config"
)

// checkURLUsage is check-url's usage line in its errors.
const checkURLUsage = "hooklab check-url [--config FILE] [--json] URL..."

func checkURLCommand(o *Options) *cobra.Command {
	var path string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check-url URL...",
		Short: "Show the URL-policy decision for each URL, check by check",
		Long: "Decide each URL as the platform's URL policy would, with the config of --config (else " +
			"./langgraph.json, else the embedded default), and show every check: the value in force and " +
			"where it came from. Exit 1 when any URL is refused.",
		RunE: func(cmd *cobra.Command, urls []string) error {
			if len(urls) == 0 {
				return usagef("hooklab check-url: no URL given; usage: %s", checkURLUsage)
			}
			f, err := config.LoadOrDefault(path)
			if err != nil {
				return usagef("hooklab check-url: %v", err)
			}
			rt, err := config.Resolve(f, o.LookupEnv)
			if err != nil {
				return usagef("hooklab check-url: %v", err)
			}
			ds := make([]config.Decision, 0, len(urls))
			code := 0
			for _, u := range urls {
				d := rt.CheckURL(cmd.Context(), u, o.Resolver)
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
	return cmd
}
