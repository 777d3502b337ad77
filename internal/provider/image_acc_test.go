package provider

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// Container-image functions, released by their digest. The provider talks to a strict
// AWS that answers an image function's CodeSha256 as Lambda does (the image digest in
// lowercase hex) and holds PublishVersion to its CodeSha256 precondition.

// throughProxy is the body of a provider block whose Lambda, CloudWatch and STS calls go
// through p.
func throughProxy(p *acctest.Proxy) string {
	return fmt.Sprintf("  endpoints {\n    lambda     = %[1]q\n    cloudwatch = %[1]q\n    sts        = %[1]q\n  }", p.URL())
}

// imageByDigest wires code_sha256 to a digest that is unknown at plan whenever it changes:
// terraform_data.image.output stands for the digest another resource reports (an
// aws_ecr_image data source of a pushed tag, a build resource), known only after apply.
func imageByDigest(p *acctest.Proxy, fn, digest string) string {
	return "provider \"safelambda\" {\n" + throughProxy(p) + "\n}\n" + fmt.Sprintf(`
resource "terraform_data" "image" {
  input = %q
}

resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  code_sha256   = terraform_data.image.output
  traffic_shift = { canary = { percentage = 10, interval = "2s" } }
  traffic_arrives_via = "direct_invoke"
}
`, digest, fn)
}

// An image function released by its digest, written as ECR and aws_ecr_image write it
// ("sha256:…") and unknown at plan: the first release creates the alias on version 1;
// a new image is released through a 10% canary seen mid-flight; the next plan is empty
// (the "sha256:" spelling is no perpetual diff); writing the digest as Lambda reports it
// (bare hex) is a change of spelling only and releases nothing.
func TestAccDeployment_imageCanaryByDigest(t *testing.T) {
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	p.SetStrict(acctest.StrictAWS())
	fn := acctest.ImageFunction(t, "").Name
	d1, d2 := acctest.ImageDigest("v1"), acctest.ImageDigest("v2")
	var watch *aliasWatcher
	var writes int
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             aliasGone(t, fn),
		Steps: []resource.TestStep{
			{
				Config: imageByDigest(p, fn, "sha256:"+d1),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("code_sha256")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectVersion("1"), expectStatus("Succeeded"),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("code_sha256"), knownvalue.StringExact("sha256:"+d1)),
				},
				Check: aliasServes(t, fn, "1"),
			},
			{
				PreConfig: func() {
					acctest.UpdateImage(t, fn, "v2")
					watch = watchAlias(t, fn, "live", nil)
				},
				Config: imageByDigest(p, fn, "sha256:"+d2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("code_sha256")),
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return watch.expectSeen([]string{"1", "1+2@0.1", "2"}) },
					aliasServes(t, fn, "2"),
					func(*terraform.State) error {
						if n := p.StrictAnswers()[acctest.ShowedImageDigest]; n == 0 {
							return fmt.Errorf("the provider never read an image digest as CodeSha256 (strict answers %v)", p.StrictAnswers())
						}
						if n := p.Calls()["Lambda.PublishVersion"]; n != 2 {
							return fmt.Errorf("PublishVersion called %d times, want 2 (one per image, each with the digest as precondition)", n)
						}
						return nil
					},
				),
			},
			{
				Config: imageByDigest(p, fn, "sha256:"+d2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				PreConfig: func() { writes = p.WriteCalls() },
				Config:    release{Provider: throughProxy(p), Function: fn, Code: d2, Shift: `{ canary = { percentage = 10, interval = "2s" } }`}.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("version"), knownvalue.StringExact("2")),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("last_deployment").AtMapKey("status"), knownvalue.StringExact("Succeeded")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectVersion("2"),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("code_sha256"), knownvalue.StringExact(d2)),
				},
				Check: resource.ComposeTestCheckFunc(
					aliasServes(t, fn, "2"),
					func(*terraform.State) error {
						if n := p.WriteCalls() - writes; n != 0 {
							return fmt.Errorf("respelling the digest made %d AWS writes, want none", n)
						}
						return nil
					},
				),
			},
		},
	})
}

// An image function's alias, released by its digest, imported again with an import
// block: the import plans no change when the configuration names the digest as Lambda
// reports it, and the configuration `terraform plan -generate-config-out` writes for it
// is accepted (code_sha256 is the image digest) and plans as a pure import.
func TestAccDeployment_imageImport(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.ImageFunction(t, "").Name
	cfg := release{Function: fn, Code: acctest.ImageDigest("v1")}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: cfg.HCL(), ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				Config:          cfg.HCL(),
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   fn + ":live",
			},
			{
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   fn + ":live",
				GenerateConfig:  true,
			},
			{
				Config: cfg.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
				Check: aliasServes(t, fn, "1"),
			},
		},
	})
}

// terraform query over an image function's alias: the generated configuration pins the
// image digest, plans as a pure import and, once applied, leaves nothing pending.
func TestAccDeploymentList_imageFunction(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "terraform query")
	fn := acctest.ImageFunction(t, "").Name
	acctest.Publish(t, fn) // version 1
	acctest.CreateAlias(t, fn, "live", "1", nil)

	w := acctest.NewWorkdir(t, "provider \"safelambda\" {}\n")
	query := fmt.Sprintf(`
list "safelambda_deployment" "found" {
  provider = safelambda
  include_resource = true
  config {
    function_names = [%q]
  }
}
`, fn)
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
	if want := fmt.Sprintf("%q", acctest.ImageDigest("v1")); !strings.Contains(string(gen), want) {
		t.Errorf("generated.tf does not pin the image digest %s:\n%s", want, gen)
	}
	plan, err := w.Run(ctx, "plan", "-input=false")
	if err != nil {
		t.Fatalf("%v\n%s\ngenerated.tf:\n%s", err, plan, gen)
	}
	if !strings.Contains(plan.String(), "Plan: 1 to import, 0 to add, 0 to change, 0 to destroy.") {
		t.Fatalf("the generated configuration does not plan as a pure import:\n%s\ngenerated.tf:\n%s", plan, gen)
	}
	if out, err := w.Run(ctx, "apply", "-auto-approve", "-input=false"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if again, err := w.Run(ctx, "plan", "-input=false", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan after the import is not empty: %v\n%s", err, again)
	}
	mustAliasServe(t, fn, "1")
}

// A hash of the wrong kind for the package type passes the plan (both forms are hashes)
// and fails preflight, before anything changes, saying which kind the function has and
// what to write: the hex digest of a zip (filesha256) for a zip function, a base64 hash
// for an image function.
func TestAccDeployment_hashOfTheWrongKind(t *testing.T) {
	acctest.PreCheck(t)
	zipFn := acctest.Function(t, "").Name
	imgFn := acctest.ImageFunction(t, "").Name
	raw, err := base64.StdEncoding.DecodeString(shaV1)
	if err != nil {
		t.Fatal(err)
	}
	hexOfZip := hex.EncodeToString(raw) // what filesha256("lambda.zip") gives
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config:      release{Function: zipFn, Code: hexOfZip}.HCL(),
				ExpectError: regexp.MustCompile(`(?s)zip package.*filebase64sha256\("lambda.zip"\)\s+instead\s+of\s+filesha256\("lambda.zip"\)`),
			},
			{
				Config:      release{Function: imgFn, Code: shaV1}.HCL(),
				ExpectError: regexp.MustCompile(`(?s)The\s+function\s+is\s+a\s+container\s+image.*aws_ecr_image.x.image_digest`),
			},
		},
	})
	for _, fn := range []string{zipFn, imgFn} {
		if a := acctest.GetAlias(t, fn, "live"); a.Exists {
			t.Errorf("a refused release left alias live on %s: %+v", fn, a)
		}
	}
}
