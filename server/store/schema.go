package store

import (
	"context"
	"database/sql"
	"fmt"
)

// appID is the SQLite application_id of a hooklab store ("hlab"), so tools
// like `file` and our own inspection can recognise one.
const appID = 0x686c6162

// migrations are the schema steps, in order. Step i takes the schema from
// version i to i+1; the version lives in PRAGMA user_version. Never edit a
// released step: add a new one. (A function, not a var: no package state.)
func migrations() []string {
	return []string{
		// 1: objects, the event log and deliveries.
		`CREATE TABLE hooklab_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
	INSERT INTO hooklab_meta (key, value) VALUES ('app', 'hooklab');
	CREATE TABLE assistants (id TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', data BLOB);
	CREATE TABLE threads (id TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', data BLOB);
	CREATE TABLE runs (id TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', data BLOB);
	CREATE INDEX runs_parent ON runs (parent);
	CREATE TABLE crons (id TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', data BLOB);
	CREATE TABLE events (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, kind TEXT NOT NULL, payload BLOB);
	CREATE INDEX events_kind ON events (kind, seq);
	CREATE TABLE deliveries (
		id TEXT PRIMARY KEY, run_id TEXT NOT NULL, url TEXT NOT NULL, outcome TEXT NOT NULL,
		created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, data BLOB);
	CREATE INDEX deliveries_created ON deliveries (created_at);
	CREATE INDEX deliveries_run ON deliveries (run_id);
	CREATE INDEX deliveries_outcome ON deliveries (outcome);`,
		// 2: two fewer B-trees per write on the hot path. Kind and outcome
		// filters read newest-first by seq or created_at and stop at their
		// limit, so they do not need an index of their own.
		`DROP INDEX events_kind;
	DROP INDEX deliveries_outcome;`,
		// 3: the items of the LangGraph store API (PUT /store/items): one
		// row per namespace and key, parent is the namespace's labels
		// joined with ".".
		`CREATE TABLE store_items (id TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', data BLOB);`,
		// 4: the runs hooklab observes on an upstream LangGraph server, so
		// their webhooks survive a restart: one row per run id, parent is
		// the thread id once known.
		`CREATE TABLE observations (id TEXT PRIMARY KEY, parent TEXT NOT NULL DEFAULT '', data BLOB);`,
		// 5: the dictionaries delivery rows are compressed with (dict.go),
		// and the count of runs the history holds (a run's first event is
		// pending, with its thread), kept by the writer and by pruning.
		// A dictionary's until is when the writer moved on to the next
		// one (unix ns; NULL while it is the current one): no row written
		// after it uses it, so pruning can tell when it is free.
		`CREATE TABLE dicts (id INTEGER PRIMARY KEY, data BLOB NOT NULL, until INTEGER);
	INSERT OR REPLACE INTO hooklab_meta (key, value) SELECT 'runs', CAST(COUNT(*) AS TEXT) FROM events
		WHERE kind = 'run' AND json_extract(payload, '$.status') = 'pending'
		AND json_extract(payload, '$.thread_id') IS NOT NULL;`,
	}
}

// schemaVersion is the version this binary writes.
func schemaVersion() int { return len(migrations()) }

// knownTable reports whether t is an object table; only these names are
// ever put into SQL text.
func knownTable(t Table) bool {
	switch t {
	case Assistants, Threads, Runs, Crons, StoreItems, Observations:
		return true
	}
	return false
}

// migrate brings the database on conn from version from to schemaVersion(),
// one transaction per step, so a crash mid-way leaves a consistent version.
func migrate(ctx context.Context, conn *sql.Conn, from int) error {
	steps := migrations()
	for v := from; v < len(steps); v++ {
		if err := step(ctx, conn, v, steps[v]); err != nil {
			return fmt.Errorf("store: migrate to schema version %d: %w", v+1, err)
		}
	}
	return nil
}

func step(ctx context.Context, conn *sql.Conn, v int, sqlText string) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	if _, err := conn.ExecContext(ctx, sqlText); err != nil {
		return err
	}
	// PRAGMA takes no parameters; v is an int we control.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return err
	}
	if v == 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", appID)); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, "COMMIT")
	return err
}
