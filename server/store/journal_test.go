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

// TestJournalRotatesAndEmpties: a journalled record is kept until the
// store has committed a later record of its delivery; the journal switches
// files as it grows, empties a file once all it holds is settled, and
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
	var sent []sender.Delivery
	// 1.5 times the rotation size makes one switch, not two.
	for size := 0; size < journalRotate*3/2; size += len(big) {
		d := journalDelivery(fmt.Sprint(len(sent)))
		d.Body = []byte(`"` + big + `"`)
		st.PutDelivery(d) // pending, at Send
		st.Journal(d)     // at the first attempt
		sent = append(sent, d)
	}
	ctx := context.Background()
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	settleQuiet(st) // as when the store goes quiet
	if a, b := sizes(); a < journalRotate || b == 0 {
		t.Fatalf("the journal holds %d + %d bytes: records with no later record committed were emptied, or it never switched", a, b)
	}
	// The attempts' outcomes: every record is settled once they commit.
	st.pause.Lock()
	for _, d := range sent[:len(sent)*4/5] { // all of the first file, some of the second
		d.Outcome, d.UpdatedAt = sender.OutcomeDelivered, d.UpdatedAt.Add(time.Millisecond)
		st.PutDelivery(d)
	}
	settleQuiet(st)                   // they are not committed yet: nothing may go
	time.Sleep(50 * time.Millisecond) // nor may anything else empty it meanwhile
	if a, _ := sizes(); a < journalRotate {
		st.pause.Unlock()
		t.Fatalf("the journal was emptied (%d bytes left) before the store committed what settles it", a)
	}
	st.pause.Unlock()
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := sizes(); a != 0 || b == 0 {
		t.Fatalf("after the first file's records were settled the journal holds %d + %d bytes, want 0 + the rest", a, b)
	}
	for _, d := range sent[len(sent)*4/5:] {
		d.Outcome, d.UpdatedAt = sender.OutcomeDelivered, d.UpdatedAt.Add(time.Millisecond)
		st.PutDelivery(d)
	}
	if err := st.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	settleQuiet(st)
	if a, b := sizes(); a+b != 0 {
		t.Fatalf("with every record settled the journal holds %d + %d bytes", a, b)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = mustOpen(t, path, Options{ReadOnly: true})
	ds, err := st.Deliveries(ctx, DeliveryQuery{Limit: len(sent) + 1})
	if err != nil || len(ds) != len(sent) {
		t.Fatalf("%d deliveries after reopening, want %d (%v)", len(ds), len(sent), err)
	}
}

// settleQuiet settles the journal as the checkpointer does when the store
// goes quiet.
func settleQuiet(st *Store) {
	st.mu.Lock()
	committed := st.committed
	st.mu.Unlock()
	st.settleJournal(committed, true)
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
