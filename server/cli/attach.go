package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"hooklab/server/client"
)

func attachCommand(o *Options) *cobra.Command {
	var headless bool
	cmd := &cobra.Command{
		Use:   "attach [URL]",
		Short: "Open the dashboard on a hooklab running elsewhere",
		Long: "Follow a running hooklab through its websocket feed: the dashboard when stdout is a terminal, " +
			"else (or with --headless) one JSON event per line. The default is ws://127.0.0.1:2024/hooklab/events.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("hooklab attach: unexpected argument %q: attach takes one URL, e.g. ws://127.0.0.1:2024/hooklab/events", args[1])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			target := "ws://127.0.0.1:2024/hooklab/events"
			if len(args) == 1 {
				target = args[0]
			}
			c, err := client.New(target, client.WithToken(client.EnvToken(o.LookupEnv)))
			if err != nil {
				return usagef("hooklab attach: %v", err)
			}
			if err := c.Ping(ctx); err != nil {
				return failed(fmt.Errorf("hooklab attach: %w", err))
			}
			if !headless && o.Dashboard != nil && isTerminal(o.Stdout) {
				if err := o.Dashboard(ctx, Target{Client: c}); err != nil && ctx.Err() == nil {
					return failed(fmt.Errorf("hooklab attach: %w", err))
				}
				return nil
			}
			printEvents(ctx, c.Subscribe(ctx), o.Stdout)
			if err := c.Err(); err != nil && ctx.Err() == nil {
				return failed(fmt.Errorf("hooklab attach: %w", err))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&headless, "headless", false, "print JSON lines instead of opening the dashboard")
	addTokenFlag(cmd, o)
	return cmd
}
