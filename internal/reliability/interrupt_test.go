package reliability

import (
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// Ctrl-C (SIGINT to terraform and the provider, as a terminal sends it) during a hold:
// Terraform stops the provider, the engine rolls back on its detached context, the alias
// is back on 1 with no weights, and terraform exits non-zero saying so.
func TestInterrupt_sigintDuringHold(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fn, w, r := released(t, release{})
	r.Shift = `{ steps = [{ percentage = 10, hold = "30s" }] }`
	setConfig(t, w, r.HCL())

	start := time.Now()
	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	split := waitSplit(t, fn, exited, out)
	if err := acctest.SignalGroup(cmd, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	<-exited
	t.Logf("split %v after %s; terraform exited %s after SIGINT with code %d",
		split.Weights, signalled.Sub(start).Round(time.Millisecond), time.Since(signalled).Round(time.Millisecond), cmd.ProcessState.ExitCode())

	if cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("terraform exited 0 after an interrupted release:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(),
		`Release of `+fn+`:live rolled back`,
		`the release was interrupted \(it was cancelled\) during: the hold at step 1 of 1 \(10% on version 2\)`,
		`serves version 1 with no weights \(rolled back\)`,
		`Run terraform apply again`,
	)
	// The failure is recorded: the release is still pending.
	if st := w.State(t)[res]; st["version"] != "1" || st["code_sha256"] != shaV1 {
		t.Errorf("state after the rollback: version %v, code_sha256 %v; want what is live (1, v1)", st["version"], st["code_sha256"])
	}
}

// The update timeout expires mid-hold. Plan-time validation refuses a schedule that
// cannot fit its timeout with one more alarm read, so the hold and one poll fit (10s + 1s
// in 12s) and a pre_traffic hook that takes 5s (the proxy holds its Invoke) pushes the
// deadline into the hold, with seconds to spare on either side on a loaded machine: the
// same rollback.
func TestInterrupt_timeoutDuringHold(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	hook := acctest.Function(t, "").Name
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	r.Shift = `{ steps = [{ percentage = 10, hold = "10s" }] }`
	r.Pre = hook
	r.Timeouts = `{ update = "12s" }`
	r.PollInterval = "1s" // the timeout must hold the schedule and one more alarm read
	setConfig(t, w, r.HCL())
	p.OnRequest(func(op string) {
		if op == "Lambda.Invoke" {
			time.Sleep(5 * time.Second) // a slow smoke test
		}
	})

	start := time.Now()
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	t.Logf("apply with a 12s update timeout, 5s hook and 10s hold: exit %d after %s", out.ExitCode, time.Since(start).Round(time.Millisecond))
	if err == nil {
		t.Fatalf("apply succeeded though the timeout expired mid-hold:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(),
		`Release of `+fn+`:live rolled back`,
		`the release was interrupted \(its timeout expired\) during: the hold at step 1 of 1 \(10% on version 2\)`,
		`serves version 1 with no weights \(rolled back\)`,
		`raise the create/update timeouts`,
	)
	if p.Calls()["Lambda.Invoke"] != 1 {
		t.Errorf("calls %v: want the pre_traffic hook invoked once", p.Calls())
	}
}
