package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// serveCeiling serves a ceiling on a loopback port; stop ends it and
// returns what ServeCeiling returned.
func serveCeiling(t *testing.T) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- ServeCeiling(ctx, ln) }()
	return ln.Addr().String(), func() error {
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("ServeCeiling did not return within 10 s of its context ending")
		}
	}
}

// startCeiling serves a ceiling until the test ends.
func startCeiling(t *testing.T) string {
	addr, stop := serveCeiling(t)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("ServeCeiling: %v", err)
		}
	})
	return "http://" + addr
}

// hook is one webhook a test receiver got.
type hook struct {
	body        []byte
	contentType string
	path        string
}

func hookReceiver(t *testing.T) (*httptest.Server, <-chan hook) {
	got := make(chan hook, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- hook{body: b, contentType: r.Header.Get("Content-Type"), path: r.URL.RequestURI()}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func postJSON(t *testing.T, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestCeilingAnswersThenPostsTheWebhook(t *testing.T) {
	base := startCeiling(t)
	rcv, hooks := hookReceiver(t)
	ids := map[string]bool{}
	for i := range 2 {
		to := rcv.URL + "/hook?n=" + strconv.Itoa(i)
		code, body := postJSON(t, base+"/runs", `{"assistant_id":"agent","input":{"messages":[]},"webhook":"`+to+`"}`)
		var run struct {
			RunID     string `json:"run_id"`
			Status    string `json:"status"`
			CreatedAt string `json:"created_at"`
		}
		if code != 200 || json.Unmarshal(body, &run) != nil || run.RunID == "" || run.Status != "pending" {
			t.Fatalf("POST /runs: %d %s; want 200 and a pending run", code, body)
		}
		if ids[run.RunID] {
			t.Errorf("run ID %s given twice", run.RunID)
		}
		ids[run.RunID] = true

		var h hook
		select {
		case h = <-hooks:
		case <-time.After(10 * time.Second):
			t.Fatal("no webhook within 10 s")
		}
		var payload struct {
			RunID      string `json:"run_id"`
			Status     string `json:"status"`
			CreatedAt  string `json:"created_at"`
			RunEndedAt string `json:"run_ended_at"`
		}
		if err := json.Unmarshal(h.body, &payload); err != nil {
			t.Fatalf("webhook body is not JSON: %v\n%s", err, h.body)
		}
		if payload.RunID != run.RunID || payload.Status != "success" || payload.CreatedAt != run.CreatedAt {
			t.Errorf("webhook for run %s (created %s): %+v", run.RunID, run.CreatedAt, payload)
		}
		if _, err := time.Parse(time.RFC3339Nano, payload.RunEndedAt); err != nil {
			t.Errorf("run_ended_at %q: %v", payload.RunEndedAt, err)
		}
		if len(h.body) < 900 || len(h.body) > 1200 || h.contentType != "application/json" || h.path != "/hook?n="+strconv.Itoa(i) {
			t.Errorf("webhook: %d bytes, %q, to %s; want about 1 KB of application/json to /hook?n=%d", len(h.body), h.contentType, h.path, i)
		}
	}
	select {
	case h := <-hooks:
		t.Errorf("a third webhook for two runs: %s", h.body)
	default:
	}
}

func TestCeilingRefusals(t *testing.T) {
	base := startCeiling(t)
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/runs", `{"assistant_id":"agent"}`, 422, "webhook"},
		{"POST", "/runs", `{"webhook":"/relative"}`, 422, "webhook"},
		{"POST", "/runs", `not json`, 422, "JSON"},
		{"GET", "/runs", ``, 404, "POST /runs"},
		{"POST", "/threads", `{}`, 404, "POST /runs"},
		{"GET", "/ok", ``, 200, `"ok":true`},
	} {
		req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(b), c.want) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s %s: %d %s; want %d JSON naming %s", c.method, c.path, c.body, resp.StatusCode, b, c.code, c.want)
		}
	}
}

func TestServeCeilingStops(t *testing.T) {
	addr, stop := serveCeiling(t)
	resp, err := http.Get("http://" + addr + "/ok")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Errorf("ServeCeiling after cancel: %v, want nil", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Error("the ceiling's port still takes connections after ServeCeiling returned")
	}
}

// TestBenchMeasuresTheCeilingsCPU: the closed loop against a ceiling in
// another process, whose CPU the bench reads through --pid.
func TestBenchMeasuresTheCeilingsCPU(t *testing.T) {
	h := startHelper(t, "ceiling")
	url := h.line(t)
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("ceiling helper said %q", url)
	}
	code, out, errs := runCLI(t, CLI{Options: Options{URL: url, Runs: 3000, Concurrency: 8, PID: h.cmd.Process.Pid, Settle: 5 * time.Second}, JSON: true})
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	r := decodeResult(t, out)
	if r.Runs != 3000 || *r.Missing != 0 || *r.Duplicated != 0 || r.Statuses["success"] != 3000 {
		t.Errorf("runs %d missing %d duplicated %d statuses %v", r.Runs, *r.Missing, *r.Duplicated, r.Statuses)
	}
	if r.ServerPID != h.cmd.Process.Pid || r.ServerProcs != 1 || r.ServerCPUS == nil || *r.ServerCPUS <= 0 ||
		r.ServerCPUPerRun == nil || math.Abs(*r.ServerCPUPerRun-*r.ServerCPUS*1e6/3000) > 0.01 {
		t.Errorf("server pid %d, %d processes, cpu %v s, %v µs/run; want the helper's, 1, > 0, cpu/3000",
			r.ServerPID, r.ServerProcs, r.ServerCPUS, r.ServerCPUPerRun)
	}
	if r.Settled == nil || !*r.Settled {
		t.Errorf("settled %v: an idle ceiling should settle", r.Settled)
	}
	if r.MachineCPUS == nil || r.OtherCPUS == nil || *r.OtherCPUS < 0 || r.StealS == nil {
		t.Errorf("machine %v other %v steal %v: want all measured", r.MachineCPUS, r.OtherCPUS, r.StealS)
	}
	if r.ClientCPUPerRun == nil || *r.ClientCPUPerRun <= 0 {
		t.Errorf("client CPU per run %v", r.ClientCPUPerRun)
	}
	// The text form says the same.
	code, out, _ = runCLI(t, CLI{Options: Options{URL: url, Runs: 500, PID: h.cmd.Process.Pid}})
	if code != 0 || !strings.Contains(out, "server CPU") || !strings.Contains(out, "µs per run") {
		t.Errorf("exit %d, text without the server's CPU:\n%s", code, out)
	}
}

// runCLI runs c (what `hooklab bench` runs once its flags are read),
// bounded in time, with its exit code: 0 ok, 1 a run failed or a webhook
// is missing, 2 a usage error.
func runCLI(t *testing.T, c CLI) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	ok, err := c.Run(ctx, &out, &errb)
	switch {
	case errors.Is(err, ErrUsage):
		return 2, out.String(), errb.String() + err.Error()
	case err != nil || !ok:
		return 1, out.String(), errb.String()
	}
	return 0, out.String(), errb.String()
}

// decodeResult reads --json output strictly: every field is one Result knows.
func decodeResult(t *testing.T, stdout string) Result {
	t.Helper()
	var r Result
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
	}
	return r
}
