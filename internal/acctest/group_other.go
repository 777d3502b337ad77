//go:build !unix

package acctest

import (
	"os"
	"syscall"
)

// Without process groups, the best we can do is the moto process itself.

func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(pid int, _ bool) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}

func groupAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
