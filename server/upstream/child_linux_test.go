package upstream

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid runs: not gone, and not a zombie waiting for
// init to reap it (bounded wait for that).
func alive(pid int) bool {
	for range 100 {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return false
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return false
		}
		if i := strings.LastIndexByte(string(b), ')'); i > 0 && strings.HasPrefix(string(b[i+1:]), " Z") {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func TestChildStopsWholeGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "grandchild.pid")
	var mu sync.Mutex
	var lines []string
	script := `trap '' TERM; sleep 300 & echo $! > ` + pidFile + `; printf '\033[32mready\033[0m on port\n'; wait`
	c, err := StartChild(ChildOptions{Argv: []string{"sh", "-c", script}, StopWait: 500 * time.Millisecond,
		OnLine: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	deadline := time.Now().Add(10 * time.Second)
	for grandchild == 0 || len(c.Lines()) == 0 {
		if b, err := os.ReadFile(pidFile); err == nil && len(b) > 1 {
			grandchild, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never started its grandchild")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Stop()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("child not reaped after Stop")
	}
	if alive(grandchild) {
		t.Errorf("grandchild %d still alive after Stop", grandchild)
		syscall.Kill(grandchild, syscall.SIGKILL)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 1 || lines[0] != "ready on port" {
		t.Errorf("lines %q, want the ANSI-free line", lines)
	}
	if _, err := StartChild(ChildOptions{}); err == nil || !strings.Contains(err.Error(), "after --") {
		t.Errorf("empty command: %v", err)
	}
}
