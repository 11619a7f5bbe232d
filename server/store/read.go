package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// defaultDeliveryLimit is DeliveryQuery's limit when it gives none.
const defaultDeliveryLimit = 100

// beforeRead makes reads consistent with earlier writes: it waits until
// everything queued so far is committed. While the disk is failing it does
// not wait; the read then sees what is committed.
func (s *Store) beforeRead(ctx context.Context) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if s.readOnly {
		return nil
	}
	err := s.wait(ctx, false)
	if err != nil && (errors.Is(err, ErrClosed) || ctx.Err() != nil) {
		return err
	}
	return nil
}

// Events returns stored events matching q, oldest first.
func (s *Store) Events(ctx context.Context, q Query) ([]hub.Event, error) {
	if err := s.beforeRead(ctx); err != nil {
		return nil, err
	}
	var (
		where = []string{"seq > ?"}
		args  = []any{int64(q.Since)}
	)
	if q.Before > 0 {
		where = append(where, "seq < ?")
		args = append(args, int64(q.Before))
	}
	if !s.readOnly {
		// A memory store's readers may see the writer's uncommitted rows;
		// the committed sequence bounds what we return.
		where = append(where, "seq <= ?")
		args = append(args, int64(s.lastSeq.Load()))
	}
	if len(q.Kinds) > 0 {
		where = append(where, "kind IN (?"+strings.Repeat(", ?", len(q.Kinds)-1)+")")
		for _, k := range q.Kinds {
			args = append(args, string(k))
		}
	}
	order := "ASC"
	if q.Newest {
		order = "DESC"
	}
	query := "SELECT seq, time, kind, payload FROM events WHERE " + strings.Join(where, " AND ") + " ORDER BY seq " + order
	if q.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, q.Limit)
	}
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []hub.Event
	for rows.Next() {
		var (
			e    hub.Event
			seq  int64
			t    int64
			kind string
			p    []byte
		)
		if err := rows.Scan(&seq, &t, &kind, &p); err != nil {
			return nil, s.readErr(err)
		}
		e.Seq, e.Time, e.Kind, e.Payload = uint64(seq), time.Unix(0, t).UTC(), hub.Kind(kind), p
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(err)
	}
	if q.Newest {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out, nil
}

// Load returns every record of t, in insertion order.
func (s *Store) Load(t Table) ([]Record, error) {
	if !knownTable(t) {
		return nil, fmt.Errorf("store: unknown table %q", t)
	}
	ctx := context.Background()
	if err := s.beforeRead(ctx); err != nil {
		return nil, err
	}
	// t is one of our constants (checked above), never user input.
	rows, err := s.rdb.QueryContext(ctx, "SELECT id, parent, data FROM "+string(t)+" ORDER BY rowid")
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var data []byte
		if err := rows.Scan(&r.ID, &r.Parent, &data); err != nil {
			return nil, s.readErr(err)
		}
		r.Data = data
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(err)
	}
	return out, nil
}

// Delivery returns one delivery, or an error wrapping ErrNotFound.
func (s *Store) Delivery(ctx context.Context, id string) (sender.Delivery, error) {
	out, err := s.deliveries(ctx, []string{"id = ?"}, []any{id}, "rowid", 1)
	if err != nil {
		return sender.Delivery{}, err
	}
	if len(out) == 0 {
		return sender.Delivery{}, s.notFound(id)
	}
	return out[0], nil
}

// Deliveries lists deliveries, newest first.
func (s *Store) Deliveries(ctx context.Context, q DeliveryQuery) ([]sender.Delivery, error) {
	var (
		where []string
		args  []any
	)
	if q.Outcome != "" {
		where = append(where, "outcome = ?")
		args = append(args, q.Outcome)
	}
	if q.URL != "" {
		// instr needs no escaping of % and _, unlike LIKE; lower() makes the
		// search case-insensitive as a user typing a filter expects.
		where = append(where, "instr(lower(url), lower(?)) > 0")
		args = append(args, q.URL)
	}
	if q.RunID != "" {
		where = append(where, "run_id = ?")
		args = append(args, q.RunID)
	}
	if !q.Since.IsZero() {
		where = append(where, "created_at >= ?")
		args = append(args, q.Since.UnixNano())
	}
	limit := q.Limit
	if limit <= 0 {
		limit = defaultDeliveryLimit
	}
	return s.deliveries(ctx, where, args, "created_at DESC, rowid DESC", limit)
}

// Unfinished lists deliveries still pending (to resume after a restart), oldest first.
func (s *Store) Unfinished(ctx context.Context) ([]sender.Delivery, error) {
	return s.deliveries(ctx, []string{"outcome = ?"}, []any{sender.OutcomePending}, "created_at ASC, rowid ASC", 0)
}

func (s *Store) deliveries(ctx context.Context, where []string, args []any, order string, limit int) ([]sender.Delivery, error) {
	if err := s.beforeRead(ctx); err != nil {
		return nil, err
	}
	query := "SELECT " + deliveryColumns + " FROM deliveries"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + order
	if limit > 0 {
		query += " LIMIT ?"
		args = append(args, limit)
	}
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.readErr(err)
	}
	defer rows.Close()
	var out []sender.Delivery
	for rows.Next() {
		d, err := s.scanDelivery(ctx, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, s.readErr(err)
	}
	return out, nil
}

// deliveryColumns are the columns scanDelivery reads, in order.
const deliveryColumns = "id, run_id, url, outcome, created_at, updated_at, data"

// scanDelivery reads one row of deliveryColumns.
func (s *Store) scanDelivery(ctx context.Context, rows *sql.Rows) (sender.Delivery, error) {
	var (
		cols             sender.Delivery
		created, updated int64
		data             []byte
	)
	if err := rows.Scan(&cols.ID, &cols.RunID, &cols.URL, &cols.Outcome, &created, &updated, &data); err != nil {
		return cols, s.readErr(err)
	}
	cols.CreatedAt, cols.UpdatedAt = time.Unix(0, created).UTC(), time.Unix(0, updated).UTC()
	js, err := s.unpackRow(ctx, data)
	if err != nil {
		return cols, fmt.Errorf("store: delivery %s: %w", cols.ID, err)
	}
	d, err := decodeDelivery(js, cols)
	if err != nil {
		return cols, fmt.Errorf("store: delivery %s: %w", cols.ID, err)
	}
	return d, nil
}

// readErr names the store in a read error and maps a closed pool to ErrClosed.
func (s *Store) readErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if s.checkOpen() != nil {
		return ErrClosed
	}
	return classify(s.path, err)
}
