package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// storeBytes is the size on disk of the store at path (the database, its
// WAL and shared memory, the journal and the lock), and what makes it up.
func storeBytes(path string) (int64, string) {
	var n int64
	var parts []string
	matches, _ := filepath.Glob(path + "*")
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil {
			n += fi.Size()
			parts = append(parts, fmt.Sprintf("%s %d", filepath.Base(m), fi.Size()))
		}
	}
	return n, strings.Join(parts, ", ")
}

// TestE2EMaxHistory: 25,000 runs into `hooklab dev --max-history 40MB`
// (the bench as the client). The store's files stay within 48 MB all along,
// and `hooklab history --json` lists the newest delivery, through the
// running hooklab and from the file once it has stopped.
func TestE2EMaxHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("25,000 runs: not with -short")
	}
	const limit, bound = 40_000_000, 48_000_000
	path := filepath.Join(t.TempDir(), "h.db")
	cmd := exec.Command(hooklabBinary(t), "dev", "--headless", "--addr", "127.0.0.1:0", "--store", path, "--max-history", "40MB")
	out, _ := cmd.StdoutPipe()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	urlCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlCh <- m[1]:
				default:
				}
			}
		}
	}()
	var url string
	select {
	case url = <-urlCh:
	case <-done:
		t.Fatalf("hooklab exited: %s", stderr.String())
	case <-time.After(15 * time.Second):
		t.Fatal("hooklab did not start")
	}
	waitOK(t, url)

	var mu sync.Mutex
	var peak int64
	var peakParts string
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			n, parts := storeBytes(path)
			mu.Lock()
			if n > peak {
				peak, peakParts = n, parts
			}
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	bench := exec.CommandContext(ctx, hooklabBinary(t), "bench", "--url", url, "--runs", "25000", "--duration", "200s", "--json")
	benchOut, err := bench.Output()
	close(stop)
	<-sampled
	var res struct {
		Runs, Missing, Duplicated int
		RunsPerS                  float64 `json:"runs_per_s"`
	}
	if jerr := json.Unmarshal(benchOut, &res); jerr != nil || err != nil || res.Runs != 25000 || res.Missing != 0 || res.Duplicated != 0 {
		t.Fatalf("bench: %v; %+v; %s", err, res, benchOut)
	}
	now, _ := storeBytes(path)
	t.Logf("25,000 runs at %.0f runs/s; the store peaked at %d bytes on disk (%s; limit %d), %d bytes now", res.RunsPerS, peak, peakParts, limit, now)
	if peak > bound {
		t.Errorf("the store's files reached %d bytes, over %d", peak, bound)
	}

	// The newest delivery, to a receiver of this test.
	rc := newHookRecorder(t, 0)
	hook := rc.URL + "/newest"
	postJSON(t, url+"/runs", map[string]any{"assistant_id": "agent", "webhook": hook})
	rc.waitN(t, 1)
	newest := func(from string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			o, e, code := runCLI(t, nil, "history", "--json", "--limit", "1", "--store", path)
			var rows []struct{ URL, Outcome string }
			json.Unmarshal([]byte(o), &rows)
			if code == 0 && len(rows) == 1 && rows[0].URL == hook && rows[0].Outcome == "delivered" {
				if !strings.HasPrefix(e, "history: ") || !strings.Contains(e, "runs, ") {
					t.Errorf("history %s does not say how much it keeps: %q", from, e)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("history --json %s: exit %d, %s %s; want the newest delivery to %s", from, code, o, e, hook)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	newest("through the running hooklab")
	cmd.Process.Signal(os.Interrupt)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("hooklab did not stop")
	}
	newest("from the file")
}
