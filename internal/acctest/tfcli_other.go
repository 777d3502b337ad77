//go:build !unix

package acctest

import (
	"os/exec"
	"syscall"
	"time"
)

func newGroupAttr() *syscall.SysProcAttr { return nil }

// SignalGroup can only reach terraform itself without process groups.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Signal(sig)
}

// WaitGroupGone can only wait for terraform itself without process groups; the caller
// has waited for it already.
func WaitGroupGone(cmd *exec.Cmd, _ time.Duration) bool { return cmd.ProcessState != nil }
