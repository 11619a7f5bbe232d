package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// TreeCPU is the CPU time of a process and all its descendants as Linux
// accounts it in /proc/PID/stat: user plus system time of every process in
// the tree, plus the time of children they have already reaped (cutime,
// cstime). Counting reaped children keeps the sum steady when a child
// exits inside a measured window: its time moves into its parent's
// counters instead of vanishing. The kernel counts in clock ticks
// (usually 100 a second), so a reading is exact to about 10 ms per
// process.
type TreeCPU struct {
	CPU   time.Duration // user + system, the tree's own and its reaped children's
	Procs int           // processes in the tree when read
}

// ReadTreeCPU reads the tree rooted at pid from /proc. It fails when pid
// is not a running process (or /proc is not there: Linux only).
func ReadTreeCPU(pid int) (TreeCPU, error) {
	return readTreeCPU("/proc", pid)
}

// procStat is what the bench reads of one /proc/PID/stat line.
type procStat struct {
	ppid  int
	ticks uint64 // utime + stime + cutime + cstime
}

func readTreeCPU(proc string, pid int) (TreeCPU, error) {
	root, err := readProcStat(proc, pid)
	if err != nil {
		return TreeCPU{}, fmt.Errorf("--pid %d: %w", pid, err)
	}
	entries, err := os.ReadDir(proc)
	if err != nil {
		return TreeCPU{}, err
	}
	// Every process, by parent; one that exits while we list is skipped
	// (its time is in its parent's cutime once reaped).
	children := map[int][]int{}
	stats := map[int]procStat{pid: root}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == pid {
			continue
		}
		st, err := readProcStat(proc, p)
		if err != nil {
			continue
		}
		stats[p] = st
		children[st.ppid] = append(children[st.ppid], p)
	}
	var ticks uint64
	n := 0
	queue := []int{pid}
	seen := map[int]bool{pid: true}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		ticks += stats[p].ticks
		n++
		for _, c := range children[p] {
			if !seen[c] {
				seen[c] = true
				queue = append(queue, c)
			}
		}
	}
	return TreeCPU{CPU: ticksToDuration(ticks, clockTicks()), Procs: n}, nil
}

// readProcStat parses /proc/PID/stat. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so the fields
// are counted from the last ')'.
func readProcStat(proc string, pid int) (procStat, error) {
	b, err := os.ReadFile(proc + "/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return procStat{}, fmt.Errorf("no such process (not running, or not Linux)")
		}
		return procStat{}, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("unreadable %s/%d/stat", proc, pid)
	}
	// After ')': state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17).
	f := bytes.Fields(b[i+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("unreadable %s/%d/stat: %d fields", proc, pid, len(f)+2)
	}
	ppid, err := strconv.Atoi(string(f[1]))
	if err != nil {
		return procStat{}, fmt.Errorf("unreadable %s/%d/stat: ppid %q", proc, pid, f[1])
	}
	st := procStat{ppid: ppid}
	for _, k := range f[11:15] {
		v, err := strconv.ParseInt(string(k), 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("unreadable %s/%d/stat: %q", proc, pid, k)
		}
		st.ticks += uint64(max(v, 0)) // cutime and cstime are signed in the kernel's format
	}
	return st, nil
}

// clockTicks is the kernel's clock tick rate for /proc times (USER_HZ),
// from the auxiliary vector the kernel handed this process.
func clockTicks() uint64 {
	const atClkTck = 17 // AT_CLKTCK
	b, err := os.ReadFile("/proc/self/auxv")
	if err == nil {
		for ; len(b) >= 16; b = b[16:] {
			if binary.NativeEndian.Uint64(b) == atClkTck {
				if hz := binary.NativeEndian.Uint64(b[8:]); hz > 0 {
					return hz
				}
			}
		}
	}
	return 100 // USER_HZ on every Linux architecture Go supports
}

func ticksToDuration(t, hz uint64) time.Duration {
	return time.Duration(t/hz)*time.Second + time.Duration(t%hz)*time.Second/time.Duration(hz)
}

// selfCPU is this process's own user plus system time, to the microsecond.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// settle waits, up to limit, until the process tree of pid has used less
// than a tenth of a core over a quarter of a second: work left over from
// an earlier load (a store catching up, a checkpoint) would otherwise be
// counted against this one. It returns how long it waited and whether the
// tree went quiet.
func settle(ctx context.Context, pid int, limit time.Duration) (time.Duration, bool, error) {
	const window = 250 * time.Millisecond
	start := time.Now()
	prev, err := ReadTreeCPU(pid)
	if err != nil {
		return 0, false, err
	}
	t := time.NewTicker(window)
	defer t.Stop()
	for time.Since(start) < limit {
		select {
		case <-ctx.Done():
			return time.Since(start), false, nil
		case <-t.C:
		}
		cur, err := ReadTreeCPU(pid)
		if err != nil {
			return time.Since(start), false, err
		}
		if cur.CPU-prev.CPU <= window/10 {
			return time.Since(start), true, nil
		}
		prev = cur
	}
	return time.Since(start), false, nil
}

// machineCPU is the CPU time every CPU of the machine spent busy (user,
// nice, system, interrupts) and the time the hypervisor took from this
// machine's CPUs (steal), from the first line of /proc/stat.
type machineCPU struct {
	busy, steal time.Duration
}

func readMachineCPU(proc string) (machineCPU, error) {
	b, err := os.ReadFile(proc + "/stat")
	if err != nil {
		return machineCPU{}, err
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	// cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || string(f[0]) != "cpu" {
		return machineCPU{}, fmt.Errorf("unreadable %s/stat", proc)
	}
	var v [8]uint64
	for i := range v {
		if v[i], err = strconv.ParseUint(string(f[i+1]), 10, 64); err != nil {
			return machineCPU{}, fmt.Errorf("unreadable %s/stat: %q", proc, f[i+1])
		}
	}
	hz := clockTicks()
	return machineCPU{
		busy:  ticksToDuration(v[0]+v[1]+v[2]+v[5]+v[6], hz),
		steal: ticksToDuration(v[7], hz),
	}, nil
}
