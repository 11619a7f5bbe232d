package store

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
)

// openRaw opens path with plain database/sql, as another program would.
func openRaw(t testing.TB, path string, create bool) *sql.DB {
	t.Helper()
	dsn := fileDSN(path, "_pragma=busy_timeout(5000)")
	if !create {
		dsn = fileDSN(path, "mode=ro", "_pragma=busy_timeout(5000)")
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func hashFile(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestRefusesForeignFiles: files that are not hooklab stores, or come from
// a newer hooklab, are refused with a clear error and left byte-for-byte
// untouched.
func TestRefusesForeignFiles(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T, path string)
		want error
		msg  string
	}{
		{"random bytes", func(t *testing.T, path string) {
			b := make([]byte, 8192)
			rand.Read(b)
			os.WriteFile(path, b, 0o600)
		}, ErrCorrupt, "not a SQLite database"},
		{"text file", func(t *testing.T, path string) {
			os.WriteFile(path, []byte("hello\n"), 0o600)
		}, ErrCorrupt, "not a SQLite database"},
		{"foreign sqlite", func(t *testing.T, path string) {
			db := openRaw(t, path, true)
			mustExec(t, db, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')")
			db.Close()
		}, ErrCorrupt, "another application's SQLite database (tables: users)"},
		{"damaged hooklab store", func(t *testing.T, path string) {
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2000 {
				s.Append(hub.KindNotice, hub.NoticeInfo{Text: strings.Repeat("x", 200) + strconv.Itoa(i)})
			}
			s.Close()
			checkpoint(t, path)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			junk := make([]byte, 4096*3)
			rand.Read(junk)
			f.WriteAt(junk, 4096*4) // pages 5-7: b-tree pages of the events table
			f.Close()
		}, ErrCorrupt, ""},
		{"damaged hooklab tables", func(t *testing.T, path string) {
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			checkpoint(t, path)
			st, _ := os.Stat(path)
			junk := make([]byte, st.Size()-4096)
			rand.Read(junk)
			f, _ := os.OpenFile(path, os.O_RDWR, 0)
			f.WriteAt(junk, 4096) // all but page 1 (the schema): our tables, hooklab_meta included
			f.Close()
		}, ErrCorrupt, ""},
		{"newer hooklab", func(t *testing.T, path string) {
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			db := openRaw(t, path, true)
			mustExec(t, db, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion()+1))
			db.Close()
		}, ErrNewer, "upgrade hooklab"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hooklab.db")
			c.make(t, path)
			before := hashFile(t, path)
			for _, ro := range []bool{false, true} {
				s, err := Open(path, Options{ReadOnly: ro})
				if err == nil {
					s.Close()
					if ro && c.name == "damaged hooklab store" {
						continue // read-only opens skip the full page check
					}
					t.Fatalf("Open(ReadOnly=%v) succeeded", ro)
				}
				if !errors.Is(err, c.want) {
					t.Fatalf("Open(ReadOnly=%v) = %v, want %v", ro, err, c.want)
				}
				if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.msg) {
					t.Errorf("error %q does not name the file and %q", err, c.msg)
				}
				if c.name == "damaged hooklab tables" && strings.Contains(err.Error(), "another application") {
					t.Errorf("Open(ReadOnly=%v) calls our own damaged store a stranger's: %v", ro, err)
				}
				if c.want == ErrCorrupt && !strings.Contains(err.Error(), "--store") {
					t.Errorf("error %q gives no way out", err)
				}
			}
			if hashFile(t, path) != before {
				t.Fatal("the refused file was modified")
			}
		})
	}
}

func mustExec(t testing.TB, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// checkpoint folds the WAL into the main file so it can be damaged.
func checkpoint(t *testing.T, path string) {
	t.Helper()
	db := openRaw(t, path, true)
	mustExec(t, db, "PRAGMA wal_checkpoint(TRUNCATE)")
	mustExec(t, db, "PRAGMA journal_mode = DELETE")
	db.Close()
}

func TestReadOnlyBesideOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("read-only open of a missing file: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("read-only open created the file")
	}
	w := mustOpen(t, path, Options{})
	w.PutDelivery(delivery("d1", "r1", "http://x/", sender.OutcomeDelivered, time.Now()))
	w.Append(hub.KindNotice, hub.NoticeInfo{Text: "one"})
	mustFlush(t, w)

	r := mustOpen(t, path, Options{ReadOnly: true})
	ds, err := r.Deliveries(context.Background(), DeliveryQuery{})
	if err != nil || len(ds) != 1 {
		t.Fatalf("read-only Deliveries = %+v, %v", ds, err)
	}
	// The owner keeps writing; the reader sees it.
	w.Append(hub.KindNotice, hub.NoticeInfo{Text: "two"})
	mustFlush(t, w)
	if evs, err := r.Events(context.Background(), Query{}); err != nil || len(evs) != 2 {
		t.Fatalf("read-only Events = %d, %v", len(evs), err)
	}
	r.Append(hub.KindNotice, hub.NoticeInfo{Text: "nope"})
	if !errors.Is(r.Err(), ErrReadOnly) || r.Flush(context.Background()) != nil {
		t.Fatalf("write to a read-only store: Err = %v", r.Err())
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	a := mustOpen(t, path, Options{})
	if err := a.SetOwnerAddr("127.0.0.1:4242"); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, Options{})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) ||
		!strings.Contains(err.Error(), "127.0.0.1:4242") {
		t.Fatalf("second Open: %v", err)
	}
	if addr, ok := OwnerAddr(path); !ok || addr != "127.0.0.1:4242" {
		t.Fatalf("OwnerAddr = %q, %v", addr, ok)
	}
	a.Close()
	if addr, ok := OwnerAddr(path); ok {
		t.Fatalf("OwnerAddr after Close = %q", addr)
	}
	b := mustOpen(t, path, Options{})
	if addr, ok := OwnerAddr(path); ok {
		t.Fatalf("OwnerAddr before SetOwnerAddr = %q", addr)
	}
	b.Close()
	if _, ok := OwnerAddr(filepath.Join(t.TempDir(), "none.db")); ok {
		t.Fatal("OwnerAddr of a store that never existed")
	}
}

// helperEnv makes the test binary act as a hooklab process that writes to
// the store named by the variable, then waits to be killed.
const helperEnv = "HOOKLAB_STORE_HELPER"

// TestHelperProcess is not a real test: TestKill9 runs the test binary with
// it as a child process.
func TestHelperProcess(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	s.SetOwnerAddr("127.0.0.1:7777")
	for i := range 1000 {
		s.Append(hub.KindAttempt, sender.Attempt{DeliveryID: fmt.Sprintf("d%d", i%100), Attempt: 1})
		if i%10 == 0 {
			d := delivery(fmt.Sprintf("d%d", i/10), "r", "http://x/", sender.OutcomeDelivered, time.Now())
			s.PutDelivery(d)
			s.Put(Runs, Record{ID: d.ID, Parent: "t", Data: json.RawMessage(`{}`)})
		}
	}
	if err := s.Flush(context.Background()); err != nil {
		fmt.Println("flush:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	// Keep writing (unflushed) until killed, so the kill lands mid-batch.
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s.Append(hub.KindNotice, hub.NoticeInfo{Text: "more"})
		s.PutDelivery(delivery("late", "r", "http://x/", sender.OutcomePending, time.Now()))
	}
	os.Exit(2)
}

func TestKill9(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hooklab.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				line <- "ready"
				return
			}
		}
		line <- "eof"
	}()
	select {
	case l := <-line:
		if l != "ready" {
			t.Fatal("helper exited before it was ready")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper never became ready")
	}
	// While the helper lives it owns the store.
	if addr, ok := OwnerAddr(path); !ok || addr != "127.0.0.1:7777" {
		t.Errorf("OwnerAddr while helper runs = %q, %v", addr, ok)
	}
	if _, err := Open(path, Options{}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), strconv.Itoa(cmd.Process.Pid)) {
		t.Errorf("Open beside the helper: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	if addr, ok := OwnerAddr(path); ok {
		t.Errorf("OwnerAddr after kill = %q", addr)
	}
	ctx := context.Background()
	// `hooklab history` reads the crashed store before anyone reopens it.
	ro := mustOpen(t, path, Options{ReadOnly: true})
	if evs, err := ro.Events(ctx, Query{}); err != nil || len(evs) < 1000 {
		t.Fatalf("read-only after kill -9: %d events, %v", len(evs), err)
	}
	ro.Close()
	s := mustOpen(t, path, Options{})
	evs, err := s.Events(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) < 1000 || uint64(len(evs)) != s.LastSeq() {
		t.Fatalf("after kill -9: %d events, LastSeq %d; want >= 1000 and no gaps", len(evs), s.LastSeq())
	}
	for i, e := range evs {
		if e.Seq != uint64(i+1) {
			t.Fatalf("gap at %d: seq %d", i, e.Seq)
		}
	}
	for i := range 100 {
		if _, err := s.Delivery(ctx, fmt.Sprintf("d%d", i)); err != nil {
			t.Fatalf("delivery d%d lost: %v", i, err)
		}
	}
	if runs, _ := s.Load(Runs); len(runs) != 100 {
		t.Fatalf("runs after kill -9 = %d", len(runs))
	}
	// And the store takes writes again.
	s.Append(hub.KindNotice, hub.NoticeInfo{Text: "after"})
	mustFlush(t, s)
	if s.LastSeq() != uint64(len(evs))+1 {
		t.Fatalf("LastSeq = %d after one more append", s.LastSeq())
	}
}
