//go:build unix

package acctest

import (
	"os/exec"
	"syscall"
)

func newGroupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// SignalGroup sends sig to the process group of a command started by Workdir.Start:
// terraform and the provider plugins it started, as a terminal's Ctrl-C (SIGINT) does, or
// as a crash (SIGKILL) would end them all.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}
