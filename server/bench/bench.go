// Package bench is `hooklab bench`: bounded closed-loop load of runs with
// webhooks against hooklab or any LangGraph-compatible server.
package bench

import (
	"context"
	"fmt"
	"io"
)

// Command runs `hooklab bench`. STUB until the bench lands.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "hooklab bench: not built yet")
	return 2
}
