package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hooklab/sender"
	"hooklab/server/hub"
	"hooklab/server/store"
)

// TestRetentionFlagValues: --max-history takes sizes in decimal and binary
// units (0: no limit), --max-age durations with days.
func TestRetentionFlagValues(t *testing.T) {
	for in, want := range map[string]int64{
		"500MB": 500_000_000, "1GiB": 1 << 30, "40mb": 40_000_000, "1.5G": 1_500_000_000,
		"4MB": 4_000_000, "0": 0, "123456789": 123456789, " 64 MiB ": 64 << 20,
	} {
		if got, err := parseSize("--max-history", in); err != nil || got != want {
			t.Errorf("--max-history %q = %d, %v; want %d", in, got, err, want)
		}
	}
	for in, want := range map[string]time.Duration{
		"0": 0, "off": 0, "90m": 90 * time.Minute, "12h": 12 * time.Hour, "7d": 7 * 24 * time.Hour, "1.5d": 36 * time.Hour,
	} {
		if got, err := parseAge("--max-age", in); err != nil || got != want {
			t.Errorf("--max-age %q = %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestRetentionFlagsRefused: a value hooklab cannot use stops dev with exit
// 2 and a message naming the flag and what to write instead.
func TestRetentionFlagsRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-history", "lots"}, `--max-history "lots": write a size such as 500MB or 1GiB (0: no limit)`},
		{[]string{"--max-history", "-5MB"}, `--max-history "-5MB": write a size`},
		{[]string{"--max-history", "1MB"}, `--max-history "1MB" is too small to keep a useful history: give at least 4MB`},
		{[]string{"--max-age", "soon"}, `--max-age "soon": write a duration such as 90m, 12h or 7d`},
		{[]string{"--max-age", "30s"}, `--max-age "30s" is too short`},
		{[]string{"--max-age", "-1h"}, `--max-age "-1h": write a duration`},
	} {
		args := append([]string{"dev", "--headless", "--store", ":memory:", "--addr", "127.0.0.1:0"}, c.args...)
		code, _, errOut := run(t, noEnv, nil, args...)
		if code != 2 || !strings.Contains(errOut, c.want) {
			t.Errorf("hooklab %v: exit %d %q; want 2 and %q", c.args, code, errOut, c.want)
		}
	}
}

// TestReplayOfAPrunedDelivery: once the history was pruned, replaying or
// printing a delivery it no longer holds says that it may have been
// pruned, and up to when.
func TestReplayOfAPrunedDelivery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	st, err := store.Open(path, store.Options{MaxBytes: 4_000_000})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 1500 {
		run, id, now := fmt.Sprintf("run-%d", i), fmt.Sprintf("dlv-%d", i), time.Now()
		body := make([]byte, 3000)
		rand.Read(body)
		st.Append(hub.KindRun, hub.RunInfo{RunID: run, ThreadID: "t", Status: "pending"})
		st.Append(hub.KindRun, hub.RunInfo{RunID: run, Status: "success"})
		st.PutDelivery(sender.Delivery{ID: id, RunID: run, URL: "http://127.0.0.1:9/h", Outcome: sender.OutcomeDelivered,
			Body: []byte(`"` + hex.EncodeToString(body) + `"`), CreatedAt: now, UpdatedAt: now})
		st.Append(hub.KindDelivery, sender.DeliveryInfo{ID: id, RunID: run, Outcome: sender.OutcomeDelivered})
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		k, err := st.Kept(ctx)
		if err == nil && !k.PrunedUntil.IsZero() && k.Runs < 1500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing was pruned: %+v, %v", k, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"replay", "dlv-0"}, {"history", "--curl", "dlv-0"}} {
		code, _, errOut := run(t, noEnv, nil, append(args, "--store", path)...)
		if code != 1 || !strings.Contains(errOut, `no delivery "dlv-0" in the history: the history up to `) ||
			!strings.Contains(errOut, "was pruned to stay within its limits (hooklab dev --max-history, --max-age)") {
			t.Errorf("hooklab %v: exit %d %q; want 1 and that it may have been pruned", args, code, errOut)
		}
	}
	if code, out, _ := history(t, noEnv, "--store", path); code != 0 || !strings.Contains(out, " were pruned") {
		t.Errorf("history does not say what was pruned: exit %d:\n%s", code, out)
	}
}
