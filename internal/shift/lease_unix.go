//go:build unix

package shift

import (
	"errors"
	"syscall"
)

// processGone is true when no process has this id (signal 0 checks without sending).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
