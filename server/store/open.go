package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// quickCheckLimit is the largest file PRAGMA quick_check runs on at start-up.
// The check reads every page; above this size it would delay start-up by
// seconds, so bigger files get the header and schema checks only and later
// corruption surfaces as a write error (Err).
const quickCheckLimit = 256 << 20

// openTimeout bounds start-up work (inspection, migration).
const openTimeout = 30 * time.Second

// fileDSN is the SQLite URI of the file at abs with the given parameters.
func fileDSN(abs string, params ...string) string {
	u := url.URL{Scheme: "file", Path: abs, RawQuery: strings.Join(params, "&")}
	return u.String()
}

// openFile opens (creating if needed) the store file at path for writing.
func (s *Store) openFile(path string) error {
	abs, err := pathOf(path)
	if err != nil {
		return err
	}
	s.path = abs
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return fmt.Errorf("store: create %s: %w", filepath.Dir(abs), err)
	}
	size, err := fileSize(abs)
	if err != nil {
		return err
	}
	// The lock comes first so two hooklabs never inspect and migrate the
	// same file at once.
	if s.lock, err = acquireLock(abs); err != nil {
		return err
	}
	if err := checkHeader(abs, size); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	// No journal_mode in the DSN: switching to WAL writes the file, which
	// must wait until inspection says it is ours.
	if err := s.openWriter(ctx, fileDSN(abs, "_pragma=busy_timeout(5000)")); err != nil {
		return err
	}
	version, err := inspect(ctx, s.wconn, abs, size < quickCheckLimit)
	if err != nil {
		return err
	}
	if err := s.incrementalVacuum(ctx, version, size); err != nil {
		return err
	}
	var mode string
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return fmt.Errorf("store: %s: enable WAL: %w", abs, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("store: %s: cannot use WAL journal (got %q)", abs, mode)
	}
	// NORMAL in WAL mode loses nothing when the process is killed: the
	// committed pages are in the OS page cache. Only a power cut can cost
	// the last transactions.
	// wal_autocheckpoint off: the checkpointer goroutine does it (see
	// checkpoint.go); journal_size_limit cuts the WAL file back to the
	// size that triggers a checkpoint whenever SQLite starts it over. A 16 MiB cache
	// keeps big batches from spilling to the WAL mid-transaction.
	s.walBytes = walBytesFor(s.o.MaxBytes)
	s.setupPruner()
	for _, p := range []string{
		"PRAGMA synchronous = NORMAL", fmt.Sprintf("PRAGMA journal_size_limit = %d", s.walTrigger()),
		"PRAGMA wal_autocheckpoint = 0", "PRAGMA cache_size = -16384",
	} {
		if _, err := s.wconn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("store: %s: %w", abs, err)
		}
	}
	if err := s.finishWriter(ctx, version); err != nil {
		return err
	}
	if err := s.openJournal(ctx); err != nil {
		return err
	}
	s.rdb, err = sql.Open("sqlite", fileDSN(abs, "_pragma=busy_timeout(5000)", "_pragma=query_only(1)"))
	if err != nil {
		return err
	}
	s.rdb.SetMaxOpenConns(4)
	// Last: nothing after it may fail, or its goroutine would outlive Open.
	return s.startCheckpointer(fileDSN(abs, "_pragma=busy_timeout(5000)"))
}

// openReadOnly opens an existing store for reading only; no lock, no writer.
func (s *Store) openReadOnly(path string) error {
	abs, err := pathOf(path)
	if err != nil {
		return err
	}
	s.path = abs
	size, err := fileSize(abs)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("store: %s: %w (no store there yet)", abs, ErrNotFound)
	}
	if err := checkHeader(abs, size); err != nil {
		return err
	}
	if journalPending(abs) && !lockHeld(abs) {
		// A reader cannot merge them, and would list history without them.
		return fmt.Errorf("store: %s: %w", abs, ErrJournalPending)
	}
	s.rdb, err = sql.Open("sqlite", fileDSN(abs, "mode=ro", "_pragma=busy_timeout(5000)", "_pragma=query_only(1)"))
	if err != nil {
		return err
	}
	s.rdb.SetMaxOpenConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return classify(abs, err)
	}
	defer conn.Close()
	version, err := inspect(ctx, conn, abs, false)
	if err != nil {
		return err
	}
	if version < schemaVersion() {
		return fmt.Errorf("store: %s has schema version %d; run hooklab on it once to upgrade it, then retry", abs, version)
	}
	return s.loadLastSeq(ctx, conn)
}

// openMemory creates a private in-memory store. A shared-cache memory
// database with a random name lets the writer and the readers (separate
// connections) see the same data; read_uncommitted stops readers from
// blocking on the writer's table locks.
func (s *Store) openMemory() error {
	var b [8]byte
	_, _ = rand.Read(b[:])
	dsn := "file:hooklab-" + hex.EncodeToString(b[:]) + "?mode=memory&cache=shared&_pragma=busy_timeout(5000)"
	ctx, cancel := context.WithTimeout(context.Background(), openTimeout)
	defer cancel()
	if err := s.openWriter(ctx, dsn); err != nil {
		return err
	}
	if err := s.finishWriter(ctx, 0); err != nil {
		return err
	}
	var err error
	s.rdb, err = sql.Open("sqlite", dsn+"&_pragma=read_uncommitted(1)")
	if err != nil {
		return err
	}
	s.rdb.SetMaxOpenConns(4)
	return nil
}

// openWriter opens the writer's single connection.
func (s *Store) openWriter(ctx context.Context, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	s.wdb = db
	if s.wconn, err = db.Conn(ctx); err != nil {
		return classify(s.path, err)
	}
	return nil
}

// finishWriter migrates, prepares the writer's statements and reads the
// last sequence number.
func (s *Store) finishWriter(ctx context.Context, version int) error {
	if err := migrate(ctx, s.wconn, version); err != nil {
		return fmt.Errorf("%s: %w", s.path, err)
	}
	var err error
	if s.stmts, err = prepare(ctx, s.wconn); err != nil {
		return fmt.Errorf("store: %s: %w", s.path, err)
	}
	return s.loadLastSeq(ctx, s.wconn)
}

func (s *Store) loadLastSeq(ctx context.Context, conn *sql.Conn) error {
	var last sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT MAX(seq) FROM events").Scan(&last); err != nil {
		return classify(s.path, err)
	}
	s.lastSeq.Store(uint64(last.Int64))
	var until sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT CAST(value AS INTEGER) FROM hooklab_meta WHERE key = 'pruned_until'").Scan(&until)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return classify(s.path, err)
	}
	s.prunedUntil.Store(until.Int64)
	return nil
}

// vacuumLimit is the largest older store converted to incremental vacuum
// at open (a VACUUM rewrites the whole file); a larger one still stops
// growing at its limit, since pruned pages are reused, but does not shrink.
const vacuumLimit = 256 << 20

// incrementalVacuum makes a new database, or an older one up to
// vacuumLimit, give pruned pages back to the file system on request
// (PRAGMA incremental_vacuum), so its size follows the history's limit.
func (s *Store) incrementalVacuum(ctx context.Context, version int, size int64) error {
	if version == 0 {
		// Only before the first table exists; it takes effect with it.
		_, err := s.wconn.ExecContext(ctx, "PRAGMA auto_vacuum = INCREMENTAL")
		return err
	}
	var mode int
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return classify(s.path, err)
	}
	if mode == 2 || size > vacuumLimit {
		return nil
	}
	for _, q := range []string{"PRAGMA auto_vacuum = INCREMENTAL", "VACUUM"} {
		if _, err := s.wconn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: %s: %s: %w", s.path, q, err)
		}
	}
	return nil
}

// sqliteMagic starts every SQLite database file.
const sqliteMagic = "SQLite format 3\x00"

// checkHeader refuses a non-empty file that is not a SQLite database,
// before SQLite gets a chance to touch it.
func checkHeader(abs string, size int64) error {
	if size <= 0 {
		return nil // absent or empty: SQLite creates a fresh database
	}
	f, err := os.Open(abs)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(f, head); err != nil || string(head) != sqliteMagic {
		return corrupt(abs, "not a SQLite database")
	}
	return nil
}

// inspect checks that the database on conn is a hooklab store this binary
// can use, without writing to it, and returns its schema version (0 for a
// fresh database).
func inspect(ctx context.Context, conn *sql.Conn, abs string, quick bool) (int, error) {
	if quick {
		var res string
		if err := conn.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
			return 0, classify(abs, err)
		}
		if res != "ok" {
			return 0, corrupt(abs, "integrity check failed: "+res)
		}
	}
	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, classify(abs, err)
	}
	names, err := tableNames(ctx, conn)
	if err != nil {
		return 0, classify(abs, err)
	}
	if len(names) == 0 {
		if version != 0 {
			return 0, corrupt(abs, fmt.Sprintf("schema version %d but no tables", version))
		}
		return 0, nil
	}
	var app string
	err = conn.QueryRowContext(ctx, "SELECT value FROM hooklab_meta WHERE key = 'app'").Scan(&app)
	if err != nil && !errors.Is(err, sql.ErrNoRows) && slices.Contains(names, "hooklab_meta") {
		// Our table is there but cannot be read: damage, not a stranger.
		return 0, classify(abs, err)
	}
	if err != nil || app != "hooklab" {
		if len(names) > 5 {
			names = append(names[:5], "…")
		}
		return 0, corrupt(abs, "it is another application's SQLite database (tables: "+strings.Join(names, ", ")+")")
	}
	if version > schemaVersion() {
		return 0, fmt.Errorf("%w: %s has schema version %d, this hooklab knows up to %d; upgrade hooklab or pass --store with another path",
			ErrNewer, abs, version, schemaVersion())
	}
	return version, nil
}

func tableNames(ctx context.Context, conn *sql.Conn) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// corrupt is the ErrCorrupt error for abs, with the way out.
func corrupt(abs, why string) error {
	return fmt.Errorf("%w: %s: %s; it was left untouched: move it aside or pass --store with another path", ErrCorrupt, abs, why)
}

// classify turns SQLite's "not a database"/"malformed" errors into
// ErrCorrupt and leaves others as they are.
func classify(abs string, err error) error {
	if err == nil {
		return nil
	}
	if code := sqliteCode(err); code == sqlite3.SQLITE_NOTADB || code == sqlite3.SQLITE_CORRUPT {
		return corrupt(abs, err.Error())
	}
	return fmt.Errorf("store: %s: %w", abs, err)
}

// sqliteCode is the primary SQLite result code of err, 0 if it has none.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}
