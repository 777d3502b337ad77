//go:build linux

package reliability

import (
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// holderProcess reads the process at the end of a lease's holder: its pid, start time
// and namespace key.
var holderProcess = regexp.MustCompile(` pid (\d+) start (\d+) ns ([0-9a-f]{12})$`)

// Two pipelines on one machine that share the host name but not the process-id namespace
// (two CI jobs in containers with host networking). A holds a canary; B, whose apply runs
// in a pid namespace of its own (unshare), cannot see A's process, so it takes A for alive:
// it refuses and changes nothing, naming A's run, which A's environment (GitHub Actions
// variables) put in the lease. Before, B checked A's pid in its own process table, found
// nothing and took the live canary over. A destroy of the alias refuses too.
func TestLease_anotherPidNamespaceWithTheSameHostName(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	unshare := []string{"unshare", "--pid", "--fork", "--mount-proc"}
	if out, err := exec.Command(unshare[0], append(unshare[1:], "true")...).CombinedOutput(); err != nil {
		t.Skipf("unshare --pid --fork --mount-proc is not available here (it needs root): %v %s", err, strings.TrimSpace(string(out)))
	}
	fn := threeVersions(t)

	a := release{Function: fn, Version: "1"}
	wa := acctest.NewWorkdir(t, a.HCL())
	for k, v := range map[string]string{
		"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_RUN_ID": "4242", "GITHUB_RUN_ATTEMPT": "1",
	} {
		wa.Setenv(k, v)
	}
	apply(t, wa)
	a.Version, a.Shift = "2", `{ steps = [{ percentage = 10, hold = "90s" }] }`
	setConfig(t, wa, a.HCL())
	cmd, outA, err := wa.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			acctest.SignalGroup(cmd, syscall.SIGKILL)
			<-exited
		}
	})
	waitSplit(t, fn, exited, outA)
	split := acctest.GetAlias(t, fn, "live")
	desc := aliasDescription(t, fn)
	m := leaseMark.FindStringSubmatch(desc)
	if m == nil {
		t.Fatalf("alias split by A has description %q, want a lease", desc)
	}
	idA, holderA, until := m[1], m[2], m[3]
	host, _ := os.Hostname()
	if !strings.HasPrefix(holderA, "https://github.com/acme/infra/actions/runs/4242 on ") || !strings.Contains(holderA, "@"+host+" pid ") ||
		!holderProcess.MatchString(holderA) {
		t.Errorf("A's lease holder is %q: want its GitHub Actions run, user@%s, and its process", holderA, host)
	}

	b := release{Function: fn, Version: "3"}
	wb := acctest.NewWorkdir(t, b.HCL())
	outB, err := wb.RunUnder(t.Context(), unshare, "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("B's apply in another pid namespace took over A's live canary:\n%s", outB)
	}
	select {
	case <-exited:
		t.Fatalf("A ended before B's apply was refused (the test needs A to hold):\n%s", outA)
	default:
	}
	expectOutput(t, outB.String(),
		`Release of `+fn+`:live failed`,
		`alias live is being released by `+regexp.QuoteMeta(idA)+` \(run by https://github.com/acme/infra/actions/runs/4242 on [^)]*\) until `+regexp.QuoteMeta(until)+` at the latest; nothing was changed`,
	)
	if after := acctest.GetAlias(t, fn, "live"); after.RevisionID != split.RevisionID || after.Version != "1" || after.Weights["2"] != 0.1 {
		t.Errorf("after B's refusal the alias is %+v, want A's split untouched: %+v", after, split)
	}
	// A third configuration that imported the alias cannot destroy it from under A.
	wc := acctest.NewWorkdir(t, release{Function: fn, Version: "1"}.HCL())
	if out, err := wc.Run(t.Context(), "import", res, fn+":live"); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	outC, err := wc.Run(t.Context(), "destroy", "-auto-approve")
	if err == nil {
		t.Fatalf("destroy deleted the alias A is releasing onto:\n%s", outC)
	}
	expectOutput(t, outC.String(),
		`Alias held by a release in flight`,
		`alias live of function `+fn+` is being released by `+regexp.QuoteMeta(idA)+` \(run by https://github.com/acme/infra/actions/runs/4242 on [^)]*\) until `+regexp.QuoteMeta(until)+` at the latest; nothing was deleted`,
		`skip_destroy = true`,
	)
	if after := acctest.GetAlias(t, fn, "live"); !after.Exists || after.RevisionID != split.RevisionID {
		t.Errorf("after the refused destroy the alias is %+v, want A's split untouched", after)
	}

	// Ctrl-C to A: it rolls back and clears its lease.
	if err := acctest.SignalGroup(cmd, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-exited
	expectAlias(t, fn, "1")
}

// noReapEnv makes this test binary a parent that never reaps its children, as the first
// process of a container without an init: it starts the command it is given, and when
// sent SIGUSR1 kills that command's process group with SIGKILL and does not wait for it.
// As a child subreaper it inherits the provider plugin orphaned by terraform's death, so
// the killed provider stays a zombie. SIGTERM reaps everything and exits.
const noReapEnv = "SAFELAMBDA_TEST_NO_REAP_PARENT"

func init() {
	if os.Getenv(noReapEnv) == "" {
		return
	}
	os.Exit(noReapParent(os.Args[1:]))
}

func noReapParent(args []string) int {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		os.Stderr.WriteString("prctl: " + err.Error() + "\n")
		return 1
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGTERM)
	child := exec.Command(args[0], args[1:]...)
	child.Stdout, child.Stderr = os.Stdout, os.Stderr
	child.Env = os.Environ()
	child.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := child.Start(); err != nil {
		os.Stderr.WriteString("start: " + err.Error() + "\n")
		return 1
	}
	for s := range sigs {
		if s == syscall.SIGUSR1 {
			_ = syscall.Kill(-child.Process.Pid, syscall.SIGKILL)
			continue
		}
		for {
			var ws syscall.WaitStatus
			if _, err := syscall.Wait4(-1, &ws, 0, nil); errors.Is(err, syscall.ECHILD) {
				return 0
			}
		}
	}
	return 0
}

// An apply killed where nobody reaps it: its provider process stays a zombie, which still
// answers signal 0, so the old check took it for alive and kept the next apply off the
// alias until the lease ran out. A zombie has ended: the next apply takes the split over
// at once and finishes the release.
func TestLease_zombieProviderIsTakenOverAtOnce(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fn, w, r := released(t, release{})
	r.Shift = `{ steps = [{ percentage = 10, hold = "120s" }] }`
	setConfig(t, w, r.HCL())

	w.Setenv(noReapEnv, "1")
	parent, out, err := w.StartUnder([]string{os.Args[0]}, "apply", "-auto-approve")
	w.Setenv(noReapEnv, "")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { parent.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = parent.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			acctest.SignalGroup(parent, syscall.SIGKILL)
			<-exited
		}
	})
	waitSplit(t, fn, exited, out)
	m := leaseMark.FindStringSubmatch(aliasDescription(t, fn))
	if m == nil {
		t.Fatalf("the split alias holds no lease: %q", aliasDescription(t, fn))
	}
	p := holderProcess.FindStringSubmatch(m[2])
	if p == nil {
		t.Fatalf("the lease's holder %q names no checkable process", m[2])
	}
	until, _ := time.Parse(time.RFC3339, m[3])
	pid, _ := strconv.Atoi(p[1])

	if err := parent.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + p[1] + "/stat")
		if err != nil {
			t.Fatalf("the killed provider %d was reaped (%v): the scenario needs it left a zombie", pid, err)
		}
		if s := string(b); strings.Contains(s[strings.LastIndexByte(s, ')'):], ") Z ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the provider %d did not become a zombie: %s", pid, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("signal 0 to the zombie provider: %v", err)
	}
	if a := acctest.GetAlias(t, fn, "live"); a.Version != "1" || a.Weights["2"] != 0.1 {
		t.Fatalf("after the kill the alias is %+v, want 1 with 10%% on 2", a)
	}

	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	setConfig(t, w, r.HCL())
	next := apply(t, w)
	if !time.Now().Before(until) {
		t.Fatalf("the lease ran out (%s) before the apply ended: the test proves nothing", until)
	}
	expectAlias(t, fn, "2")
	expectOutput(t, next.String(),
		`release `+regexp.QuoteMeta(m[1])+` \(run by [^)]*\) holds the alias until `+regexp.QuoteMeta(m[3])+`, but its process on this host has ended: taking the alias over`,
	)
}
