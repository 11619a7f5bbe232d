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
	Getenv    func(string) (string, bool)
	// Direct sends the delivery from this process, recording into st, when
	// no hooklab owns the store. A config problem is a *config.Error.
	Direct func(ctx context.Context, st *store.Store, rp sender.Replay) (sender.Delivery, error)
}

// Replay sends a stored delivery again and prints the outcome. It goes
// through the hooklab that owns the store when one is running, else
// through o.Direct. delivered reports a 2xx; errors start with
// "hooklab replay:" (a *config.Error inside is a config problem).
func Replay(ctx context.Context, o ReplayOptions, stdout, stderr io.Writer) (delivered bool, err error) {
	src, err := openSource(o.StorePath, o.Getenv, true, "hooklab replay")
	if err != nil {
		return false, err
	}
	rp := o.Replay
	var d sender.Delivery
	if src.c != nil {
		d, err = src.c.Replay(ctx, rp)
		if err != nil {
			var ae *APIError
			if !errors.As(err, &ae) {
				err = fmt.Errorf("asking the hooklab at %s that owns %s: %w", src.owner, src.path, err)
			}
		}
	} else if _, err = src.st.Delivery(ctx, rp.ID); err == nil {
		d, err = o.Direct(ctx, src.st, rp)
		var ce *config.Error
		if errors.As(err, &ce) {
			src.close()
			return false, fmt.Errorf("hooklab replay: %w", err)
		}
	}
	src.close()
	if err != nil && d.ID == "" {
		return false, fmt.Errorf("hooklab replay: %s", describe(err, rp.ID))
	}
	if o.JSON {
		b, _ := store.MarshalIndent(d, "", "  ")
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintln(stdout, outcomeLine(d))
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
