package bench

import "time"

// window is the measured part of a bench: wall time, and the CPU time of
// the server's process tree (when pid > 0), of the bench itself and of the
// whole machine, each read at its start and its end.
type window struct {
	pid   int
	start time.Time
	wall  time.Duration

	tree    TreeCPU // the server tree's CPU in the window, once stopped
	treeErr error   // why the end could not be read (the server exited)
	self    time.Duration
	mach    machineCPU
	machErr error
}

// startWindow reads the starting figures; it fails only when pid is given
// and cannot be read.
func startWindow(pid int) (*window, error) {
	w := &window{pid: pid}
	if pid > 0 {
		var err error
		if w.tree, err = ReadTreeCPU(pid); err != nil {
			return nil, err
		}
	}
	w.self = selfCPU()
	w.mach, w.machErr = readMachineCPU("/proc")
	w.start = time.Now()
	return w, nil
}

// stop reads the ending figures and keeps the differences.
func (w *window) stop() {
	w.wall = time.Since(w.start)
	w.self = selfCPU() - w.self
	if m, err := readMachineCPU("/proc"); err == nil && w.machErr == nil {
		w.mach = machineCPU{busy: m.busy - w.mach.busy, steal: m.steal - w.mach.steal}
	} else if w.machErr == nil {
		w.machErr = err
	}
	if w.pid > 0 {
		end, err := ReadTreeCPU(w.pid)
		end.CPU -= w.tree.CPU
		w.tree, w.treeErr = end, err
	}
}

// addTo records the window's CPU figures in r (after r's runs are known).
func (w *window) addTo(r *Result) {
	var tree *TreeCPU
	if w.pid > 0 && w.treeErr == nil {
		tree = &w.tree
	}
	r.addCPU(w.pid, tree, w.treeErr, w.self)
	if w.machErr == nil {
		r.addMachine(w.mach.busy, w.mach.steal)
	}
}
