package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// The migration path, with the real Terraform CLI: terraform query -generate-config-out
// writes import blocks and configuration for the aliases it finds, and the plan of that
// configuration imports them with nothing to add or change; after the apply, nothing is
// pending and no alias moved.
func TestAccDeploymentList_generatedConfigPlansEmpty(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "terraform query")
	a := acctest.FunctionPublished(t, "").Name
	acctest.UpdateCode(t, a, "v2")
	acctest.Publish(t, a) // version 2
	acctest.CreateAlias(t, a, "live", "2", nil)
	acctest.CreateAlias(t, a, "staging", "1", nil)
	b := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, b, "live", "1", nil)

	w := acctest.NewWorkdir(t, "provider \"safelambda\" {}\n")
	query := fmt.Sprintf(`
list "safelambda_deployment" "found" {
  provider = safelambda
  include_resource = true
  config {
    function_names = [%q, %q]
  }
}
`, a, b)
	if err := os.WriteFile(filepath.Join(w.Dir, "discover.tfquery.hcl"), []byte(query), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	out, err := w.Run(ctx, "query", "-generate-config-out=generated.tf")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	gen, err := os.ReadFile(filepath.Join(w.Dir, "generated.tf"))
	if err != nil {
		t.Fatalf("terraform query wrote no configuration: %v\n%s", err, out)
	}
	t.Logf("terraform query printed:\n%s\ngenerated.tf:\n%s", out, gen)
	for _, want := range []string{"import {", "identity", `code_sha256`, `"` + a + `"`, `"` + b + `"`, `"staging"`} {
		if !strings.Contains(string(gen), want) {
			t.Errorf("generated.tf lacks %q:\n%s", want, gen)
		}
	}
	if n := strings.Count(string(gen), `resource "safelambda_deployment"`); n != 3 {
		t.Errorf("generated.tf has %d resources, want 3:\n%s", n, gen)
	}

	plan, err := w.Run(ctx, "plan", "-input=false")
	if err != nil {
		t.Fatalf("%v\n%s\ngenerated.tf:\n%s", err, plan, gen)
	}
	if !strings.Contains(plan.String(), "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("the generated configuration does not plan as a pure import:\n%s\ngenerated.tf:\n%s", plan, gen)
	}
	if out, err := w.Run(ctx, "apply", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	again, err := w.Run(ctx, "plan", "-input=false", "-detailed-exitcode")
	if err != nil {
		t.Fatalf("plan after the import is not empty: %v\n%s", err, again)
	}
	mustAliasServe(t, a, "2")
	mustAliasServe(t, b, "1")
}
