package reliability

import (
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// SIGKILL to terraform and the provider plugin mid-hold: nothing can roll back, so the
// alias stays split. The next plan shows the release pending, and the next apply resumes
// it from the split and finishes on 2, with no step by hand.
func TestCrash_sigkillDuringHoldThenResume(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fn, w, r := released(t, release{})
	r.Shift = `{ steps = [{ percentage = 10, hold = "30s" }] }`
	setConfig(t, w, r.HCL())

	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	split := waitSplit(t, fn, exited, out)
	if err := acctest.SignalGroup(cmd, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	if !acctest.WaitGroupGone(cmd, 10*time.Second) {
		t.Fatal("a provider plugin outlived SIGKILL to its process group")
	}
	after := acctest.GetAlias(t, fn, "live")
	if after.Version != "1" || after.Weights["2"] != 0.1 {
		t.Fatalf("after SIGKILL the alias is %+v, want it left split at 1 + 2@0.1 (was %v)\n%s", after, split.Weights, out)
	}

	plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode")
	if plan.ExitCode != 2 {
		t.Fatalf("plan after the crash: exit %d (%v), want 2 (release pending)\n%s", plan.ExitCode, err, plan)
	}
	expectOutput(t, plan.String(), `safelambda_deployment.test will be updated in-place`, `"2" = 0\.1`)

	// A short hold now: the resumed release holds the step it was killed in again.
	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	setConfig(t, w, r.HCL())
	start := time.Now()
	apply(t, w)
	t.Logf("resume apply took %s", time.Since(start).Round(time.Millisecond))
	expectAlias(t, fn, "2")
	st := w.State(t)[res]
	last, _ := st["last_deployment"].(map[string]any)
	if st["version"] != "2" || st["previous_version"] != "1" || last["status"] != "Succeeded" {
		t.Errorf("state after resume: version %v, previous %v, last_deployment %v", st["version"], st["previous_version"], last)
	}
	if plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); plan.ExitCode != 0 {
		t.Errorf("plan after the resume: exit %d (%v), want 0\n%s", plan.ExitCode, err, plan)
	}
}
