package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"hooklab/sender"
)

// ErrAmbiguous matches an *AmbiguousError with errors.Is.
var ErrAmbiguous = errors.New("ambiguous id prefix")

// maxCandidates is how many matching ids an ambiguous prefix lists.
const maxCandidates = 10

// AmbiguousError is an id prefix that matches more than one delivery, or
// (matching no delivery) more than one run. Candidates are the matching
// ids, newest first: run ids when Runs is set.
type AmbiguousError struct {
	Prefix     string   `json:"prefix"`
	Candidates []string `json:"candidates"`
	More       bool     `json:"more"` // more match than are listed
	Runs       bool     `json:"runs,omitempty"`
}

// Error names the candidates and the fix, on one line.
func (e *AmbiguousError) Error() string {
	more, what := "", "delivery id prefix %q matches %d deliveries"
	if e.More {
		more = " and more"
	}
	if e.Runs {
		what = "id prefix %q matches no delivery id but the ids of %d runs"
	}
	return fmt.Sprintf(what+": %s%s; give more characters of the id", e.Prefix, len(e.Candidates), strings.Join(e.Candidates, ", "), more)
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
	ids, qerr := s.ids(ctx, "SELECT id FROM deliveries WHERE id GLOB ? ORDER BY created_at DESC, rowid DESC LIMIT ?",
		globPrefix(idOrPrefix), maxCandidates+1)
	if qerr != nil {
		return sender.Delivery{}, qerr
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
// error when no run matches either. The dashboard's run rows show run
// ids, so a run id or its prefix names that run's first delivery (the one
// its end made, not a replay); several runs are listed newest first.
func (s *Store) findByRun(ctx context.Context, prefix string, notFound error) (sender.Delivery, error) {
	runs, err := s.ids(ctx, "SELECT run_id FROM deliveries WHERE run_id GLOB ? GROUP BY run_id ORDER BY MAX(created_at) DESC LIMIT ?",
		globPrefix(prefix), maxCandidates+1)
	switch {
	case err != nil:
		return sender.Delivery{}, err
	case len(runs) == 0:
		return sender.Delivery{}, notFound
	case len(runs) > 1:
		ae := ambiguous(prefix, runs)
		ae.Runs = true
		return sender.Delivery{}, ae
	}
	var id string
	err = s.rdb.QueryRowContext(ctx, "SELECT id FROM deliveries WHERE run_id = ? ORDER BY created_at, rowid LIMIT 1", runs[0]).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) { // pruned meanwhile
		return sender.Delivery{}, notFound
	}
	if err != nil {
		return sender.Delivery{}, s.readErr(err)
	}
	return s.Delivery(ctx, id)
}

func ambiguous(prefix string, ids []string) *AmbiguousError {
	ae := &AmbiguousError{Prefix: prefix, Candidates: ids, More: len(ids) > maxCandidates}
	if ae.More {
		ae.Candidates = ids[:maxCandidates]
	}
	return ae
}

// ids runs a query of one text column and returns its values.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.rdb.QueryContext(ctx, query, args...)
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
