//go:build !unix

package acctest

import (
	"os/exec"
	"syscall"
)

func newGroupAttr() *syscall.SysProcAttr { return nil }

// SignalGroup can only reach terraform itself without process groups.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return cmd.Process.Signal(sig)
}
