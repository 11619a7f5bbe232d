package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/store"
)

// ReplayOptions are the settings of `hooklab replay`.
type ReplayOptions struct {
	Replay    sender.Replay
	StorePath string // default: store.DefaultPath
	JSON      bool   // print the new delivery as JSON
	// Diff prints what the replay changed against the original, the diff
	// the dashboard shows (sender.DiffReplay); with JSON, the delivery
	// and the diff as {"delivery", "diff"}.
	Diff   bool
	Getenv func(string) (string, bool)
	// Direct sends the delivery from this process, recording into st, when
	// no hooklab owns the store. A config problem is a *config.Error.
	Direct func(ctx context.Context, st *store.Store, rp sender.Replay) (sender.Delivery, error)
}

// Replay sends a stored delivery (by id or unique prefix) again and
// prints the outcome, and with o.Diff what it changed. It goes through
// the hooklab that owns the store when one is running, else through
// o.Direct. delivered reports a 2xx; errors start with "hooklab replay:"
// (a *config.Error inside is a config problem, a *UsageError an
// ambiguous prefix naming the candidates).
func Replay(ctx context.Context, o ReplayOptions, stdout, stderr io.Writer) (delivered bool, err error) {
	src, err := openSource(o.StorePath, o.Getenv, true, "hooklab replay")
	if err != nil {
		return false, err
	}
	defer src.close()
	rp := o.Replay
	// The original: the prefix resolved here, and the left side of --diff.
	orig, err := src.delivery(ctx, rp.ID)
	if err != nil {
		return false, lookupError("hooklab replay", err, rp.ID)
	}
	rp.ID = orig.ID
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
		d, err = o.Direct(ctx, src.st, rp)
		var ce *config.Error
		if errors.As(err, &ce) {
			return false, fmt.Errorf("hooklab replay: %w", err)
		}
	}
	if err != nil && d.ID == "" {
		return false, fmt.Errorf("hooklab replay: %s", describe(err, rp.ID))
	}
	diff := sender.DiffReplay(orig, d)
	switch {
	case o.JSON && o.Diff:
		b, _ := store.MarshalIndent(map[string]any{"delivery": d, "diff": diff}, "", "  ")
		fmt.Fprintln(stdout, string(b))
	case o.JSON:
		b, _ := store.MarshalIndent(d, "", "  ")
		fmt.Fprintln(stdout, string(b))
	default:
		fmt.Fprintln(stdout, outcomeLine(d))
		if o.Diff {
			fmt.Fprint(stdout, diff.Text())
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "hooklab replay:", err)
	}
	return d.Outcome == sender.OutcomeDelivered, nil
}

// ParseHeader reads a --header NAME:VALUE flag.
func ParseHeader(v string) (sender.Header, error) {
	name, value, ok := strings.Cut(v, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return sender.Header{}, fmt.Errorf("want NAME:VALUE, e.g. X-Test:1, got %q", v)
	}
	return sender.Header{Name: name, Value: strings.TrimSpace(value)}, nil
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
