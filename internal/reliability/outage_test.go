package reliability

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// An alarm trips mid-hold and Lambda becomes unreachable at that very moment, so the
// rollback cannot reach it: the error says what the alias serves as last read (split) and
// the command that finishes the rollback. Once Lambda is back, the next apply converges
// with nothing done by hand: the release resumes from the split and ends on 2.
func TestOutage_lambdaDownDuringRollback(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	acctest.SetAlarmState(t, alarm, "OK")
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "  max_retries = 1\n"), Alarms: []string{alarm}, PollInterval: "1s"})
	r.Shift = `{ steps = [{ percentage = 10, hold = "3s" }] }`
	r.Timeouts = `{ update = "8s" }` // the rollback's own deadline: it retries for 8s, then gives up
	setConfig(t, w, r.HCL())

	// During the hold only the alarms are read, so the first Lambda call after the alarm
	// fires is the rollback's: Lambda goes down just before it (the callback runs before
	// the proxy decides a request's fate). Keyed on that call, not on the poll that sees
	// the alarm, the outage cannot miss a poll that lands between SetAlarmState and
	// tripped.Store on a loaded machine.
	var tripped, down atomic.Bool
	p.OnRequest(func(op string) {
		if strings.HasPrefix(op, "Lambda.") && tripped.Load() && !down.Swap(true) {
			p.SetOutage("Lambda", true)
		}
	})
	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitSplit(t, fn, exited, out)
	acctest.SetAlarmState(t, alarm, "ALARM")
	tripped.Store(true)
	start := time.Now()
	<-exited
	t.Logf("apply exited %d, %s after the alarm; %d Lambda requests dropped by the outage", cmd.ProcessState.ExitCode(), time.Since(start).Round(time.Millisecond), p.InjectedFaults()[acctest.Outage])

	if cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("apply succeeded:\n%s", out)
	}
	a := acctest.GetAlias(t, fn, "live")
	if a.Version != "1" || a.Weights["2"] != 0.1 {
		t.Fatalf("alias is %+v; with Lambda down it must still be where the rollback found it (1 + 2@0.1)", a)
	}
	expectOutput(t, out.String(),
		`Release of `+fn+`:live failed`,
		`alarm "`+alarm+`" is in ALARM`,
		`The rollback did not complete .*As last read, the alias live serves version 1 with 10% on 2\.`,
		`Run terraform apply again to finish the rollback, or: aws lambda update-alias --function-name `+fn+` --name live --function-version 1 --routing-config '\{\}'`,
	)

	// Lambda is back; the alarm was a false alarm and is cleared.
	p.SetOutage("Lambda", false)
	acctest.SetAlarmState(t, alarm, "OK")
	plan, _ := w.Run(t.Context(), "plan", "-detailed-exitcode")
	if plan.ExitCode != 2 {
		t.Errorf("plan after the outage: exit %d, want 2 (release pending)\n%s", plan.ExitCode, plan)
	}
	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	setConfig(t, w, r.HCL())
	apply(t, w)
	expectAlias(t, fn, "2")
}
