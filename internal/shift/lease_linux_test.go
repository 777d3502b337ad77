//go:build linux

package shift

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// fakeProc is a process table and /proc as one reader sees them.
type fakeProc struct {
	pid      int
	procSelf string // what /proc/self points to ("" when /proc shows another pid namespace)
	boot     string
	pidNS    string
	timeNS   string // "" when the kernel has none
	procs    map[int]string
	hidden   map[int]bool // in the table but hidden from /proc (hidepid)
}

// stat is a /proc/<pid>/stat line with a command name full of spaces and parentheses.
func stat(pid int, state string, start int) string {
	return fmt.Sprintf("%d (my (odd) name) %s 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 9 0 %d 1234 56 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n", pid, state, start)
}

func (p *fakeProc) fs() procFS {
	return procFS{
		getpid: func() int { return p.pid },
		readlink: func(name string) (string, error) {
			switch name {
			case "/proc/self":
				if p.procSelf == "" {
					return "", fs.ErrNotExist
				}
				return p.procSelf, nil
			case "/proc/self/ns/pid":
				return p.pidNS, nil
			case "/proc/self/ns/time":
				if p.timeNS == "" {
					return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrNotExist}
				}
				return p.timeNS, nil
			}
			return "", fs.ErrNotExist
		},
		readFile: func(name string) ([]byte, error) {
			switch name {
			case "/proc/sys/kernel/random/boot_id":
				return []byte(p.boot + "\n"), nil
			case "/proc/self/stat":
				return []byte(p.procs[p.pid]), nil
			}
			var pid int
			if _, err := fmt.Sscanf(name, "/proc/%d/stat", &pid); err == nil && p.procs[pid] != "" && !p.hidden[pid] {
				return []byte(p.procs[pid]), nil
			}
			return nil, fs.ErrNotExist
		},
		signal0: func(pid int) error {
			if p.procs[pid] == "" {
				return syscall.ESRCH
			}
			return nil
		},
	}
}

func newFakeProc() *fakeProc {
	return &fakeProc{
		pid: 100, procSelf: "100", boot: "5b3f7d2e-1111-2222-3333-444455556666", pidNS: "pid:[4026531836]", timeNS: "time:[4026531834]",
		procs: map[int]string{100: stat(100, "R", 5000), 200: stat(200, "S", 4000)},
	}
}

// holderGone concludes "gone" only about a process the reader truly sees: the same boot,
// pid namespace and time namespace, a /proc of its own pid namespace, and a process that
// is not there, started at another time (its pid reused), or is a zombie.
func TestHolderGoneWithInjectedProc(t *testing.T) {
	writer := newFakeProc()
	writer.pid, writer.procSelf = 200, "200"
	holder := writer.fs().self()
	if holder.pid != 200 || holder.start != "4000" || len(holder.ns) != 2*processKeyBytes {
		t.Fatalf("self() = %+v", holder)
	}
	if p, ok := parseProcess("ci@runner " + holder.String()); !ok || p != holder {
		t.Fatalf("parseProcess(%q) = %+v %v", holder, p, ok)
	}
	for _, tc := range []struct {
		name   string
		reader func(*fakeProc)
		holder func(*process)
		gone   bool
	}{
		{"alive", func(*fakeProc) {}, nil, false},
		{"no process has its id any more", func(p *fakeProc) { delete(p.procs, 200) }, nil, true},
		{"a zombie nobody reaps", func(p *fakeProc) { p.procs[200] = stat(200, "Z", 4000) }, nil, true},
		{"a dying process", func(p *fakeProc) { p.procs[200] = stat(200, "X", 4000) }, nil, true},
		{"its id reused by a later process", func(p *fakeProc) { p.procs[200] = stat(200, "S", 9000) }, nil, true},
		{"hidden from /proc (hidepid) but there", func(p *fakeProc) { p.hidden = map[int]bool{200: true} }, nil, false},
		{"another pid namespace (another container, same host name)", func(p *fakeProc) {
			p.pidNS = "pid:[4026532999]"
			delete(p.procs, 200)
		}, nil, false},
		{"another boot or host", func(p *fakeProc) {
			p.boot = "00000000-0000-0000-0000-000000000000"
			delete(p.procs, 200)
		}, nil, false},
		{"another time namespace (start times differ)", func(p *fakeProc) {
			p.timeNS = "time:[4026532777]"
			p.procs[200] = stat(200, "S", 9000)
		}, nil, false},
		{"a reader whose /proc shows another pid namespace", func(p *fakeProc) {
			p.procSelf = "31337"
			delete(p.procs, 200)
		}, nil, false},
		{"a reader without /proc at all", func(p *fakeProc) {
			p.procSelf = ""
			delete(p.procs, 200)
		}, nil, false},
		{"a holder that recorded no key (old lease, or uncheckable)", func(p *fakeProc) { delete(p.procs, 200) }, func(h *process) { h.ns, h.start = "", "" }, false},
		{"this very process", func(p *fakeProc) { p.pid, p.procSelf = 200, "200" }, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFakeProc()
			tc.reader(r)
			h := holder
			if tc.holder != nil {
				tc.holder(&h)
			}
			if got := r.fs().gone(h, r.fs().self()); got != tc.gone {
				t.Errorf("gone = %v, want %v", got, tc.gone)
			}
		})
	}
	t.Run("a kernel without time namespaces", func(t *testing.T) {
		r := newFakeProc()
		r.timeNS = ""
		w := newFakeProc()
		w.timeNS, w.pid, w.procSelf = "", 200, "200"
		h := w.fs().self()
		if h.ns == "" {
			t.Fatal("no key without a time namespace")
		}
		r.procs[200] = stat(200, "Z", 4000)
		if !r.fs().gone(h, r.fs().self()) {
			t.Error("zombie not gone")
		}
	})
	for _, bad := range []string{"", "200 (x", "200 (x) S 1 2", "200 (x) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 9 0 notanumber 1"} {
		if _, _, ok := parseStat([]byte(bad)); ok {
			t.Errorf("parseStat(%q) ok", bad)
		}
	}
}

// On this machine, through the real /proc: this process has a checkable identity; a
// child that ended and was reaped, and a child killed and never reaped (a zombie), are
// gone; this process is not.
func TestHolderGoneOnThisMachine(t *testing.T) {
	me := thisProcess()
	if me.ns == "" {
		t.Skip("this process cannot check holders here (/proc not of its pid namespace): " + me.String())
	}
	holder := func(p process) string { return "me@" + hostname() + " " + p.String() }
	if holderGone(holder(me)) {
		t.Error("this process reads as gone")
	}
	start := func(pid int) string {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			t.Fatal(err)
		}
		_, s, ok := parseStat(b)
		if !ok {
			t.Fatalf("cannot read the start of %d", pid)
		}
		return s
	}

	zombie := exec.Command("sleep", "60")
	if err := zombie.Start(); err != nil {
		t.Skip("cannot start a child: " + err.Error())
	}
	t.Cleanup(func() { _ = zombie.Wait() })
	p := process{pid: zombie.Process.Pid, start: start(zombie.Process.Pid), ns: me.ns}
	if holderGone(holder(p)) {
		t.Fatal("a running child reads as gone")
	}
	if holderGone(holder(process{pid: p.pid, start: p.start, ns: "ffffffffffff"})) {
		t.Error("a process seen with another namespace key reads as gone")
	}
	_ = zombie.Process.Signal(syscall.SIGKILL)
	// Wait for it to end without reaping it (WNOWAIT): it stays a zombie until the cleanup.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, p.pid, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatalf("waitid: %v", err)
	}
	if b, _ := os.ReadFile("/proc/" + strconv.Itoa(p.pid) + "/stat"); !strings.Contains(string(b), ") Z ") {
		t.Fatalf("child %d is not a zombie: %s", p.pid, b)
	}
	if err := syscall.Kill(p.pid, 0); err != nil {
		t.Fatalf("signal 0 to the zombie: %v (the old check would have called it gone too)", err)
	}
	if !holderGone(holder(p)) {
		t.Error("a zombie reads as alive")
	}
	_ = zombie.Wait()
	if err := syscall.Kill(p.pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Skipf("pid %d was reused at once", p.pid)
	}
	if !holderGone(holder(p)) {
		t.Error("a reaped child reads as alive")
	}
	if !strings.Contains(NewHolder(""), me.String()) {
		t.Errorf("NewHolder %q lacks this process %s", NewHolder(""), me)
	}
}
