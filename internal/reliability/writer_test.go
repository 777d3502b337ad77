package reliability

import (
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// Someone else moves the alias to version 3 mid-hold: the release stops at its next guarded
// write without touching the alias again (not even to roll back), and says what it found.
func TestConcurrentWriter_aliasMovedMidHold(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	fn := acctest.FunctionPublished(t, "").Name // version 1
	acctest.UpdateCode(t, fn, "v2")
	if v := acctest.Publish(t, fn); v != "2" {
		t.Fatalf("published version %s, want 2", v)
	}
	acctest.UpdateCode(t, fn, "v3")
	if v := acctest.Publish(t, fn); v != "3" {
		t.Fatalf("published version %s, want 3", v)
	}
	r := release{Provider: endpointsAt(p.URL(), ""), Function: fn, Version: "1"}
	w := acctest.NewWorkdir(t, r.HCL())
	apply(t, w)
	r.Version = "2"
	r.Shift = `{ steps = [{ percentage = 10, hold = "2s" }] }`
	setConfig(t, w, r.HCL())

	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitSplit(t, fn, exited, out)
	writesBefore := p.Calls()["Lambda.UpdateAlias"]
	acctest.SetAlias(t, fn, "live", "3", nil) // straight to moto: the other client
	<-exited

	if cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("apply succeeded over a concurrent writer:\n%s", out)
	}
	expectAlias(t, fn, "3")
	if n := p.Calls()["Lambda.UpdateAlias"] - writesBefore; n != 0 {
		t.Errorf("the provider wrote the alias %d times after the other client moved it", n)
	}
	expectOutput(t, out.String(),
		`Release of `+fn+`:live failed`,
		`alias live was changed outside this release`,
		`alias live now serves 3 with no weights; this release left it at 1 with 10% on 2`,
		`stopped without touching it`,
		`Find out who changed the alias`,
	)
	t.Logf("calls through the proxy: %v", p.Calls())
}
