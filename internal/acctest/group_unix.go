//go:build unix

package acctest

import (
	"errors"
	"syscall"
)

// signalGroup sends SIGTERM (or SIGKILL when force) to the process group led by pid.
func signalGroup(pid int, force bool) error {
	sig := syscall.SIGTERM
	if force {
		sig = syscall.SIGKILL
	}
	return syscall.Kill(-pid, sig)
}

// groupAlive reports whether any process of the group led by pid still exists.
func groupAlive(pid int) bool {
	return !errors.Is(syscall.Kill(-pid, 0), syscall.ESRCH)
}
