package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hooklab/sender"
)

// ErrAmbiguous matches an *AmbiguousError with errors.Is.
var ErrAmbiguous = errors.New("ambiguous id prefix")

// maxCandidates is how many matching ids an ambiguous prefix lists.
const maxCandidates = 10

// AmbiguousError is a delivery id prefix that matches more than one
// delivery. Candidates are the matching ids, newest first.
type AmbiguousError struct {
	Prefix     string   `json:"prefix"`
	Candidates []string `json:"candidates"`
	More       bool     `json:"more"` // more deliveries match than are listed
}

// Error names the candidates and the fix, on one line.
func (e *AmbiguousError) Error() string {
	more := ""
	if e.More {
		more = " and more"
	}
	return fmt.Sprintf("delivery id prefix %q matches %d deliveries: %s%s; give more characters of the id",
		e.Prefix, len(e.Candidates), strings.Join(e.Candidates, ", "), more)
}

// Unwrap returns ErrAmbiguous.
func (e *AmbiguousError) Unwrap() error { return ErrAmbiguous }

// FindDelivery returns the delivery whose id is idOrPrefix, or else the
// one delivery whose id starts with it, or else the first delivery of the
// one run whose id starts with it (the 8 characters the dashboard shows
// on a run's row, say). No match is an error wrapping ErrNotFound;
// several are an *AmbiguousError listing them.
func (s *Store) FindDelivery(ctx context.Context, idOrPrefix string) (sender.Delivery, error) {
	if idOrPrefix == "" {
		return sender.Delivery{}, fmt.Errorf("empty delivery id: %w", ErrNotFound)
	}
	d, err := s.Delivery(ctx, idOrPrefix)
	if !errors.Is(err, ErrNotFound) {
		return d, err
	}
	// GLOB is case-sensitive like the ids, and a prefix pattern uses the
	// primary key's index.
	rows, qerr := s.rdb.QueryContext(ctx, "SELECT id FROM deliveries WHERE id GLOB ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
		globPrefix(idOrPrefix), maxCandidates+1)
	if qerr != nil {
		return sender.Delivery{}, s.readErr(qerr)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return sender.Delivery{}, s.readErr(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return sender.Delivery{}, s.readErr(err)
	}
	switch len(ids) {
	case 0:
		return s.findByRun(ctx, idOrPrefix, err)
	case 1:
		return s.Delivery(ctx, ids[0])
	}
	return sender.Delivery{}, ambiguous(idOrPrefix, ids)
}

// findByRun is FindDelivery for a run id or its prefix; notFound is the
// error when no run matches either.
func (s *Store) findByRun(ctx context.Context, prefix string, notFound error) (sender.Delivery, error) {
	ids, err := s.runDeliveries(ctx, prefix)
	switch {
	case err != nil:
		return sender.Delivery{}, err
	case len(ids) == 0:
		return sender.Delivery{}, notFound
	case len(ids) > 1:
		return sender.Delivery{}, ambiguous(prefix, ids)
	}
	return s.Delivery(ctx, ids[0])
}

func ambiguous(prefix string, ids []string) *AmbiguousError {
	ae := &AmbiguousError{Prefix: prefix, Candidates: ids, More: len(ids) > maxCandidates}
	if ae.More {
		ae.Candidates = ids[:maxCandidates]
	}
	return ae
}

// runDeliveries returns, for each run whose id starts with prefix (up to
// maxCandidates+1 runs), its first delivery: the one its end made, not a
// replay. The dashboard's run rows show run ids, so a run id or its
// prefix names that run's delivery.
func (s *Store) runDeliveries(ctx context.Context, prefix string) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT (SELECT id FROM deliveries d WHERE d.run_id = r.run_id ORDER BY created_at, rowid LIMIT 1)
		FROM (SELECT DISTINCT run_id FROM deliveries WHERE run_id GLOB ? LIMIT ?) r`, globPrefix(prefix), maxCandidates+1)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, s.readErr(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(err)
	}
	return ids, nil
}

// globPrefix is a GLOB pattern matching strings that start with p: its
// wildcard characters are bracketed so they match themselves.
func globPrefix(p string) string {
	var b strings.Builder
	for _, c := range p {
		switch c {
		case '*', '?', '[':
			b.WriteString("[" + string(c) + "]")
		default:
			b.WriteRune(c)
		}
	}
	return b.String() + "*"
}
