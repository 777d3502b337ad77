//go:build linux

package shift

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// This file owns, on Linux, how a lease's holder process is identified and how a reader
// tells whether it has ended. A process id alone names no process: another pid namespace
// (a container), another boot or another host each has its own process with that id. So
// the lease records, with the pid, the process's start time (field 22 of /proc/<pid>/stat,
// in clock ticks since boot: it defeats pid reuse) and a key of the namespace the pid
// means something in: the boot id, the pid namespace and the time namespace (which shifts
// start times). A reader concludes "gone" only when its own key is the same (it sees the
// same process table through a /proc of its own pid namespace) and the process is not
// there, has another start time, or is a zombie. Anything else is alive.

// procFS is how a reader looks at processes; tests inject their own.
type procFS struct {
	readFile func(name string) ([]byte, error)
	readlink func(name string) (string, error)
	getpid   func() int
	// signal0 is kill(pid, 0): ESRCH says no process has this id in the caller's pid
	// namespace, whatever /proc shows (hidepid hides others' processes from /proc only).
	signal0 func(pid int) error
}

var realProcFS = procFS{
	readFile: os.ReadFile,
	readlink: os.Readlink,
	getpid:   os.Getpid,
	signal0:  func(pid int) error { return syscall.Kill(pid, 0) },
}

var thisProcessOnce = sync.OnceValue(func() process { return realProcFS.self() })

// thisProcess identifies the process that runs releases, as its leases record it.
func thisProcess() process { return thisProcessOnce() }

// processGone says whether the holder process p has ended, as far as this process can see.
func processGone(p process) bool { return realProcFS.gone(p, thisProcess()) }

// self identifies the calling process. Its key is left out when /proc is not of the
// caller's own pid namespace (a /proc mounted for another one shows other pids), or when
// something cannot be read: such a process's leases are never judged gone by anyone.
func (fs procFS) self() process {
	p := process{pid: fs.getpid()}
	if link, err := fs.readlink("/proc/self"); err != nil || link != strconv.Itoa(p.pid) {
		return p
	}
	stat, err := fs.readFile("/proc/self/stat")
	if err != nil {
		return p
	}
	_, start, ok := parseStat(stat)
	if !ok {
		return p
	}
	boot, err := fs.readFile("/proc/sys/kernel/random/boot_id")
	if err != nil || len(strings.TrimSpace(string(boot))) == 0 {
		return p
	}
	pidNS, err := fs.readlink("/proc/self/ns/pid")
	if err != nil {
		return p
	}
	timeNS, err := fs.readlink("/proc/self/ns/time")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return p // time namespaces exist since Linux 5.6; before, there is none to tell
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(boot)) + "\n" + pidNS + "\n" + timeNS))
	p.start, p.ns = start, hex.EncodeToString(sum[:processKeyBytes])
	return p
}

// gone says whether the holder process p has ended, read by me.
func (fs procFS) gone(p, me process) bool {
	switch {
	case p.ns == "" || me.ns == "":
		return false // a holder or a reader that cannot be checked
	case p.ns != me.ns:
		return false // another boot, host, pid namespace or time namespace: not visible here
	case p.pid == me.pid:
		return false // this very process
	}
	if err := fs.signal0(p.pid); errors.Is(err, syscall.ESRCH) {
		return true // no process has this id in this pid namespace
	}
	stat, err := fs.readFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return false // there, but hidden from this reader (hidepid), or it just ended
	}
	state, start, ok := parseStat(stat)
	if !ok {
		return false
	}
	// Another start time: the holder ended and its id was reused. A zombie (Z) or a dying
	// process (X) has ended: nobody reaped it yet (a container without an init).
	return start != p.start || state == "Z" || state == "X"
}

// parseStat reads the state (field 3) and start time (field 22) of a /proc/<pid>/stat line.
// The command name (field 2) is in parentheses and may hold spaces and parentheses itself,
// so fields are counted from the last ')'.
func parseStat(stat []byte) (state, start string, ok bool) {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", "", false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return "", "", false
	}
	if _, err := strconv.ParseUint(f[19], 10, 64); err != nil {
		return "", "", false
	}
	return f[0], f[19], true
}
