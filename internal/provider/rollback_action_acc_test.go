package provider

import (
	"fmt"
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// rollbackActionConfig is a deployment on version 2 and the rollback action wired to it,
// the way the docs show it.
func rollbackActionConfig(fn, alarm string) string {
	return fmt.Sprintf(`
resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  version       = "2"
  alarms        = [%q]
}

action "safelambda_rollback" "api" {
  config {
    function_name = safelambda_deployment.test.function_name
    alias         = safelambda_deployment.test.alias
    alarms        = safelambda_deployment.test.alarms
  }
}
`, fn, alarm)
}

// The real Terraform CLI invokes the action: a promoted alias goes back to the version
// before it and a split alias back to its primary, with the progress lines in the CLI's
// output; the deployment's next plan shows its release as pending; an alarm still firing
// afterwards is a warning, not a failure.
func TestAccRollbackAction_invokedByTheCLI(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "actions (terraform apply -invoke)")
	fn := acctest.FunctionPublished(t, "").Name
	acctest.UpdateCode(t, fn, "v2")
	acctest.Publish(t, fn) // version 2
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	acctest.SetAlarmState(t, alarm, "OK")
	w := acctest.NewWorkdir(t, rollbackActionConfig(fn, alarm))
	ctx := t.Context()

	run := func(args ...string) string {
		t.Helper()
		out, err := w.Run(ctx, args...)
		if err != nil && out != nil && out.ExitCode == 2 && args[0] == "plan" {
			return out.String()
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out.String()
	}
	wantLines := func(out string, lines ...string) {
		t.Helper()
		for _, l := range lines {
			if !strings.Contains(out, l) {
				t.Errorf("output lacks %q:\n%s", l, out)
			}
		}
	}

	run("apply", "-auto-approve", "-input=false")
	mustAliasServe(t, fn, "2")

	// Promoted: back to the version before it.
	out := run("apply", "-auto-approve", "-input=false", "-invoke=action.safelambda_rollback.api")
	t.Logf("terraform apply -invoke printed:\n%s", out)
	wantLines(out, "alias live: 100% → 1 (was 2)", "alarms OK (1 read, none in ALARM)")
	mustAliasServe(t, fn, "1")

	// The deployment sees the move as drift: its release is pending again.
	plan, err := w.Run(ctx, "plan", "-input=false", "-detailed-exitcode")
	if plan == nil || plan.ExitCode != 2 {
		t.Fatalf("plan after the rollback: want exit 2 (release pending), got %v\n%s", err, plan)
	}
	wantLines(plan.String(), "safelambda_deployment.test will be updated in-place", `~ version`)

	// Split mid-canary: back to the primary, weights cleared.
	acctest.SetAlias(t, fn, "live", "1", map[string]float64{"2": 0.1})
	out = run("apply", "-auto-approve", "-input=false", "-invoke=action.safelambda_rollback.api")
	wantLines(out, "alias live: 100% → 1 (was 1, 10% on 2)", "alarms OK")
	mustAliasServe(t, fn, "1")

	// An alarm still firing after the move is reported; the move stands.
	acctest.SetAlias(t, fn, "live", "2", nil)
	acctest.SetAlarmState(t, alarm, "ALARM")
	out = run("apply", "-auto-approve", "-input=false", "-invoke=action.safelambda_rollback.api")
	wantLines(out, "alias live: 100% → 1 (was 2)", "alarms still in ALARM: "+alarm, alarm+" is still in ALARM")
	mustAliasServe(t, fn, "1")
}

// A to_version that does not exist stops the action before anything moves, with the
// attribute at fault.
func TestAccRollbackAction_missingVersion(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "actions (terraform apply -invoke)")
	fn := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, fn, "live", "1", nil)
	w := acctest.NewWorkdir(t, fmt.Sprintf(`
action "safelambda_rollback" "api" {
  config {
    function_name = %q
    alias         = "live"
    to_version    = "7"
  }
}
`, fn))
	out, err := w.Run(t.Context(), "apply", "-auto-approve", "-input=false", "-invoke=action.safelambda_rollback.api")
	if err == nil {
		t.Fatalf("invoking with a missing to_version succeeded:\n%s", out)
	}
	for _, l := range []string{"Nothing was rolled back", "version 7 of function " + fn, "to_version"} {
		if !strings.Contains(out.String(), l) {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
	mustAliasServe(t, fn, "1")
}
