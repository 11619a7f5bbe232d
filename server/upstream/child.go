package upstream

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"hooklab/server/hub"
)

// ChildOptions configure StartChild.
type ChildOptions struct {
	Argv []string // the command and its arguments
	Dir  string   // working directory ("" : hooklab's)
	Env  []string // nil: hooklab's environment
	// OnLine receives each line the child writes (stdout and stderr), with
	// ANSI escapes removed, from the reading goroutines. It must not block
	// for long.
	OnLine func(line string)
	// StopWait is how long Stop waits after SIGTERM before SIGKILL;
	// default 5 s.
	StopWait time.Duration
	// Keep is how many recent lines Lines returns; default 500.
	Keep int
}

// Child is the developer's server, started and supervised by hooklab in a
// process group of its own.
type Child struct {
	o    ChildOptions
	cmd  *exec.Cmd
	pgid int
	done chan struct{}
	err  error // set before done closes
	read sync.WaitGroup

	mu    sync.Mutex
	lines []string
	stop  sync.Once
}

// StartChild starts the command in its own process group.
func StartChild(o ChildOptions) (*Child, error) {
	if len(o.Argv) == 0 || o.Argv[0] == "" {
		return nil, errors.New("upstream command: empty; put the command that starts your LangGraph server after --")
	}
	if o.StopWait <= 0 {
		o.StopWait = 5 * time.Second
	}
	if o.Keep <= 0 {
		o.Keep = 500
	}
	cmd := exec.Command(o.Argv[0], o.Argv[1:]...)
	cmd.Dir = o.Dir
	cmd.Env = o.Env
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Stdin = nil
	setGroup(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("upstream command %q: %w", o.Argv[0], err)
	}
	c := &Child{o: o, cmd: cmd, pgid: cmd.Process.Pid, done: make(chan struct{})}
	c.read.Add(2)
	go c.scan(stdout)
	go c.scan(stderr)
	go func() {
		c.read.Wait() // Wait closes the pipes: read them to the end first
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]`)

// StripANSI removes terminal escape sequences from s.
func StripANSI(s string) string { return ansi.ReplaceAllString(s, "") }

func (c *Child) scan(r io.Reader) {
	defer c.read.Done()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := StripANSI(strings.TrimRight(sc.Text(), "\r"))
		c.mu.Lock()
		c.lines = append(c.lines, line)
		if len(c.lines) > c.o.Keep {
			c.lines = c.lines[len(c.lines)-c.o.Keep:]
		}
		c.mu.Unlock()
		if c.o.OnLine != nil {
			c.o.OnLine(line)
		}
	}
	io.Copy(io.Discard, r) // a line over 1 MiB: drain so the child never blocks
}

// PID is the child's process id (and its process group id).
func (c *Child) PID() int { return c.pgid }

// Name is the command as started.
func (c *Child) Name() string { return strings.Join(c.o.Argv, " ") }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Err is how the child exited; valid once Done is closed.
func (c *Child) Err() error {
	select {
	case <-c.done:
		if c.err == nil {
			return errors.New("exited with status 0")
		}
		return c.err
	default:
		return nil
	}
}

// Lines returns the latest lines the child wrote.
func (c *Child) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// Stop ends the child's whole process group: SIGTERM, up to StopWait for
// every process in it to exit, then SIGKILL. It returns once the group
// is gone.
func (c *Child) Stop() error {
	c.stop.Do(func() {
		signalGroup(c.pgid, false)
		deadline := time.Now().Add(c.o.StopWait)
		for time.Now().Before(deadline) && groupAlive(c.pgid) {
			time.Sleep(20 * time.Millisecond)
		}
		if groupAlive(c.pgid) {
			signalGroup(c.pgid, true)
		}
		for i := 0; i < 100 && groupAlive(c.pgid); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	})
	select {
	case <-c.done:
	case <-time.After(c.o.StopWait):
	}
	return nil
}

// Attach makes c the upstream's supervised server: its pid shows in
// Status, and its exit marks the upstream down and ends the observation
// of every run (they can no longer end).
func (u *Upstream) Attach(c *Child) {
	u.mu.Lock()
	u.child = c
	u.st.PID = c.PID()
	st := u.st
	u.mu.Unlock()
	u.emit(hub.KindUpstream, st)
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		select {
		case <-u.ctx.Done():
			return
		case <-c.Done():
		}
		reason := fmt.Sprintf("the upstream command exited (%v)", c.Err())
		u.mu.Lock()
		u.st.Reachable, u.st.Detail, u.st.Since = false, reason, u.o.Now()
		u.outages++
		st := u.st
		ws := u.liveLocked()
		u.mu.Unlock()
		u.emit(hub.KindUpstream, st)
		for _, w := range ws {
			w.lose(reason)
		}
	}()
}

// Child is the server Attach made the upstream's, or nil.
func (u *Upstream) Child() *Child { return u.attached() }

func (u *Upstream) attached() *Child {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.child
}
