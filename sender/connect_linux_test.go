package sender_test

import (
	"net"
	"strconv"
	"syscall"
	"testing"
	"time"

	"hooklab/sender"
)

// fullBacklog is a loopback listener whose accept queue is full and never
// drained: Linux drops further SYNs, so a connect to it hangs until the
// dialer gives up. It is how a connect timeout can be met without leaving
// 127.0.0.1.
func fullBacklog(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	filler, err := net.DialTimeout("tcp", addr, time.Second) // takes the one place in the queue
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = filler.Close() })
	if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
		_ = c.Close()
		t.Skip("this kernel accepts connections past a full backlog; no connect timeout to test")
	}
	return addr
}

func TestConnectTimeoutRetriesThenFails(t *testing.T) {
	rec := newRecorder(t)
	addr := fullBacklog(t)
	noLeaks := leakCheck(t)
	o := fastOptions(rec, nil)
	o.ConnectTimeout, o.Timeout = 150*time.Millisecond, 5*time.Second
	s := mustStart(t, o)
	id := mustSend(t, s, "http://"+addr+"/hook", sampleRun())
	d := waitFinal(t, rec, id)
	const want = "connect timeout after 150ms"
	if d.Outcome != sender.OutcomeFailed || d.Attempts != 3 || d.Reason != "gave up after 3 attempts: "+want {
		t.Fatalf("delivery %s %d %q", d.Outcome, d.Attempts, d.Reason)
	}
	for _, a := range rec.attempts(t, id) {
		if a.Error != want || a.Timing.TotalMS < 150 {
			t.Errorf("attempt %d: %q after %.1f ms", a.Attempt, a.Error, a.Timing.TotalMS)
		}
	}
	closeWithin(t, s, 5*time.Second)
	noLeaks()
}
