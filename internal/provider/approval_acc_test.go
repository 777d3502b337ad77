package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

const (
	approved = `{"status":"Approved"}`
	waiting  = `{"status":"Waiting","reason":"on-call has not answered yet"}`
)

var builtinTerraform = map[string]resource.ExternalProvider{"terraform": {Source: "terraform.io/builtin/terraform"}}

// approvalQueueEmpty checks that the release asked for every queued answer: moto echoes
// a payload back only once its queue of Invoke results is empty.
func approvalQueueEmpty(t *testing.T, function string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		probe := fmt.Sprintf(`{"probe":%q}`, acctest.RandName("probe"))
		out, err := acctest.Lambda(t).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(function), Payload: []byte(probe)})
		if err != nil {
			return fmt.Errorf("invoke %s: %v", function, err)
		}
		if got := string(out.Payload); got != probe {
			return fmt.Errorf("the release left queued approval answers unasked: the next one is %s", got)
		}
		return nil
	}
}

// An approval that rejects at the second step: the alias goes back to the previous
// version, never reaches the second step's weight, and the error names the reason. The
// approval function comes from another resource replaced with every release, so its
// name is unknown at plan; the schedule is still planned, approval included. The next
// apply, approved at every step, releases.
func TestAccDeployment_approvalRejectsAtTheSecondStep(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	approver := acctest.Function(t, "").Name
	cfg := func(code string) string {
		r := release{Function: fn, Code: code,
			Shift: `{ steps = [{ percentage = 10, hold = "1s" }, { percentage = 50, hold = "1s" }] }`,
			Extra: `  approval = {
    function      = terraform_data.approver.output
    before        = ["traffic_increase"]
    poll_interval = "1s"
    timeout       = "1m"
  }
`}
		return r.HCL() + fmt.Sprintf(`
resource "terraform_data" "approver" {
  input            = %q
  triggers_replace = [%q]
}
`, approver, code)
	}
	planned := []plancheck.PlanCheck{
		plancheck.ExpectUnknownValue(res, tfjsonpath.New("approval").AtMapKey("function")),
		plancheck.ExpectKnownValue(res, tfjsonpath.New("schedule"),
			knownvalue.StringRegexp(regexp.MustCompile(`10% for 1s, 50% for 1s, 100%; approval before 2 traffic increases, polled every 1s, each wait up to 1m0s;`))),
	}
	rejected := `{"status":"Rejected","reason":"load test: p99 1.2s over the 800ms budget"}`
	var watch *aliasWatcher
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		ExternalProviders:        builtinTerraform,
		Steps: []resource.TestStep{
			{
				// A first release creates the alias on version 1: nothing is asked.
				PreConfig:         func() { acctest.QueueHookResults(t) },
				Config:            cfg(shaV1),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")},
				Check:             approvalQueueEmpty(t, approver),
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					acctest.QueueHookResults(t, approved, rejected)
					watch = watchAlias(t, fn, "live", nil)
				},
				Config:           cfg(shaV2),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: planned},
				ExpectError: wrapped(`approval "`+approver+`" rejected the release before step 2 of 2 (50% on version 2): load test: p99 1.2s over the 800ms budget`,
					"The alias live now serves version 1 with no weights (rolled back)."),
			},
			{
				PreConfig: func() {
					if err := watch.expectSeen([]string{"1", "1+2@0.1", "1"}, "1+2@0.5", "2"); err != nil {
						t.Fatal(err)
					}
					mustAliasServe(t, fn, "1")
					acctest.QueueHookResults(t, approved, approved)
				},
				Config:            cfg(shaV2),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check:             resource.ComposeTestCheckFunc(aliasServes(t, fn, "2"), approvalQueueEmpty(t, approver)),
			},
		},
	})
}

// An approval that answers Waiting twice, then Approved, before promotion: the release
// holds the canary while it waits and asks again every poll_interval, then promotes. The
// approval block comes whole from a variable object.
func TestAccDeployment_approvalWaitsThenApproves(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	approver := acctest.Function(t, "").Name
	cfg := func(code string) string {
		r := release{Function: fn, Code: code, Shift: `{ canary = { percentage = 10, interval = "1s" } }`, Extra: "  approval = var.approval\n"}
		return `
variable "approval" {
  type = object({
    function      = string
    before        = set(string)
    poll_interval = string
    timeout       = string
  })
}
` + r.HCL()
	}
	vars := config.Variables{"approval": config.ObjectVariable(map[string]config.Variable{
		"function":      config.StringVariable(approver),
		"before":        config.SetVariable(config.StringVariable("promotion")),
		"poll_interval": config.StringVariable("1s"),
		"timeout":       config.StringVariable("1m"),
	})}
	var watch *aliasWatcher
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { acctest.QueueHookResults(t) },
				Config:            cfg(shaV1),
				ConfigVariables:   vars,
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					acctest.QueueHookResults(t, waiting, waiting, approved)
					watch = watchAlias(t, fn, "live", nil)
				},
				Config:          cfg(shaV2),
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(res, tfjsonpath.New("schedule"),
						knownvalue.StringRegexp(regexp.MustCompile(`^10% for 1s, 100%; approval before promotion, polled every 1s, each wait up to 1m0s; no alarms`))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check: resource.ComposeTestCheckFunc(
					aliasServes(t, fn, "2"),
					approvalQueueEmpty(t, approver), // asked three times
					func(*terraform.State) error { return watch.expectSeen([]string{"1", "1+2@0.1", "2"}) },
				),
			},
		},
	})
}
