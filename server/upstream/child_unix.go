//go:build unix

package upstream

import (
	"errors"
	"os/exec"
	"syscall"
)

// setGroup puts the child in a process group of its own, so a terminal's
// Ctrl-C reaches hooklab only and Stop can end every process the child
// started.
func setGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func signalGroup(pgid int, kill bool) {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-pgid, sig)
}

// groupAlive reports whether any process of the group is left (zombies
// of the group's leader included until hooklab reaps it).
func groupAlive(pgid int) bool {
	err := syscall.Kill(-pgid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
