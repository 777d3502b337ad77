package acctest

import "syscall"

// sysProcAttr puts moto in its own process group, so Stop can kill everything it started,
// and has the kernel kill it if the test binary dies without running Stop (-timeout
// panics, SIGKILL).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
