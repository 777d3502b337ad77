//go:build unix && !linux

package acctest

import "syscall"

// sysProcAttr puts moto in its own process group, so Stop can kill everything it started.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
