package reliability

import (
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// A group release SIGKILLed during its promotion: one member already promoted (its alias on
// version 2, the killed release's lease still on it, recording from 1), the others still
// split. The next apply treats the promoted member as part of the interrupted release:
// restored with the others when an alarm fires, promoted with them when every check passes.

// killedMidPromotion kills a group release of fns mid-hold, then promotes the last member's
// alias by hand the way the killed release's promotion write would have (the description,
// its lease, is kept: UpdateAlias without Description keeps it).
func killedMidPromotion(t *testing.T, fns []string, w *acctest.Workdir, alarm string) string {
	t.Helper()
	setConfig(t, w, groupConfigWithAlarm(fns, shaV2, "120s", alarm))
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
	last := fns[len(fns)-1]
	lease := aliasDescription(t, last)
	m := regexp.MustCompile(`^safelambda release (d-\S+) from 1 by .+ until \S+$`).FindStringSubmatch(lease)
	if m == nil {
		t.Fatalf("the killed release's lease does not record from 1: %q", lease)
	}
	acctest.SetAlias(t, last, "live", "2", nil)
	if d := aliasDescription(t, last); d != lease {
		t.Fatalf("promoting by hand changed the description: %q, was %q", d, lease)
	}
	return m[1]
}

func groupConfigWithAlarm(fns []string, code, hold, alarm string) string {
	c := groupConfig("", fns, code, hold)
	return strings.Replace(c, "  traffic_arrives_via", "  alarms = [\""+alarm+"\"]\n  alarm_poll_interval = \"1s\"\n  traffic_arrives_via", 1)
}

func TestCrash_groupKilledMidPromotionThenAlarmRestoresEveryMember(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	alarm := acctest.RandName("crash-promotion")
	acctest.Alarm(t, alarm)
	acctest.SetAlarmState(t, alarm, "OK")
	fns, w := releasedGroup(t, "")
	killed := killedMidPromotion(t, fns, w, alarm)
	acctest.SetAlarmState(t, alarm, "ALARM")

	next, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the apply after the kill succeeded over a firing alarm:\n%s", next)
	}
	for _, fn := range fns {
		expectAlias(t, fn, "1") // the promoted member too: never some promoted and some restored
		if m := releasedMark.FindStringSubmatch(aliasDescription(t, fn)); m == nil || m[1] != "restored" || m[2] != "1" {
			t.Errorf("alias live of %s: description %q, want the restored mark", fn, aliasDescription(t, fn))
		}
	}
	expectOutput(t, next.String(), `Every member of the group`,
		`m0 \(`+fns[0]+`:live\): The alias live now serves version 1 with no weights`,
		`m1 \(`+fns[1]+`:live\): The alias live now serves version 1 with no weights`,
		`m2 \(`+fns[2]+`:live\): The alias live now serves version 1 with no weights \(rolled back: the promotion to 2 by release `+regexp.QuoteMeta(killed))
}

func TestCrash_groupKilledMidPromotionThenChecksPassPromotesEveryMember(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	alarm := acctest.RandName("crash-promotion")
	acctest.Alarm(t, alarm)
	acctest.SetAlarmState(t, alarm, "OK")
	fns, w := releasedGroup(t, "")
	killedMidPromotion(t, fns, w, alarm)

	setConfig(t, w, groupConfigWithAlarm(fns, shaV2, "1s", alarm))
	apply(t, w)
	for _, fn := range fns {
		expectAlias(t, fn, "2")
		if m := releasedMark.FindStringSubmatch(aliasDescription(t, fn)); m == nil || m[1] != "released" || m[2] != "2" ||
			!strings.Contains(aliasDescription(t, fn), " from 1 ") {
			t.Errorf("alias live of %s: description %q, want released version 2 from 1", fn, aliasDescription(t, fn))
		}
	}
	if plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); plan.ExitCode != 0 {
		t.Errorf("plan after the resume: exit %d (%v), want 0\n%s", plan.ExitCode, err, plan)
	}
}

// A release of one alias follows the same rule: killed after its promotion write but before
// its last (its lease still on, recording from 1), the plan shows it pending, and an apply
// whose alarm fires takes it back to 1.
func TestCrash_singleKilledAfterPromotionThenAlarmRestoresTheAlias(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	alarm := acctest.RandName("crash-promotion")
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
	if err := acctest.SignalGroup(cmd, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-exited
	if !acctest.WaitGroupGone(cmd, 10*time.Second) {
		t.Fatal("a provider plugin outlived SIGKILL to its process group")
	}
	lease := aliasDescription(t, fn)
	if !regexp.MustCompile(`^safelambda release d-\S+ from 1 by .+ until \S+$`).MatchString(lease) {
		t.Fatalf("the killed release's lease does not record from 1: %q", lease)
	}
	acctest.SetAlias(t, fn, "live", "2", nil) // its promotion write landed, then the kill
	if plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); plan.ExitCode != 2 {
		t.Fatalf("plan after the crash: exit %d (%v), want 2 (release pending)\n%s", plan.ExitCode, err, plan)
	}
	acctest.SetAlarmState(t, alarm, "ALARM")
	next, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the apply after the kill succeeded over a firing alarm:\n%s", next)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, next.String(), `alias live was left promoted on 2 \(from 1\) by release d-\S+ \(run by [^)]*\), which was interrupted \(its process has ended\): the promotion is rolled back to version 1`)
}
