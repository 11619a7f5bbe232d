package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the helper processes of the /proc tests: with
// HOOKLAB_BENCH_HELPER set, TestMain runs that helper instead of the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("HOOKLAB_BENCH_HELPER") {
	case "":
		os.Exit(m.Run())
	case "tree":
		os.Exit(helperTree())
	case "burn":
		os.Exit(helperBurn())
	case "ceiling":
		os.Exit(helperCeiling())
	default:
		os.Exit(3)
	}
}

// burnCPU is how much CPU time the burning helper uses before it reports.
const burnCPU = 300 * time.Millisecond

// helperBurn spins until it has used burnCPU of CPU time (or
// $HOOKLAB_BENCH_BURN), says "burnt", then waits for stdin to close. It
// stops early when stdin closes or 60 s have passed.
func helperBurn() int {
	budget := burnCPU
	if d, err := time.ParseDuration(os.Getenv("HOOKLAB_BENCH_BURN")); err == nil {
		budget = d
	}
	var closed atomic.Bool
	go func() { io.Copy(io.Discard, os.Stdin); closed.Store(true) }()
	deadline := time.Now().Add(60 * time.Second)
	x := 0
	for selfCPU() < budget && !closed.Load() && time.Now().Before(deadline) {
		for i := range 100000 {
			x += i
		}
	}
	fmt.Println("burnt", x%2)
	for !closed.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // waiting for stdin to close
	}
	return 0
}

// helperTree starts a burning child, relays its "burnt", then on "reap"
// on stdin ends the child and waits for it (so its CPU time moves into
// this process's reaped-children counters), says "reaped", and waits for
// stdin to close.
func helperTree() int {
	child := exec.Command(os.Args[0])
	child.Env = append(os.Environ(), "HOOKLAB_BENCH_HELPER=burn")
	in, _ := child.StdinPipe()
	out, _ := child.StdoutPipe()
	if err := child.Start(); err != nil {
		fmt.Println("error", err)
		return 1
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	fmt.Print(line)
	stdin := bufio.NewReader(os.Stdin)
	if cmd, _ := stdin.ReadString('\n'); cmd != "reap\n" {
		child.Process.Kill()
		child.Wait()
		return 1
	}
	in.Close()
	child.Wait()
	fmt.Println("reaped")
	io.Copy(io.Discard, stdin)
	return 0
}

// helperCeiling serves a ceiling on a loopback port, prints its URL, and
// stops when stdin closes.
func helperCeiling() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	fmt.Println("http://" + ln.Addr().String())
	if err := ServeCeiling(ctx, ln); err != nil {
		return 1
	}
	return 0
}

// helper is a running helper process in its own process group.
type helper struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// startHelper starts the test binary as the named helper; cleanup ends
// its process group.
func startHelper(t *testing.T, name string, env ...string) *helper {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "HOOKLAB_BENCH_HELPER="+name), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	return &helper{cmd: cmd, in: in, out: bufio.NewReader(out)}
}

// line reads the helper's next line, failing the test if it takes more
// than a minute (a helper that hangs).
func (h *helper) line(t *testing.T) string {
	t.Helper()
	got := make(chan string, 1)
	go func() { l, _ := h.out.ReadString('\n'); got <- strings.TrimSpace(l) }()
	select {
	case l := <-got:
		return l
	case <-time.After(time.Minute):
		syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("the helper process said nothing for a minute")
		return ""
	}
}

// TestTreeCPUCountsDescendants: a parent that uses almost no CPU, with a
// child that burns 300 ms of it. The tree's time includes the child's
// while it runs and keeps it once the parent has reaped it.
func TestTreeCPUCountsDescendants(t *testing.T) {
	h := startHelper(t, "tree")
	if l := h.line(t); !strings.HasPrefix(l, "burnt") {
		t.Fatalf("helper said %q, want burnt", l)
	}
	pid := h.cmd.Process.Pid
	tick := time.Second / time.Duration(clockTicks())
	alive, err := ReadTreeCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if alive.Procs != 2 || alive.CPU < burnCPU-tick {
		t.Errorf("tree with a burning child: %d processes, %s; want 2, at least %s", alive.Procs, alive.CPU, burnCPU-tick)
	}
	own, err := readProcStat("/proc", pid)
	if err != nil {
		t.Fatal(err)
	}
	if ownCPU := ticksToDuration(own.ticks, clockTicks()); ownCPU > alive.CPU-burnCPU/2 {
		t.Errorf("the parent alone used %s of the tree's %s: the child's time is not in the tree", ownCPU, alive.CPU)
	}
	// The test process is the tree's parent: its tree holds both.
	if self, err := ReadTreeCPU(os.Getpid()); err != nil || self.Procs < 3 {
		t.Errorf("this test's own tree: %+v, %v; want at least 3 processes", self, err)
	}

	fmt.Fprintln(h.in, "reap")
	if l := h.line(t); l != "reaped" {
		t.Fatalf("helper said %q, want reaped", l)
	}
	reaped, err := ReadTreeCPU(pid)
	if err != nil {
		t.Fatal(err)
	}
	if reaped.Procs != 1 || reaped.CPU < alive.CPU {
		t.Errorf("after the child was reaped: %d processes, %s; want 1, at least the %s counted while it ran", reaped.Procs, reaped.CPU, alive.CPU)
	}
}

func TestTreeCPUNoProcess(t *testing.T) {
	h := startHelper(t, "burn")
	pid := h.cmd.Process.Pid
	h.line(t)
	h.in.Close()
	h.cmd.Wait()
	if _, err := ReadTreeCPU(pid); err == nil || !strings.Contains(err.Error(), "--pid") {
		t.Errorf("ReadTreeCPU of an ended process: %v; want an error naming --pid", err)
	}
}

// TestReadTreeCPUParsing reads a made-up /proc: command names with spaces
// and parentheses, a grandchild, an unrelated process and a damaged file.
func TestReadTreeCPUParsing(t *testing.T) {
	dir := t.TempDir()
	stat := func(pid int, comm string, ppid int, utime, stime, cutime, cstime int) {
		os.MkdirAll(filepath.Join(dir, fmt.Sprint(pid)), 0o755)
		line := fmt.Sprintf("%d (%s) S %d %d %d 0 -1 4194560 100 0 0 0 %d %d %d %d 20 0 3 0 1 2 3\n",
			pid, comm, ppid, pid, pid, utime, stime, cutime, cstime)
		os.WriteFile(filepath.Join(dir, fmt.Sprint(pid), "stat"), []byte(line), 0o644)
	}
	stat(10, "hooklab", 1, 100, 50, 7, 3)        // 160
	stat(11, "node (worker) x", 10, 20, 5, 0, 0) // 25
	stat(12, ") (", 10, 1, 1, 0, 0)              // 2
	stat(13, "grand child", 11, 4, 6, 0, 0)      // 10
	stat(20, "other", 1, 1000, 1000, 0, 0)       // not in the tree
	os.MkdirAll(filepath.Join(dir, "21"), 0o755)
	os.WriteFile(filepath.Join(dir, "21", "stat"), []byte("21 (broken"), 0o644)
	os.MkdirAll(filepath.Join(dir, "self"), 0o755)

	got, err := readTreeCPU(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := ticksToDuration(197, clockTicks()); got.CPU != want || got.Procs != 4 {
		t.Errorf("tree of 10 = %+v; want %s in 4 processes", got, want)
	}
	if got, err := readTreeCPU(dir, 11); err != nil || got.Procs != 2 || got.CPU != ticksToDuration(35, clockTicks()) {
		t.Errorf("tree of 11 = %+v, %v; want 35 ticks in 2 processes", got, err)
	}
	if _, err := readTreeCPU(dir, 21); err == nil {
		t.Error("a damaged stat file for the root should be an error")
	}
	if _, err := readTreeCPU(dir, 99); err == nil || !strings.Contains(err.Error(), "no such process") {
		t.Errorf("missing root: %v; want no such process", err)
	}
}

func TestTicksToDuration(t *testing.T) {
	for _, c := range []struct {
		ticks, hz uint64
		want      time.Duration
	}{
		{0, 100, 0},
		{1, 100, 10 * time.Millisecond},
		{250, 100, 2500 * time.Millisecond},
		{3, 300, 10 * time.Millisecond},
		{1001, 1000, 1001 * time.Millisecond},
	} {
		if got := ticksToDuration(c.ticks, c.hz); got != c.want {
			t.Errorf("ticksToDuration(%d, %d) = %s, want %s", c.ticks, c.hz, got, c.want)
		}
	}
	if hz := clockTicks(); hz < 10 || hz > 10000 {
		t.Errorf("clock ticks per second = %d, not a plausible USER_HZ", hz)
	}
}

// TestSettle: an idle process settles; a process burning a core does not.
func TestSettle(t *testing.T) {
	ctx := context.Background()
	idle := startHelper(t, "ceiling")
	idle.line(t)
	if _, quiet, err := settle(ctx, idle.cmd.Process.Pid, 10*time.Second); err != nil || !quiet {
		t.Errorf("an idle server: quiet %v, %v; want it to settle", quiet, err)
	}
	busy := startHelper(t, "burn", "HOOKLAB_BENCH_BURN=20s") // until stdin closes
	if _, quiet, err := settle(ctx, busy.cmd.Process.Pid, time.Second); err != nil || quiet {
		t.Errorf("a process burning CPU: quiet %v, %v; want it still busy", quiet, err)
	}
}

func TestReadMachineCPU(t *testing.T) {
	dir := t.TempDir()
	stat := "cpu  300 20 100 5000 40 6 4 30 0 0\ncpu0 150 10 50 2500 20 3 2 15 0 0\nintr 1\n"
	os.WriteFile(filepath.Join(dir, "stat"), []byte(stat), 0o644)
	got, err := readMachineCPU(dir)
	if err != nil {
		t.Fatal(err)
	}
	hz := clockTicks()
	if want := ticksToDuration(300+20+100+6+4, hz); got.busy != want || got.steal != ticksToDuration(30, hz) {
		t.Errorf("busy %s steal %s; want %s and %s", got.busy, got.steal, want, ticksToDuration(30, hz))
	}
	os.WriteFile(filepath.Join(dir, "stat"), []byte("cpu 1 2 x\n"), 0o644)
	if _, err := readMachineCPU(dir); err == nil {
		t.Error("a damaged /proc/stat should be an error")
	}
	if m, err := readMachineCPU("/proc"); err != nil || m.busy <= 0 {
		t.Errorf("this machine: %+v, %v", m, err)
	}
}

// TestWindowServerGone: a server that exits inside the window leaves its
// CPU unmeasured, with the reason, and the bench's own figures intact.
func TestWindowServerGone(t *testing.T) {
	h := startHelper(t, "ceiling")
	h.line(t)
	w, err := startWindow(h.cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	h.in.Close() // the ceiling helper stops when its stdin closes
	h.cmd.Wait()
	w.stop()
	r := &Result{Runs: 10}
	w.addTo(r)
	if r.ServerCPUS != nil || r.ServerCPUPerRun != nil || !strings.Contains(r.ServerCPUError, "no such process") {
		t.Errorf("server cpu %v, per run %v, error %q; want nil, nil and the reason", r.ServerCPUS, r.ServerCPUPerRun, r.ServerCPUError)
	}
	if r.ServerPID != h.cmd.Process.Pid || r.ClientCPUPerRun == nil || r.MachineCPUS == nil || r.OtherCPUS != nil {
		t.Errorf("pid %d, client per run %v, machine %v, other %v", r.ServerPID, r.ClientCPUPerRun, r.MachineCPUS, r.OtherCPUS)
	}
}
