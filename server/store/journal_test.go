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
)

func journalDelivery(id string) Delivery {
	now := time.Now().UTC()
	return Delivery{ID: id, RunID: "run-" + id, URL: "http://127.0.0.1:9/hook", Outcome: OutcomePending,
		Body: []byte(`{"run_id":"run-` + id + `","values":null}`), CreatedAt: now, UpdatedAt: now}
}

// TestJournalMergedOnOpen: what a killed hooklab journalled and never
// committed is in the table after the next Open; rows that exist are left
// as they are, a torn last line is skipped, and the journal is emptied.
func TestJournalMergedOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := mustOpen(t, path, Options{})
	kept := journalDelivery("kept")
	kept.Outcome = OutcomeDelivered
	st.PutDelivery(kept)
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, d := range []Delivery{journalDelivery("lost-1"), journalDelivery("kept"), journalDelivery("lost-2")} {
		b, _ := Marshal(d)
		lines = append(lines, string(b))
	}
	paths := journalPaths(path)
	os.WriteFile(paths[0], []byte(lines[0]+"\n"+lines[1]+"\n"), 0o600)
	os.WriteFile(paths[1], []byte(lines[2]+"\n"+`{"id":"torn","run_`), 0o600)

	if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrJournalPending) {
		t.Fatalf("read-only open with a journal to merge: %v, want ErrJournalPending", err)
	}
	st = mustOpen(t, path, Options{})
	ctx := context.Background()
	for id, outcome := range map[string]string{"lost-1": OutcomePending, "lost-2": OutcomePending, "kept": OutcomeDelivered} {
		d, err := st.Delivery(ctx, id)
		if err != nil || d.Outcome != outcome || d.RunID != "run-"+id || !strings.Contains(string(d.Body), "run-"+id) {
			t.Errorf("%s after the merge: %+v, %v", id, d, err)
		}
	}
	if _, err := st.Delivery(ctx, "torn"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a torn line was merged: %v", err)
	}
	if journalPending(st.path) {
		t.Error("the journal was not emptied after the merge")
	}
}

// TestJournalRotatesAndEmpties: the journal switches files as it grows and
// empties the old one once the store has committed; Close empties both.
func TestJournalRotatesAndEmpties(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st := mustOpen(t, path, Options{})
	big := strings.Repeat("x", 4096)
	n := 0
	for size := 0; size < journalRotate*3/2; size += len(big) { // one switch, not two
		d := journalDelivery(fmt.Sprint(n))
		d.Body = []byte(`"` + big + `"`)
		st.PutDelivery(d)
		st.Journal(d)
		n++
	}
	sizes := func() (a, b int64) {
		fa, _ := os.Stat(journalPaths(path)[0])
		fb, _ := os.Stat(journalPaths(path)[1])
		return fa.Size(), fb.Size()
	}
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
