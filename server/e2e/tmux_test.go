package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// tmux runs a tmux command on the test's own server socket.
type tmux struct {
	t      *testing.T
	socket string
}

func (x tmux) run(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", x.socket}, args...)...).CombinedOutput()
	return string(out), err
}

func (x tmux) screen() string {
	out, _ := x.run("capture-pane", "-p", "-t", "hooklab")
	return out
}

// waitScreen polls the pane until every want is on it.
func (x tmux) waitScreen(want ...string) string {
	x.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var s string
	for time.Now().Before(deadline) {
		s = x.screen()
		missing := false
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = true
			}
		}
		if !missing {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	x.t.Fatalf("screen never showed %q:\n%s", want, s)
	return s
}

// dashboardIn starts the real binary in a real 120x40 terminal with args
// and returns the pane and the address it serves; it is stopped at cleanup.
func dashboardIn(t *testing.T, args ...string) (tmux, string) {
	t.Helper()
	if os.Getenv("HOOKLAB_SKIP_TMUX") == "1" {
		t.Skip("HOOKLAB_SKIP_TMUX=1")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is not installed: this test drives the dashboard in a real terminal (apt-get install tmux, or set HOOKLAB_SKIP_TMUX=1)")
	}
	bin := hooklabBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	x := tmux{t: t, socket: fmt.Sprintf("hooklab-test-%d-%s", os.Getpid(), t.Name())}
	store := filepath.Join(t.TempDir(), "h.db")
	cmd := fmt.Sprintf("%s --addr %s --store %s %s", bin, addr, store, strings.Join(args, " "))
	if out, err := x.run("new-session", "-d", "-s", "hooklab", "-x", "120", "-y", "40", cmd); err != nil {
		t.Fatalf("tmux new-session: %v %s", err, out)
	}
	socket, _ := x.run("display-message", "-p", "#{socket_path}")
	t.Cleanup(func() {
		x.run("kill-server")
		if p := strings.TrimSpace(socket); p != "" {
			os.Remove(p) // tmux leaves its socket file behind
		}
	})
	waitOK(t, "http://"+addr)
	return x, addr
}

// TestE2ETmuxDashboard drives the real binary in a real 120x40 terminal: a
// run whose webhook goes to the sink shows as one row, delivered; the raw
// event view (v) shows its request, the allow decision and the delivery;
// ? shows help naming replay; q quits and the server stops.
func TestE2ETmuxDashboard(t *testing.T) {
	x, addr := dashboardIn(t)
	postJSON(t, "http://"+addr+"/runs/wait", map[string]any{
		"assistant_id": "agent", "webhook": "/hooklab/sink/e2e",
		"input": map[string]any{"messages": []any{map[string]any{"role": "user", "content": "hello from tmux"}}},
	})
	x.waitScreen("delivered", "/hooklab/sink/e2e", "127.0.0.1")
	x.run("send-keys", "-t", "hooklab", "v")
	x.waitScreen("POST /runs/wait", "allowed", "delivered /hooklab/sink/e2e", "127.0.0.1")
	for _, line := range strings.Split(x.screen(), "\n") {
		if w := len([]rune(line)); w > 120 {
			t.Errorf("line wider than the terminal (%d): %q", w, line)
		}
	}
	x.run("send-keys", "-t", "hooklab", "?")
	x.waitScreen("replay", "quit")
	x.run("send-keys", "-t", "hooklab", "q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := x.run("has-session", "-t", "hooklab")
		resp, herr := http.Get("http://" + addr + "/ok")
		if herr == nil {
			resp.Body.Close()
		}
		if err != nil && herr != nil {
			return // the dashboard exited and the server stopped
		}
		if time.Now().After(deadline) {
			t.Fatalf("after q: session alive=%v, server answering=%v\n%s", err == nil, herr == nil, x.screen())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestE2ETmuxFiveReceivers: five runs whose webhooks go to five receiver
// paths, each with a query: every path with its query is readable on the
// first screen, in at most two rows per run.
func TestE2ETmuxFiveReceivers(t *testing.T) {
	rcv := newHookRecorder(t, 0)
	x, addr := dashboardIn(t)
	paths := []string{"/billing/paid?tenant=acme", "/crm/contact?token=k2", "/ops/alert?sev=high", "/agents/done?run=7", "/audit/log?src=lg"}
	for _, p := range paths {
		postJSON(t, "http://"+addr+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": rcv.URL + p})
	}
	rcv.waitN(t, len(paths))
	screen := x.waitScreen(paths...)
	lines := strings.Split(screen, "\n")
	for _, p := range paths {
		first := -1
		for i, l := range lines {
			if strings.Contains(l, p) {
				first = i
				break
			}
		}
		// The row's first line holds its time; the URL is on it or the next.
		if first < 0 || !strings.Contains(lines[first], ":") && (first == 0 || !strings.Contains(lines[first-1], "delivered")) {
			t.Errorf("%s is not within two rows of its run:\n%s", p, screen)
		}
	}
}

// TestE2ETmuxBrokenConfigIsNotOverwritten: langgraph.json is made invalid
// on disk while hooklab runs, the header's banner says so, then c and w
// are pressed: the file's bytes are unchanged.
func TestE2ETmuxBrokenConfigIsNotOverwritten(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "langgraph.json")
	if err := os.WriteFile(cfg, []byte(`{"graphs": {"agent": "./a.py:g"}, "webhooks": {"url": {"require_https": false, "disable_loopback": false}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	x, _ := dashboardIn(t, "--config", cfg)
	x.waitScreen(cfg)
	broken := []byte(`{"graphs": {"agent": "./a.py:g"}, "webhooks": {`)
	if err := os.WriteFile(cfg, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	x.waitScreen("langgraph.json does not load") // the watcher saw it: the header's banner says so
	x.run("send-keys", "-t", "hooklab", "c")
	x.waitScreen("webhooks.url")
	x.run("send-keys", "-t", "hooklab", "w")
	x.waitScreen("Not saved")
	got, err := os.ReadFile(cfg)
	if err != nil || string(got) != string(broken) {
		t.Fatalf("langgraph.json after c, w: %q (%v), want it unchanged: %q\n%s", got, err, broken, x.screen())
	}
}

// TestE2ETmuxUpstream: hooklab in front of an upstream it started (a
// second hooklab, standing in for a LangGraph dev server), in a real
// 120x40 terminal. The header names the upstream and its child's pid; a
// run through it is marked; L shows the child's output; when the child
// dies the header's badge says the upstream is unreachable and the raw
// event view has the event.
func TestE2ETmuxUpstream(t *testing.T) {
	bin := hooklabBinary(t)
	upAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	x, addr := dashboardIn(t, "dev", "--upstream", "http://"+upAddr, "--", bin, "--headless", "--addr", upAddr, "--store", ":memory:")
	var health struct {
		Upstream struct {
			PID int `json:"pid"`
		} `json:"upstream"`
	}
	getJSON(t, "http://"+addr+"/hooklab/healthz", &health)
	pgid := health.Upstream.PID
	if pgid == 0 {
		t.Fatal("healthz names no upstream child")
	}
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	x.waitScreen("upstream http://"+upAddr, fmt.Sprintf("pid %d", pgid), "✓ up")
	postJSON(t, "http://"+addr+"/runs/wait", map[string]any{"assistant_id": "agent", "webhook": "/hooklab/sink/e2e"})
	x.waitScreen("⇄ /hooklab/sink/e2e", "delivered")
	x.run("send-keys", "-t", "hooklab", "L")
	x.waitScreen("Upstream log", `"kind":"request"`) // the child's stdout: a headless hooklab's events
	x.run("send-keys", "-t", "hooklab", "Escape")
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	x.waitScreen("✗ unreachable")
	x.run("send-keys", "-t", "hooklab", "v")
	x.waitScreen("upstream unreachable http://" + upAddr)
}
