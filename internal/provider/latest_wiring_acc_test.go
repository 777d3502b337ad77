package provider

import (
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// The plan says when $LATEST and code_sha256 disagree, with the line to change: code
// uploaded that code_sha256 does not name (no release planned for it), and a release of
// code uploaded before the plan (what wiring code_sha256 to aws_lambda_function's
// code_sha256 does: the release runs one apply after the upload).
func TestAccDeployment_latestWiringWarnings(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	fn := acctest.Function(t, "").Name
	w := acctest.NewWorkdir(t, release{Function: fn, Code: shaV1}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	acctest.UpdateCode(t, fn, "v2")

	out, err := w.Run(t.Context(), "plan", "-detailed-exitcode")
	if err != nil {
		t.Fatalf("the plan should be empty, with a warning: %v\n%s", err, out)
	}
	for _, want := range []string{"$LATEST holds code that code_sha256 does not name", shaV2, "no release is planned for the new code", "source_code_hash"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("the plan should say %q:\n%s", want, out)
		}
	}

	if err := w.SetConfig(release{Function: fn, Code: shaV2}.HCL()); err != nil {
		t.Fatal(err)
	}
	out, _ = w.Run(t.Context(), "plan", "-detailed-exitcode")
	if out == nil || out.ExitCode != 2 {
		t.Fatalf("the plan should show the release pending:\n%s", out)
	}
	for _, want := range []string{"Releasing code uploaded before this plan", "one apply late"} {
		if !strings.Contains(strings.Join(strings.Fields(out.String()), " "), want) {
			t.Errorf("the plan should say %q:\n%s", want, out)
		}
	}
}
