package reliability

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// SIGKILL to an apply mid-canary, then the canary's alarm fires while nobody watches it.
// The next apply takes the split over (its holder process is gone), rolls it back to the
// primary before the alarm check can refuse, and reports: the earlier release was
// interrupted and rolled back, what is live, and no advice to ignore the alarms.
func TestKilled_canaryWhoseAlarmFiresIsRolledBackByTheNextApply(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	alarm := acctest.RandName("killed-canary")
	acctest.Alarm(t, alarm)
	acctest.SetAlarmState(t, alarm, "OK")
	fn, w, r := released(t, release{Alarms: []string{alarm}, PollInterval: "1s"})
	r.Shift = `{ steps = [{ percentage = 10, hold = "120s" }] }`
	setConfig(t, w, r.HCL())

	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitSplit(t, fn, exited, out)
	killed := leaseMark.FindStringSubmatch(aliasDescription(t, fn))
	if killed == nil {
		t.Fatalf("the split alias holds no lease: %q", aliasDescription(t, fn))
	}
	if err := acctest.SignalGroup(cmd, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	if !acctest.WaitGroupGone(cmd, 10*time.Second) {
		t.Fatal("a provider plugin outlived SIGKILL to its process group")
	}
	if a := acctest.GetAlias(t, fn, "live"); a.Version != "1" || a.Weights["2"] != 0.1 {
		t.Fatalf("after SIGKILL the alias is %+v, want 1 with 10%% on 2", a)
	}
	acctest.SetAlarmState(t, alarm, "ALARM")

	next, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the apply after the kill succeeded over a firing alarm:\n%s", next)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, next.String(),
		`Release of `+fn+`:live rolled back`,
		`alarm "`+alarm+`" is in ALARM, and alias live was left split at 1 with 10% on 2 by release `+regexp.QuoteMeta(killed[1])+
			` \(run by [^)]*\), which was interrupted \(its process has ended\): the split is rolled back to version 1 before anything else, and the release stops`,
		`The alias live now serves version 1 with no weights \(rolled back: the split 1 with 10% on 2 left by release `+regexp.QuoteMeta(killed[1]),
		`10% on version 2 took traffic while no release watched it, and the alarms fired`,
	)
	if strings.Contains(next.String(), "ignore_alarms") {
		t.Errorf("the error suggests ignore_alarms while version 2 failed its canary:\n%s", next)
	}
	if m := releasedMark.FindStringSubmatch(aliasDescription(t, fn)); m == nil || m[1] != "restored" || m[2] != "1" {
		t.Errorf("alias description %q, want the restored mark", aliasDescription(t, fn))
	}
	st := w.State(t)[res]
	last, _ := st["last_deployment"].(map[string]any)
	if st["version"] != "1" || last["status"] != "RolledBack" {
		t.Errorf("state: version %v, last_deployment %v", st["version"], last)
	}
	// Once the alarm is back to OK, the release goes through from the primary.
	acctest.SetAlarmState(t, alarm, "OK")
	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	setConfig(t, w, r.HCL())
	apply(t, w)
	expectAlias(t, fn, "2")
}
