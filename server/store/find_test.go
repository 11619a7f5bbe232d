package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"hooklab/sender"
)

func TestFindDeliveryByPrefix(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		s := mustOpen(t, path, Options{})
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		ids := []string{"abcd1234-0000-4000-8000-000000000001", "abcd1234-0000-4000-8000-000000000002", "abce0000-0000-4000-8000-000000000003", "a*b?c[d]-x"}
		for i, id := range ids {
			s.PutDelivery(delivery(id, fmt.Sprint("run", i), "http://127.0.0.1:1/h", sender.OutcomeDelivered, base.Add(time.Duration(i)*time.Second)))
		}
		for i := range 12 {
			s.PutDelivery(delivery(fmt.Sprintf("ffff%04d", i), "many", "/x", sender.OutcomeDelivered, base.Add(time.Duration(i)*time.Minute)))
		}
		mustFlush(t, s)
		ctx := context.Background()
		for prefix, want := range map[string]string{
			ids[0]: ids[0], "abce": ids[2], "abce0000": ids[2], "a*b": ids[3], "a*b?c[d]-x": ids[3],
		} {
			d, err := s.FindDelivery(ctx, prefix)
			if err != nil || d.ID != want {
				t.Errorf("%s: FindDelivery(%q) = %q, %v; want %q", path, prefix, d.ID, err, want)
			}
		}
		_, err := s.FindDelivery(ctx, "abcd1234")
		var ae *AmbiguousError
		if !errors.As(err, &ae) || !errors.Is(err, ErrAmbiguous) || strings.Join(ae.Candidates, " ") != ids[1]+" "+ids[0] || ae.More {
			t.Fatalf("%s: ambiguous prefix: %v", path, err)
		}
		if !strings.Contains(err.Error(), ids[0]) || !strings.Contains(err.Error(), "give more characters") {
			t.Fatalf("the error does not name the candidates: %v", err)
		}
		if _, err := s.FindDelivery(ctx, "ffff"); !errors.As(err, &ae) || len(ae.Candidates) != maxCandidates || !ae.More || ae.Candidates[0] != "ffff0011" {
			t.Fatalf("%s: many matches: %+v", path, ae)
		}
		// A run id, or its prefix, names the run's first delivery.
		for prefix, want := range map[string]string{"run2": ids[2], "many": "ffff0000", "man": "ffff0000"} {
			if d, err := s.FindDelivery(ctx, prefix); err != nil || d.ID != want {
				t.Errorf("%s: FindDelivery(%q) by run = %q, %v; want %q", path, prefix, d.ID, err, want)
			}
		}
		_, err = s.FindDelivery(ctx, "run")
		if !errors.As(err, &ae) || !ae.Runs || strings.Join(ae.Candidates, " ") != "run3 run2 run1 run0" || ae.More ||
			!strings.Contains(err.Error(), `id prefix "run" matches no delivery id but the ids of 4 runs: run3, run2`) {
			t.Errorf("%s: a prefix of four runs: %v", path, err)
		}
		for _, miss := range []string{"", "b", "ABCD", "a?", "abcd1234-0000-4000-8000-000000000001x", "run9"} {
			if _, err := s.FindDelivery(ctx, miss); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: FindDelivery(%q) = %v, want not found", path, miss, err)
			}
		}
	}
}

func TestServedAddr(t *testing.T) {
	for _, path := range []string{"", ":memory:"} {
		s := mustOpen(t, path, Options{})
		if s.ServedAddr() != "" {
			t.Fatal("a new store claims an address")
		}
		if err := s.SetOwnerAddr("127.0.0.1:4321"); err != nil {
			t.Fatal(err)
		}
		if s.ServedAddr() != "127.0.0.1:4321" {
			t.Fatalf("%s: ServedAddr = %q", path, s.ServedAddr())
		}
	}
}
