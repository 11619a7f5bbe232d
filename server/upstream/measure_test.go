package upstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMeasureUpstream measures, against the real JS dev server:
//   - the hop's added latency (GET /ok and GET run, direct and through
//     hooklab, interleaved request by request);
//   - from the upstream run's end (its updated_at) to the webhook reaching
//     a loopback receiver, for background runs and for runs whose client
//     holds a wait or a stream answer, with missing and duplicate counts.
//
// It runs only with HOOKLAB_UPSTREAM_BENCH=1; HOOKLAB_UPSTREAM_BENCH_RUNS
// sets the runs per mode (default 1000), HOOKLAB_UPSTREAM_BENCH_LANES the
// runs in flight at once (default 4). Figures go to the test log.
func TestMeasureUpstream(t *testing.T) {
	if os.Getenv("HOOKLAB_UPSTREAM_BENCH") != "1" {
		t.Skip("set HOOKLAB_UPSTREAM_BENCH=1 to measure")
	}
	runs := 1000
	if v, err := strconv.Atoi(os.Getenv("HOOKLAB_UPSTREAM_BENCH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	js := startJS(t)
	rg := newRig(t, js.URL, nil)
	br := newBenchReceiver(t)
	measureHop(t, js.URL, rg.URL)
	lanes := 4
	if v, err := strconv.Atoi(os.Getenv("HOOKLAB_UPSTREAM_BENCH_LANES")); err == nil && v > 0 {
		lanes = v
	}
	for _, mode := range []string{"background", "wait", "stream"} {
		measureRuns(t, rg, js.URL, br, mode, runs, lanes)
	}
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000) }

func measureHop(t *testing.T, direct, proxied string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	tid := newThread(t, direct)
	_, b, _ := post(t, direct+"/threads/"+tid+"/runs", `{"assistant_id":"agent","input":{"messages":[]}}`)
	rid := decodeMap(t, b)["run_id"].(string)
	for _, path := range []string{"/ok", "/threads/" + tid + "/runs/" + rid} {
		label := path
		if path != "/ok" {
			label = "/threads/{tid}/runs/{rid}"
		}
		var d, p []time.Duration
		deadline := time.Now().Add(2 * time.Minute)
		for i := 0; i < 4000 && time.Now().Before(deadline); i++ {
			base, into := direct, &d
			if i%2 == 1 {
				base, into = proxied, &p
			}
			start := time.Now()
			resp, err := client.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			*into = append(*into, time.Since(start))
		}
		t.Logf("hop GET %s: n=%d each; direct p50 %s p99 %s ms; through hooklab p50 %s p99 %s ms; added p50 %s ms",
			label,
			len(d), ms(pct(d, .5)), ms(pct(d, .99)), ms(pct(p, .5)), ms(pct(p, .99)), ms(pct(p, .5)-pct(d, .5)))
	}
}

// benchReceiver records when each run's webhooks arrived.
type benchReceiver struct {
	URL  string
	mu   sync.Mutex
	got  map[string][]arrival
	wake map[string]chan struct{}
}

type arrival struct {
	at     time.Time
	ended  time.Time // the payload's run_ended_at: the upstream's updated_at
	sentAt time.Time // the payload's webhook_sent_at
	status string
}

func newBenchReceiver(t testing.TB) *benchReceiver {
	br := &benchReceiver{got: map[string][]arrival{}, wake: map[string]chan struct{}{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		var p struct {
			RunID  string `json:"run_id"`
			Ended  string `json:"run_ended_at"`
			SentAt string `json:"webhook_sent_at"`
			Status string `json:"status"`
		}
		json.NewDecoder(r.Body).Decode(&p)
		const form = "2006-01-02T15:04:05.000000+00:00"
		ended, _ := time.Parse(form, p.Ended)
		sent, _ := time.Parse(form, p.SentAt)
		br.mu.Lock()
		br.got[p.RunID] = append(br.got[p.RunID], arrival{at: at, ended: ended, sentAt: sent, status: p.Status})
		ch := br.wake[p.RunID]
		br.mu.Unlock()
		if ch != nil {
			select {
			case ch <- struct{}{}:
			default:
			}
		}
		w.Write([]byte("{}"))
	}))
	t.Cleanup(srv.Close)
	br.URL = srv.URL
	return br
}

func (br *benchReceiver) expect(runID string) chan struct{} {
	br.mu.Lock()
	defer br.mu.Unlock()
	ch := make(chan struct{}, 1)
	br.wake[runID] = ch
	if len(br.got[runID]) > 0 {
		ch <- struct{}{}
	}
	return ch
}

// measureRuns runs n runs in lanes, each lane one run at a time, and
// reports run end → webhook figures.
func measureRuns(t *testing.T, rg *rig, direct string, br *benchReceiver, mode string, n, lanes int) {
	hook := br.URL + "/" + mode
	var mu sync.Mutex
	var ids []string
	var failures int
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	deadline := time.Now().Add(15 * time.Minute)
	var wg sync.WaitGroup
	for range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for i := range next {
				if time.Now().After(deadline) {
					return
				}
				tid := newThread(t, direct)
				body := fmt.Sprintf(`{"assistant_id":"agent","input":{"messages":[{"role":"human","content":"bench %d"}]},"webhook":%q}`, i, hook)
				path := "/threads/" + tid + "/runs"
				if mode != "background" {
					path += "/" + mode
				}
				resp, err := client.Post(rg.URL+path, "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					return
				}
				_, rid := parseLocation(resp.Header.Get("Content-Location"))
				ch := br.expect(rid)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				select {
				case <-ch:
				case <-time.After(30 * time.Second):
					mu.Lock()
					failures++
					mu.Unlock()
				}
				mu.Lock()
				ids = append(ids, rid)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	waitIdle(t, rg)
	var toArrival, toSent []time.Duration
	missing, dup := 0, 0
	br.mu.Lock()
	for _, id := range ids {
		as := br.got[id]
		switch {
		case len(as) == 0:
			missing++
			continue
		case len(as) > 1:
			dup++
		}
		toArrival = append(toArrival, as[0].at.Sub(as[0].ended))
		toSent = append(toSent, as[0].sentAt.Sub(as[0].ended))
	}
	br.mu.Unlock()
	t.Logf("run end → webhook, %s runs (%d lanes): n=%d missing=%d duplicated=%d timeouts=%d; to arrival p50 %s p90 %s p99 %s max %s ms; to webhook_sent_at p50 %s p99 %s ms",
		mode, lanes, len(ids), missing, dup, failures, ms(pct(toArrival, .5)), ms(pct(toArrival, .9)), ms(pct(toArrival, .99)), ms(pct(toArrival, 1)),
		ms(pct(toSent, .5)), ms(pct(toSent, .99)))
}
