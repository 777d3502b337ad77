//go:build unix

package acctest

import (
	"os/exec"
	"syscall"
	"time"
)

func newGroupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// SignalGroup sends sig to the process group of a command started by Workdir.Start:
// terraform and the provider plugins it started, as a terminal's Ctrl-C (SIGINT) does, or
// as a crash (SIGKILL) would end them all.
func SignalGroup(cmd *exec.Cmd, sig syscall.Signal) error {
	return syscall.Kill(-cmd.Process.Pid, sig)
}

// WaitGroupGone waits until no process of cmd's group is left (terraform and its provider
// plugins), so a test can then read AWS knowing nothing of that run can still write.
// It reports false if some process outlives within.
func WaitGroupGone(cmd *exec.Cmd, within time.Duration) bool {
	for deadline := time.Now().Add(within); groupAlive(cmd.Process.Pid); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
