//go:build !unix

package upstream

import (
	"os"
	"os/exec"
)

func setGroup(cmd *exec.Cmd) {}

// signalGroup ends the child itself; without process groups its own
// children are left to it.
func signalGroup(pid int, kill bool) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

func groupAlive(pid int) bool { return false }
