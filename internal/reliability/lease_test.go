package reliability

import (
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// The formats a release writes on the alias description, read here on their own rather
// than with the engine's parser, so that a change of format shows up as a failing test.
var (
	leaseMark    = regexp.MustCompile(`^safelambda release (d-\S+)(?: from \S+)? by (.+) until (\S+)$`) // from: the version served before (absent on a first release)
	releasedMark = regexp.MustCompile(`^safelambda (released|restored) version (\S+)(?: from \S+)? in (d-\S+) by (.+) at (\S+)$`)
)

// aliasDescription reads the description of alias live, where releases keep their lease.
func aliasDescription(t *testing.T, fn string) string {
	t.Helper()
	out, err := acctest.Lambda(t).GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		t.Fatalf("read alias live of %s: %v", fn, err)
	}
	return aws.ToString(out.Description)
}

// threeVersions makes a function with published versions 1, 2 and 3 and no alias.
func threeVersions(t *testing.T) string {
	t.Helper()
	fn := acctest.FunctionPublished(t, "").Name
	for _, v := range []string{"2", "3"} {
		acctest.UpdateCode(t, fn, "v"+v)
		if got := acctest.Publish(t, fn); got != v {
			t.Fatalf("published version %s, want %s", got, v)
		}
	}
	return fn
}

// Two pipelines (two working directories, two states) manage one alias. While A holds a
// canary, B's apply refuses before changing anything, naming A's release and when its
// lease runs out; A's split is untouched. A is then stopped with Ctrl-C, rolls back and
// clears its lease, and B's next apply goes through.
func TestLease_twoPipelinesAtOnce(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	start := time.Now()
	fn := threeVersions(t)

	a := release{Function: fn, Version: "1"}
	wa := acctest.NewWorkdir(t, a.HCL())
	apply(t, wa)
	expectAlias(t, fn, "1")
	a.Version = "2"
	a.Shift = `{ steps = [{ percentage = 10, hold = "60s" }] }`
	setConfig(t, wa, a.HCL())

	p := acctest.StartProxy(t)
	b := release{Provider: endpointsAt(p.URL(), ""), Function: fn, Version: "3"}
	wb := acctest.NewWorkdir(t, b.HCL())

	cmd, outA, err := wa.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default: // a failed assertion must not leave A holding for a minute
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
	idA, until := m[1], m[3]
	if u, err := time.Parse(time.RFC3339, until); err != nil || time.Until(u) < time.Minute {
		t.Errorf("A's lease runs until %s (%v): want it to cover at least the 60s hold", until, err)
	}

	splitAt := time.Now()
	outB, err := wb.Run(t.Context(), "apply", "-auto-approve")
	t.Logf("B refused after %s; calls through B's proxy: %v", time.Since(splitAt).Round(time.Millisecond), p.Calls())
	if err == nil {
		t.Fatalf("B's apply succeeded over A's release in flight:\n%s", outB)
	}
	select {
	case <-exited:
		t.Fatalf("A ended before B's apply was refused (the test needs A to hold):\n%s", outA)
	default:
	}
	expectOutput(t, outB.String(),
		`Release of `+fn+`:live failed`,
		`alias live is being released by `+regexp.QuoteMeta(idA)+` \(run by [^)]*\) until `+regexp.QuoteMeta(until)+` at the latest; nothing was changed`,
		`Wait for that release to finish and run terraform apply again`,
		`its lease runs out in`,
	)
	calls := p.Calls()
	if calls["Lambda.UpdateAlias"] != 0 || calls["Lambda.CreateAlias"] != 0 || p.WriteCalls() != 0 {
		t.Errorf("B wrote to AWS though it refused (UpdateAlias %d, CreateAlias %d, writes %d): %v",
			calls["Lambda.UpdateAlias"], calls["Lambda.CreateAlias"], p.WriteCalls(), calls)
	}
	after := acctest.GetAlias(t, fn, "live")
	if after.Version != "1" || len(after.Weights) != 1 || after.Weights["2"] != 0.1 || after.RevisionID != split.RevisionID {
		t.Errorf("after B's refusal the alias is %+v, want A's split untouched: %+v", after, split)
	}
	if d := aliasDescription(t, fn); d != desc {
		t.Errorf("after B's refusal the alias description is %q, want A's lease %q", d, desc)
	}
	if st, ok := wb.State(t)[res]; ok {
		t.Errorf("B recorded state for a release that changed nothing: %v", st)
	}

	// Ctrl-C to A: it rolls back and leaves the alias without a lease.
	if err := acctest.SignalGroup(cmd, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-exited
	if cmd.ProcessState.ExitCode() == 0 {
		t.Errorf("A exited 0 after an interrupted release:\n%s", outA)
	}
	expectOutput(t, outA.String(), `Release of `+fn+`:live rolled back`, `serves version 1 with no weights \(rolled back\)`)
	expectAlias(t, fn, "1")
	desc = aliasDescription(t, fn)
	if leaseMark.MatchString(desc) {
		t.Errorf("after A's rollback the alias still holds a lease: %q", desc)
	}
	if m := releasedMark.FindStringSubmatch(desc); m == nil || m[1] != "restored" || m[2] != "1" || m[3] != idA {
		t.Errorf("after A's rollback the alias description is %q, want: safelambda restored version 1 in %s …", desc, idA)
	}

	// B again: nothing holds the alias now.
	apply(t, wb)
	expectAlias(t, fn, "3")
	desc = aliasDescription(t, fn)
	m = releasedMark.FindStringSubmatch(desc)
	idB, _ := wb.State(t)[res]["last_deployment"].(map[string]any)["id"].(string)
	if m == nil || m[1] != "released" || m[2] != "3" || m[3] != idB || idB == idA {
		t.Errorf("after B's release the alias description is %q, want: safelambda released version 3 in %s (B's release) …", desc, idB)
	}
	if n := p.Calls()["Lambda.UpdateAlias"]; n == 0 {
		t.Errorf("B's release went through without writing the alias: %v", p.Calls())
	}
	t.Logf("two pipelines: %s in all", time.Since(start).Round(time.Millisecond))
}

// Two configurations each release their own version onto one alias, one after the other:
// each apply undoes the other's. The one that finds the other's release on the alias
// says so, naming that release, in last_deployment.message (shown here through an output,
// as a pipeline would show it).
func TestLease_flipFlop(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	start := time.Now()
	fn := threeVersions(t)
	const output = "\noutput \"message\" {\n  value = safelambda_deployment.test.last_deployment.message\n}\n"

	a := release{Function: fn, Version: "1"}
	wa := acctest.NewWorkdir(t, a.HCL()+output)
	outA1 := apply(t, wa)
	expectAlias(t, fn, "1")
	idA1 := lastID(t, wa)
	if m := releasedMark.FindStringSubmatch(aliasDescription(t, fn)); m == nil || m[3] != idA1 {
		t.Errorf("after A's first release the alias description is %q, want A's mark (%s)", aliasDescription(t, fn), idA1)
	}
	if re := regexp.MustCompile(`undoes the other`); re.MatchString(outA1.String()) {
		t.Errorf("A's first release warns of a flip-flop:\n%s", outA1)
	}

	b := release{Function: fn, Version: "2"}
	wb := acctest.NewWorkdir(t, b.HCL()+output)
	apply(t, wb)
	expectAlias(t, fn, "2")
	idB1 := lastID(t, wb)
	if m := releasedMark.FindStringSubmatch(aliasDescription(t, fn)); m == nil || m[2] != "2" || m[3] != idB1 {
		t.Fatalf("after B's release the alias description is %q, want: safelambda released version 2 in %s …", aliasDescription(t, fn), idB1)
	}

	// A again, same configuration: its refresh finds 2 live, so it releases 1 again.
	outA2 := apply(t, wa)
	expectAlias(t, fn, "1")
	flip := `alias live served version 2, put there by release ` + regexp.QuoteMeta(idB1) + ` \(run by [^)]*\) at \S+, ` +
		`not by this configuration's last release ` + regexp.QuoteMeta(idA1) + `: ` +
		`if two configurations release onto alias live, each apply undoes the other's; give each its own alias`
	expectOutput(t, outA2.String(), `message = "released version 1 to alias live .*; note: `+flip)
	// A plain apply shows it too, as a warning on the resource.
	expectOutput(t, outA2.String(), `Warning: Release of `+fn+`:live went on through 1 note`, `- `+flip)
	if msg, _ := wa.State(t)[res]["last_deployment"].(map[string]any)["message"].(string); !regexp.MustCompile(flip).MatchString(msg) {
		t.Errorf("A's last_deployment.message is %q, want the flip-flop note", msg)
	}

	// And B, whose next apply undoes A's again, is told the same about A.
	outB2 := apply(t, wb)
	expectAlias(t, fn, "2")
	expectOutput(t, outB2.String(), `note: alias live served version 1, put there by release `+regexp.QuoteMeta(lastID(t, wa))+
		`.* not by this configuration's last release `+regexp.QuoteMeta(idB1)+`.* each apply undoes the other's`)
	t.Logf("flip-flop: %s in all", time.Since(start).Round(time.Millisecond))
}

// lastID is the id of the last release w's state records.
func lastID(t *testing.T, w *acctest.Workdir) string {
	t.Helper()
	last, _ := w.State(t)[res]["last_deployment"].(map[string]any)
	id, _ := last["id"].(string)
	if id == "" {
		t.Fatalf("no last_deployment.id in state: %v", w.State(t)[res])
	}
	return id
}

// A release that failed without moving traffic leaves the alias with the mark of the
// release before it, which is this configuration's own: the next release is no flip-flop.
func TestLease_noFlipFlopAfterAFailedRelease(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	fn := threeVersions(t)
	w := acctest.NewWorkdir(t, release{Function: fn, Version: "1"}.HCL())
	apply(t, w)
	idOK := lastID(t, w)

	// Version 9 does not exist: preflight refuses, the alias keeps release 1's mark.
	setConfig(t, w, release{Function: fn, Version: "9"}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err == nil {
		t.Fatalf("the release of a missing version succeeded:\n%s", out)
	}
	expectAlias(t, fn, "1")
	if idFailed := lastID(t, w); idFailed == idOK {
		t.Fatalf("state did not record the failed release (last_deployment.id %s)", idFailed)
	}
	if m := releasedMark.FindStringSubmatch(aliasDescription(t, fn)); m == nil || m[3] != idOK {
		t.Fatalf("after the failed release the alias description is %q, want the mark of %s", aliasDescription(t, fn), idOK)
	}

	setConfig(t, w, release{Function: fn, Version: "2"}.HCL())
	out := apply(t, w)
	expectAlias(t, fn, "2")
	if regexp.MustCompile(`undoes the other`).MatchString(out.String()) {
		t.Errorf("the release after a failed one warns of a flip-flop with this configuration's own release:\n%s", out)
	}
}
