package acctest

import (
	"fmt"
	"strings"
	"testing"
)

// The built provider runs under the real CLI without terraform init: a release applies,
// its state is readable, and a re-plan is empty.
func TestWorkdirAppliesWithTheBuiltProvider(t *testing.T) {
	requireMoto(t)
	fn := FunctionPublished(t, "").Name
	w := NewWorkdir(t, fmt.Sprintf(`
resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  version       = "1"
}
`, fn))
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "Apply complete! Resources: 1 added") {
		t.Errorf("apply output:\n%s", out)
	}
	st := w.State(t)["safelambda_deployment.test"]
	if st["version"] != "1" || st["id"] != fn+":live" {
		t.Errorf("state = %v", st)
	}
	if a := GetAlias(t, fn, "live"); a.Version != "1" {
		t.Errorf("alias = %+v", a)
	}
	out, err = w.Run(t.Context(), "plan", "-detailed-exitcode")
	if err != nil || out.ExitCode != 0 {
		t.Errorf("re-plan: exit %d, %v\n%s", out.ExitCode, err, out)
	}
}
