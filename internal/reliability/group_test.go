package reliability

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// Group releases through the CLI: interrupted and killed mid-step, and a throttled
// member, with every member's alias read from outside.

// groupConfig is a group of fns, each releasing code on alias live, held hold at 10%.
func groupConfig(provider string, fns []string, code, hold string) string {
	var b strings.Builder
	if provider != "" {
		fmt.Fprintf(&b, "provider \"safelambda\" {\n%s\n}\n\n", provider)
	}
	b.WriteString("resource \"safelambda_deployment_group\" \"test\" {\n  members = {\n")
	for i, fn := range fns {
		fmt.Fprintf(&b, "    m%d = { function_name = %q, alias = \"live\", code_sha256 = %q }\n", i, fn, code)
	}
	fmt.Fprintf(&b, "  }\n  traffic_arrives_via = \"direct_invoke\"\n  traffic_shift = { steps = [{ percentage = 10, hold = %q }] }\n}\n", hold)
	return b.String()
}

// releasedGroup sets up three functions whose aliases serve version 1 through a group's
// first release, with $LATEST then updated to the "v2" code.
func releasedGroup(t *testing.T, provider string) ([]string, *acctest.Workdir) {
	t.Helper()
	fns := []string{acctest.Function(t, "").Name, acctest.Function(t, "").Name, acctest.Function(t, "").Name}
	w := acctest.NewWorkdir(t, groupConfig(provider, fns, shaV1, "1s"))
	apply(t, w)
	for _, fn := range fns {
		expectAlias(t, fn, "1")
		acctest.UpdateCode(t, fn, "v2")
	}
	return fns, w
}

func TestGroup_sigintDuringHoldRollsBackEveryMember(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fns, w := releasedGroup(t, "")
	setConfig(t, w, groupConfig("", fns, shaV2, "30s"))
	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	for _, fn := range fns {
		waitSplit(t, fn, exited, out) // every member carries the step before the hold
	}
	if err := acctest.SignalGroup(cmd, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-exited
	if cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("terraform exited 0 after an interrupted group release:\n%s", out)
	}
	for _, fn := range fns {
		expectAlias(t, fn, "1")
	}
	expectOutput(t, out.String(), `rolled back`, `the release was interrupted \(it was cancelled\)`, `Every member of the group`,
		`m0 \(`+fns[0]+`:live\): The alias live now serves version 1 with no weights \(rolled back\)`,
		`m2 \(`+fns[2]+`:live\): The alias live now serves version 1 with no weights \(rolled back\)`)
}

func TestGroup_sigkillDuringHoldThenResumeEveryMember(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fns, w := releasedGroup(t, "")
	setConfig(t, w, groupConfig("", fns, shaV2, "30s"))
	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	for _, fn := range fns {
		waitSplit(t, fn, exited, out)
	}
	if err := acctest.SignalGroup(cmd, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	if !acctest.WaitGroupGone(cmd, 10*time.Second) {
		t.Fatal("a provider plugin outlived SIGKILL to its process group")
	}
	for _, fn := range fns {
		if a := acctest.GetAlias(t, fn, "live"); a.Version != "1" || a.Weights["2"] != 0.1 {
			t.Fatalf("after SIGKILL alias live of %s is %+v, want it left split at 1 + 2@0.1", fn, a)
		}
	}
	plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode")
	if plan.ExitCode != 2 {
		t.Fatalf("plan after the crash: exit %d (%v), want 2 (release pending)\n%s", plan.ExitCode, err, plan)
	}
	// The next apply resumes every member together and promotes them all.
	setConfig(t, w, groupConfig("", fns, shaV2, "1s"))
	apply(t, w)
	for _, fn := range fns {
		expectAlias(t, fn, "2")
	}
	if plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); plan.ExitCode != 0 {
		t.Errorf("plan after the resume: exit %d (%v), want 0\n%s", plan.ExitCode, err, plan)
	}
}

// One member's writes are throttled (Lambda's 429, beyond the SDK's retries with
// max_retries = 1): the group retries them and every member is promoted.
func TestGroup_throttledMemberWriteIsRetried(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{RevisionIDs: true})
	provider := endpointsAt(p.URL(), "  max_retries = 1\n")
	fns, w := releasedGroup(t, provider)
	setConfig(t, w, groupConfig(provider, fns, shaV2, "1s"))
	p.FailNext("Lambda.UpdateAlias", 3, acctest.Throttle429)
	apply(t, w)
	for _, fn := range fns {
		expectAlias(t, fn, "2")
	}
	if f := p.InjectedFaults()[acctest.Throttle429]; f != 3 {
		t.Errorf("%d throttles injected, want 3", f)
	}
}
