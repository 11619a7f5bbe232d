package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/sender"
)

func journalDelivery(id string) sender.Delivery {
	now := time.Now().UTC()
	return sender.Delivery{ID: id, RunID: "run-" + id, URL: "http://127.0.0.1:9/hook", Outcome: sender.OutcomePending,
		Body: []byte(`{"run_id":"run-` + id + `","values":null}`), CreatedAt: now, UpdatedAt: now}
}

// TestJournalMergedOnOpen: what a killed hooklab journalled and never
// committed is in the table after the next Open; rows that exist are left
// as they are, a torn last line is skipped, and the journal is emptied.
func TestJournalMergedOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := mustOpen(t, path, Options{})
	journalled := journalDelivery("kept") // journalled before its attempt...
	kept := journalDelivery("kept")       // ...then committed as delivered
	kept.Outcome, kept.UpdatedAt = sender.OutcomeDelivered, journalled.UpdatedAt.Add(time.Millisecond)
	st.PutDelivery(kept)
	older := journalDelivery("older") // the pending row queued at Send...
	older.Body = []byte(`"queued"`)
	st.PutDelivery(older)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	newer := journalDelivery("older") // ...and the record journalled at the send, body fixed
	newer.Body, newer.UpdatedAt = []byte(`"sent"`), older.UpdatedAt.Add(time.Millisecond)
	var lines []string
	for _, d := range []sender.Delivery{journalDelivery("lost-1"), journalled, journalDelivery("lost-2"), newer} {
		b, _ := Marshal(d)
		lines = append(lines, string(b))
	}
	paths := journalPaths(path)
	os.WriteFile(paths[0], []byte(lines[0]+"\n"+lines[1]+"\n"+lines[3]+"\n"), 0o600)
	os.WriteFile(paths[1], []byte(lines[2]+"\n"+`{"id":"torn","run_`), 0o600)

	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrJournalPending) {
		t.Fatalf("read-only open with a journal to merge: %v, want ErrJournalPending", err)
	}
	st = mustOpen(t, path, Options{})
	ctx := context.Background()
	for id, outcome := range map[string]string{"lost-1": sender.OutcomePending, "lost-2": sender.OutcomePending, "kept": sender.OutcomeDelivered} {
		d, err := st.Delivery(ctx, id)
		if err != nil || d.Outcome != outcome || d.RunID != "run-"+id || !strings.Contains(string(d.Body), "run-"+id) {
			t.Errorf("%s after the merge: %+v, %v", id, d, err)
		}
	}
	if d, err := st.Delivery(ctx, "older"); err != nil || string(d.Body) != `"sent"` {
		t.Errorf("the journalled record should replace the older pending row: %s, %v", d.Body, err)
	}
	if _, err := st.Delivery(ctx, "torn"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a torn line was merged: %v", err)
	}
	if journalPending(st.path) {
		t.Error("the journal was not emptied after the merge")
	}
}

// TestJournalRotatesAndEmpties: the journal switches files as it grows and
// empties the old one only once the store has committed what it held;
// Close empties both.
func TestJournalRotatesAndEmpties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := mustOpen(t, path, Options{})
	sizes := func() (a, b int64) {
		fa, _ := os.Stat(journalPaths(path)[0])
		fb, _ := os.Stat(journalPaths(path)[1])
		return fa.Size(), fb.Size()
	}
	big := strings.Repeat("x", 4096)
	n := 0
	// The writer commits nothing until pause is released; 1.5 times the
	// rotation size makes one switch, not two.
	st.pause.Lock()
	for size := 0; size < journalRotate*3/2; size += len(big) {
		d := journalDelivery(fmt.Sprint(n))
		d.Body = []byte(`"` + big + `"`)
		st.PutDelivery(d)
		st.Journal(d)
		n++
	}
	time.Sleep(100 * time.Millisecond) // give a wrong drain the time to empty it
	if a, _ := sizes(); a < journalRotate {
		st.pause.Unlock()
		t.Fatalf("the journal was emptied (%d bytes left) before the store committed it", a)
	}
	st.pause.Unlock()
	deadline := time.Now().Add(10 * time.Second)
	// The file written first is emptied once the store has committed what
	// it held; the other holds what came after the switch.
	for a, b := sizes(); a != 0 || b == 0; a, b = sizes() {
		if time.Now().After(deadline) {
			t.Fatalf("journal never emptied behind the store: %d + %d bytes", a, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if a, b := sizes(); a+b != 0 {
		t.Fatalf("after Close the journal holds %d + %d bytes", a, b)
	}
	st = mustOpen(t, path, Options{ReadOnly: true})
	ds, err := st.Deliveries(context.Background(), DeliveryQuery{Limit: n + 1})
	if err != nil || len(ds) != n {
		t.Fatalf("%d deliveries after reopening, want %d (%v)", len(ds), n, err)
	}
}

// TestJournalKeptOnceAWriteWasDropped: after the store dropped a write, the
// journal may be its only copy, so Close keeps it for the next Open.
func TestJournalKeptOnceAWriteWasDropped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := mustOpen(t, path, Options{})
	d := journalDelivery("shed")
	st.Journal(d) // its PutDelivery was dropped: a failing disk, a full backlog
	st.stats.dropped.Add(1)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if !journalPending(st.path) {
		t.Fatal("Close emptied the journal though the store had dropped a write")
	}
	st = mustOpen(t, path, Options{})
	if got, err := st.Delivery(context.Background(), "shed"); err != nil || got.Outcome != sender.OutcomePending {
		t.Fatalf("the dropped delivery after reopening: %+v, %v", got, err)
	}
}
