package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// Importing an alias that is split between versions (a canary another tool or another
// configuration runs) moves no traffic: the import plans no change and its apply writes
// nothing. The configuration then decides what happens to the split: left as it is while it
// pins the primary's code, resumed when it names the weighted version, restored first when
// it names another. A split on an alias already managed is still a pending release.

// splitFunction is a function with versions 1 (code v1), 2 (code v2) and, with three, 3
// (code v3), whose alias live serves 1 with 10% on 2.
func splitFunction(t *testing.T, three bool) string {
	t.Helper()
	fn := acctest.FunctionPublished(t, "").Name
	acctest.UpdateCode(t, fn, "v2")
	acctest.Publish(t, fn)
	if three {
		acctest.UpdateCode(t, fn, "v3")
		acctest.Publish(t, fn)
	}
	acctest.CreateAlias(t, fn, "live", "1", map[string]float64{"2": 0.1})
	return fn
}

func importConfig(fn, sha, importBlock string) string {
	return importBlock + fmt.Sprintf(`
resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  code_sha256   = %q
}
`, fn, sha)
}

// tfRun runs terraform in w and fails the test on an error; plan -detailed-exitcode's
// exit 2 (changes pending) is returned as the exit code, not an error.
func tfRun(t *testing.T, w *acctest.Workdir, args ...string) (string, int) {
	t.Helper()
	out, err := w.Run(t.Context(), args...)
	if err != nil && out != nil && out.ExitCode == 2 && args[0] == "plan" {
		return out.String(), 2
	}
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out.String(), out.ExitCode
}

// wantOutput checks that out holds each of lines, whitespace aside: Terraform wraps the
// text of diagnostics.
func wantOutput(t *testing.T, out string, lines ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(out), " ")
	for _, l := range lines {
		if !strings.Contains(flat, strings.Join(strings.Fields(l), " ")) {
			t.Errorf("output lacks %q:\n%s", l, out)
		}
	}
}

// sameAlias fails when the alias changed since before: routing or RevisionId.
func sameAlias(t *testing.T, fn, alias string, before acctest.AliasState) {
	t.Helper()
	if now := acctest.GetAlias(t, fn, alias); !reflect.DeepEqual(now, before) {
		t.Errorf("alias %s of %s moved: was %+v, now %+v", alias, fn, before, now)
	}
}

// CLI import, then the configuration asks for the weighted version: the canary is resumed
// and promoted. Then a split made on the managed alias is a pending release again.
func TestAccDeployment_importSplitByCLI(t *testing.T) {
	acctest.PreCheck(t)
	fn := splitFunction(t, false)
	p := acctest.StartProxy(t)
	w := acctest.NewWorkdir(t, importConfig(fn, shaV1, ""))
	w.Setenv("AWS_ENDPOINT_URL", p.URL())
	before := acctest.GetAlias(t, fn, "live")

	tfRun(t, w, "import", "-input=false", res, fn+":live")
	plan, code := tfRun(t, w, "plan", "-input=false", "-detailed-exitcode")
	if code != 0 {
		t.Fatalf("plan after importing a split alias: exit %d, want 0 (no changes)\n%s", code, plan)
	}
	wantOutput(t, plan, "No changes.", "Alias split by a release this configuration did not start: left as it is", "1 (10% on 2)")
	out, _ := tfRun(t, w, "apply", "-auto-approve", "-input=false")
	wantOutput(t, out, "Resources: 0 added, 0 changed, 0 destroyed.")
	if n := p.WriteCalls(); n != 0 {
		t.Errorf("import, plan and apply wrote to AWS %d times: %v", n, p.Calls())
	}
	sameAlias(t, fn, "live", before)

	// The configuration asks for the weighted version: the plan says the split is resumed,
	// and the apply promotes it.
	if err := w.SetConfig(importConfig(fn, shaV2, "")); err != nil {
		t.Fatal(err)
	}
	plan, code = tfRun(t, w, "plan", "-input=false", "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan asking for version 2: exit %d, want 2\n%s", code, plan)
	}
	wantOutput(t, plan, "Alias split: this apply resumes or restores it", "1 to change")
	out, _ = tfRun(t, w, "apply", "-auto-approve", "-input=false")
	mustAliasServe(t, fn, "2")
	if st := w.State(t)[res]; st["previous_version"] != "1" {
		t.Errorf("previous_version %v after resuming the canary, want 1\n%s", st["previous_version"], out)
	}

	// Managed now: a split left on the alias by a killed release (its lease ran out) is a
	// pending release again (SPEC's drift rule), and the apply restores the primary the
	// configuration names.
	killed := shift.Lease{ReleaseID: "d-killed", Holder: "ci@elsewhere pid 1", Until: time.Now().Add(-time.Minute)}.String()
	if _, err := acctest.Lambda(t).UpdateAlias(t.Context(), &lambda.UpdateAliasInput{
		FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("2"), Description: aws.String(killed),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.2}},
	}); err != nil {
		t.Fatal(err)
	}
	plan, code = tfRun(t, w, "plan", "-input=false", "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan over a split of the managed alias: exit %d, want 2\n%s", code, plan)
	}
	tfRun(t, w, "apply", "-auto-approve", "-input=false")
	mustAliasServe(t, fn, "2")
}

// An import block by id: "1 to import, 0 to change", nothing written. Then the
// configuration asks for a third version: the primary is restored first, then released.
func TestAccDeployment_importSplitByImportBlock(t *testing.T) {
	acctest.PreCheck(t)
	fn := splitFunction(t, true)
	p := acctest.StartProxy(t)
	block := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", res, fn+":live")
	w := acctest.NewWorkdir(t, importConfig(fn, shaV1, block))
	w.Setenv("AWS_ENDPOINT_URL", p.URL())
	before := acctest.GetAlias(t, fn, "live")

	plan, _ := tfRun(t, w, "plan", "-input=false")
	wantOutput(t, plan, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.", "left as it is")
	out, _ := tfRun(t, w, "apply", "-auto-approve", "-input=false")
	wantOutput(t, out, "Resources: 1 imported, 0 added, 0 changed, 0 destroyed.")
	if n := p.WriteCalls(); n != 0 {
		t.Errorf("the import wrote to AWS %d times: %v", n, p.Calls())
	}
	sameAlias(t, fn, "live", before)
	if again, code := tfRun(t, w, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the import: exit %d, want 0\n%s", code, again)
	}
	sameAlias(t, fn, "live", before)

	if err := w.SetConfig(importConfig(fn, shaV3, "")); err != nil {
		t.Fatal(err)
	}
	plan, code := tfRun(t, w, "plan", "-input=false", "-detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan asking for version 3: exit %d, want 2\n%s", code, plan)
	}
	wantOutput(t, plan, "restores 1 with no weights")
	tfRun(t, w, "apply", "-auto-approve", "-input=false")
	mustAliasServe(t, fn, "3")
}

// An import block by identity (Terraform 1.12 and later): no change, nothing written.
func TestAccDeployment_importSplitByIdentity(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.12.0", "resource identity (import blocks with identity)")
	fn := splitFunction(t, false)
	p := acctest.StartProxy(t)
	block := fmt.Sprintf("import {\n  to       = %s\n  identity = { function_name = %q, alias = \"live\" }\n}\n", res, fn)
	w := acctest.NewWorkdir(t, importConfig(fn, shaV1, block))
	w.Setenv("AWS_ENDPOINT_URL", p.URL())
	before := acctest.GetAlias(t, fn, "live")

	plan, _ := tfRun(t, w, "plan", "-input=false")
	wantOutput(t, plan, "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.")
	tfRun(t, w, "apply", "-auto-approve", "-input=false")
	if n := p.WriteCalls(); n != 0 {
		t.Errorf("the import wrote to AWS %d times: %v", n, p.Calls())
	}
	sameAlias(t, fn, "live", before)
	if again, code := tfRun(t, w, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the import: exit %d, want 0\n%s", code, again)
	}
}

// Discovery over three aliases, one of them split by a canary in progress: the
// configuration terraform query generates plans exactly "3 to import, 0 to change", and
// neither the import apply nor the plan after it moves any alias or writes to AWS.
func TestAccDeploymentList_generatedConfigOverASplitAlias(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "terraform query")
	a := splitFunction(t, false) // a:live serves 1 with 10% on 2
	acctest.CreateAlias(t, a, "staging", "2", nil)
	b := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, b, "live", "1", nil)
	aliases := [][2]string{{a, "live"}, {a, "staging"}, {b, "live"}}
	before := map[[2]string]acctest.AliasState{}
	for _, k := range aliases {
		before[k] = acctest.GetAlias(t, k[0], k[1])
	}
	if len(before[aliases[0]].Weights) == 0 {
		t.Fatalf("fixture: %s:live is not split: %+v", a, before[aliases[0]])
	}

	p := acctest.StartProxy(t)
	w := acctest.NewWorkdir(t, "provider \"safelambda\" {}\n")
	w.Setenv("AWS_ENDPOINT_URL", p.URL())
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
	out, _ := tfRun(t, w, "query", "-generate-config-out=generated.tf")
	gen, err := os.ReadFile(filepath.Join(w.Dir, "generated.tf"))
	if err != nil {
		t.Fatalf("terraform query wrote no configuration: %v\n%s", err, out)
	}
	wantOutput(t, out, a+":live → 1 (10% on 2)")
	if n := strings.Count(string(gen), `resource "safelambda_deployment"`); n != 3 {
		t.Fatalf("generated.tf has %d resources, want 3:\n%s", n, gen)
	}

	plan, _ := tfRun(t, w, "plan", "-input=false")
	if !strings.Contains(plan, "Plan: 3 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("the generated configuration does not plan as a pure import:\n%s\ngenerated.tf:\n%s", plan, gen)
	}
	wantOutput(t, plan, "Alias split by a release this configuration did not start: left as it is")
	out, _ = tfRun(t, w, "apply", "-auto-approve", "-input=false")
	wantOutput(t, out, "Resources: 3 imported, 0 added, 0 changed, 0 destroyed.")
	if again, code := tfRun(t, w, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the import: exit %d, want 0\n%s", code, again)
	}
	if n := p.WriteCalls(); n != 0 {
		t.Errorf("query, import and plans wrote to AWS %d times: %v", n, p.Calls())
	}
	for _, k := range aliases {
		sameAlias(t, k[0], k[1], before[k])
	}
}

// The same through for_each: import blocks and resources keyed by function, the hashes
// from a variable. A split alias among them plans no change either.
func TestAccDeployment_importSplitForEach(t *testing.T) {
	acctest.PreCheck(t)
	split := splitFunction(t, false)
	whole := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, whole, "live", "1", nil)
	p := acctest.StartProxy(t)
	w := acctest.NewWorkdir(t, fmt.Sprintf(`
variable "code" {
  type    = map(string)
  default = { %q = %q, %q = %q }
}

import {
  for_each = var.code
  to       = safelambda_deployment.test[each.key]
  id       = "${each.key}:live"
}

resource "safelambda_deployment" "test" {
  for_each      = var.code
  function_name = each.key
  alias         = "live"
  code_sha256   = each.value
}
`, split, shaV1, whole, shaV1))
	w.Setenv("AWS_ENDPOINT_URL", p.URL())
	before := map[string]acctest.AliasState{split: acctest.GetAlias(t, split, "live"), whole: acctest.GetAlias(t, whole, "live")}

	plan, _ := tfRun(t, w, "plan", "-input=false")
	wantOutput(t, plan, "Plan: 2 to import, 0 to add, 0 to change, 0 to destroy.", "left as it is")
	tfRun(t, w, "apply", "-auto-approve", "-input=false")
	if again, code := tfRun(t, w, "plan", "-input=false", "-detailed-exitcode"); code != 0 {
		t.Fatalf("plan after the import: exit %d, want 0\n%s", code, again)
	}
	if n := p.WriteCalls(); n != 0 {
		t.Errorf("the import wrote to AWS %d times: %v", n, p.Calls())
	}
	for fn, st := range before {
		sameAlias(t, fn, "live", st)
	}
}
