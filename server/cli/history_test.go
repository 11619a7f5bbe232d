package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hooklab/config"
	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// historyJSON runs `history --json` and decodes it.
func historyJSON(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	code, out, errs := history(t, noEnv, append([]string{"--json"}, args...)...)
	if code != 0 {
		t.Fatalf("history --json: exit %d: %s", code, errs)
	}
	var rows []map[string]any
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("history --json printed %q: %v", out, err)
	}
	return rows
}

func checkRows(t *testing.T, rows []map[string]any, wantIDs []string) {
	t.Helper()
	if len(rows) != len(wantIDs) {
		t.Fatalf("got %d rows, want %d: %v", len(rows), len(wantIDs), rows)
	}
	for i, r := range rows {
		for _, k := range []string{"id", "run_id", "url", "outcome", "attempts", "created_at", "status", "replay_of", "reason"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("row %d has no %q: %v", i, k, r)
			}
		}
		if r["id"] != wantIDs[i] {
			t.Errorf("row %d is %v, want %s (newest first)", i, r["id"], wantIDs[i])
		}
		if r["outcome"] != sender.OutcomeDelivered || r["attempts"] != float64(1) || r["status"] != float64(200) {
			t.Errorf("row %d = %v", i, r)
		}
		if _, err := time.Parse(time.RFC3339, r["created_at"].(string)); err != nil {
			t.Errorf("row %d created_at: %v", i, err)
		}
	}
}

func TestHistoryCommandOwnerThenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	l := startLab(t, path, config.Default(), noEnv)
	if err := l.St.SetOwnerAddr(l.Addr); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, 200)
	d1 := l.Delivered(t, l.Run(t, rcv.URL+"/first"))
	d2 := l.Delivered(t, l.Run(t, rcv.URL+"/second"))
	if err := l.St.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if addr, ok := store.OwnerAddr(path); !ok || addr != l.Addr {
		t.Fatalf("OwnerAddr = %q, %v", addr, ok)
	}

	// Through the owner: its request log shows the question.
	checkRows(t, historyJSON(t, "--store", path), []string{d2.ID, d1.ID})
	if !l.Served("/hooklab/deliveries") {
		t.Fatal("history did not ask the hooklab that owns the store")
	}
	checkRows(t, historyJSON(t, "--store", path, "--limit", "1"), []string{d2.ID})
	code, out, _ := history(t, noEnv, "--store", path)
	if code != 0 || !strings.Contains(out, "OUTCOME") || !strings.Contains(out, d1.ID) || !strings.Contains(out, rcv.URL+"/second") {
		t.Fatalf("history table: exit %d:\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || strings.Index(lines[0], "URL") != strings.Index(lines[1], rcv.URL) {
		t.Fatalf("table is not aligned:\n%s", out)
	}
	if !strings.HasPrefix(lines[3], "history: 2 runs, ") || !strings.Contains(lines[3], " on disk, the oldest from ") {
		t.Fatalf("history does not say how much it keeps: %q", lines[3])
	}
	code, out, errs := history(t, noEnv, "--store", path, "--curl", d1.ID)
	if code != 0 || !strings.Contains(out, "curl -X POST '"+rcv.URL+"/first'") || !strings.Contains(out, "--data-raw '") {
		t.Fatalf("history --curl: exit %d: %s%s", code, out, errs)
	}
	// The 8 characters of the run id a dashboard row shows name its delivery.
	code, out, errs = history(t, noEnv, "--store", path, "--curl", d2.RunID[:8])
	if code != 0 || !strings.Contains(out, "curl -X POST '"+rcv.URL+"/second'") {
		t.Fatalf("history --curl RUN_ID[:8]: exit %d: %s%s", code, out, errs)
	}
	if code, _, errs := history(t, noEnv, "--store", path, "--curl", "nope"); code != 1 || !strings.Contains(errs, "no delivery") {
		t.Fatalf("--curl unknown: exit %d: %s", code, errs)
	}

	// The owner is gone: the file is read directly, with the same answer.
	l.Close()
	if _, ok := store.OwnerAddr(path); ok {
		t.Fatal("a closed hooklab still owns the store")
	}
	checkRows(t, historyJSON(t, "--store", path), []string{d2.ID, d1.ID})
	if code, out, _ := history(t, noEnv, "--store", path); code != 0 || !strings.Contains(out, "\nhistory: 2 runs, ") {
		t.Fatalf("history from the file does not say how much it keeps: exit %d:\n%s", code, out)
	}
	if code, out, _ := history(t, noEnv, "--store", path, "--curl", d2.ID); code != 0 || !strings.Contains(out, rcv.URL+"/second") {
		t.Fatalf("history --curl from the file: exit %d: %s", code, out)
	}
	if code, _, _ := history(t, noEnv, "--store", path, "--curl", "nope"); code != 1 {
		t.Fatalf("--curl unknown from the file: exit %d", code)
	}
}

func TestHistoryCommandErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "none.db")
	code, _, errs := history(t, noEnv, "--store", missing)
	if code != 1 || !strings.Contains(errs, "does not exist") {
		t.Fatalf("missing store: exit %d: %s", code, errs)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("history created %v", ents)
	}
	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o600)
	if code, _, errs := history(t, noEnv, "--store", empty); code != 1 || !strings.Contains(errs, "the file is empty") {
		t.Fatalf("empty store file: exit %d: %s", code, errs)
	}
	if fi, _ := os.Stat(empty); fi.Size() != 0 {
		t.Fatalf("history turned an empty file into a store (%d bytes)", fi.Size())
	}
	os.Remove(empty)
	// The default path comes from getenv, and is not created either.
	xdg := func(k string) (string, bool) {
		if k == "XDG_STATE_HOME" {
			return dir, true
		}
		return "", false
	}
	if code, _, errs := history(t, xdg); code != 1 || !strings.Contains(errs, filepath.Join(dir, "hooklab", "hooklab.db")) {
		t.Fatalf("default store: exit %d: %s", code, errs)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("history created %v", ents)
	}
	notDB := filepath.Join(dir, "junk.db")
	os.WriteFile(notDB, []byte("not a database at all, just some text that is long enough"), 0o600)
	if code, _, errs := history(t, noEnv, "--store", notDB); code != 1 || errs == "" {
		t.Fatalf("junk store: exit %d: %s", code, errs)
	}
	for _, args := range [][]string{{"--limit", "0"}, {"extra"}, {"--nope"}, {"--store", ":memory:"}} {
		if code, _, _ := history(t, noEnv, args...); code != 2 {
			t.Errorf("history %v: exit %d, want 2", args, code)
		}
	}
}

// TestHelperWriter is the hooklab killed by TestHistoryAfterKill: it
// records deliveries, says READY, and waits to be killed.
func TestHelperWriter(t *testing.T) {
	path := os.Getenv("HOOKLAB_TEST_WRITER")
	if path == "" {
		t.Skip("helper process for TestHistoryAfterKill")
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(3)
	}
	// Left in the lock file by the dead process: must not be trusted.
	st.SetOwnerAddr("127.0.0.1:1")
	base := time.Now()
	for i := range 3 {
		at := base.Add(time.Duration(i) * time.Second)
		d := sender.Delivery{ID: fmt.Sprintf("killed-%d", i), RunID: "run", URL: "http://127.0.0.1:1/hook",
			Outcome: sender.OutcomeDelivered, Attempts: 1, Status: 200, Body: json.RawMessage(`{"run_id":"run"}`),
			Headers: []hub.HeaderKV{{Name: "Content-Type", Value: "application/json"}}, CreatedAt: at, UpdatedAt: at}
		st.PutDelivery(d)
	}
	if err := st.Flush(context.Background()); err != nil {
		fmt.Println("ERROR", err)
		os.Exit(3)
	}
	fmt.Println("READY")
	time.Sleep(30 * time.Second) // bounded: the parent kills us long before
	os.Exit(4)
}

func TestHistoryAfterKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperWriter$")
	cmd.Env = append(os.Environ(), "HOOKLAB_TEST_WRITER="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "READY" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the writer did not get ready")
		}
	case <-time.After(pollFor):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the writer did not get ready in time")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Logf("no WAL left behind (%v): the test still checks the read", err)
	}
	if _, ok := store.OwnerAddr(path); ok {
		t.Fatal("a killed hooklab still owns the store")
	}
	rows := historyJSON(t, "--store", path)
	if len(rows) != 3 || rows[0]["id"] != "killed-2" || rows[2]["id"] != "killed-0" {
		t.Fatalf("history after kill -9 = %v", rows)
	}
}
