package iamtest

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// approver is the approval function the guide's policy names (statement AskTheApproval).
const approver = "orders-api-approval"

// approvalConfig is a release asked about by the approval function before promotion.
func approvalConfig(endpoint, keyID, secret, codeSha256 string) string {
	return fmt.Sprintf(`
provider "safelambda" {
  access_key = %[1]q
  secret_key = %[2]q
  endpoints {
    lambda     = %[3]q
    cloudwatch = %[3]q
  }
}

resource "safelambda_deployment" "orders" {
  function_name = %[4]q
  alias         = "live"
  code_sha256   = %[5]q
  traffic_shift = { canary = { percentage = 10, interval = "1s" } }
  traffic_arrives_via = "direct_invoke"
  approval = {
    function      = %[6]q
    before        = ["promotion"]
    poll_interval = "1s"
    timeout       = "1m"
  }
}
`, keyID, secret, endpoint, function, codeSha256, approver)
}

// The guide's policy lets a release ask its approval function; without
// lambda:InvokeFunction the ask is refused (403) and the canary is rolled back.
func TestAccIAM_approvalFunction(t *testing.T) {
	asAdmin(t)
	world(t)
	acctest.Function(t, approver)
	policy := loadPolicy(t)
	keyID, secret := userWithPolicy(t, policy.motoDialect())
	noInvokeID, noInvokeSecret := userWithPolicy(t, policy.without("lambda:InvokeFunction").motoDialect())
	ep := admin.proxy.URL()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { acctest.QueueHookResults(t) },
				Config:            approvalConfig(ep, keyID, secret, shaV1),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", "1")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, function, "v2")
					acctest.QueueHookResults(t, `{"status":"Approved"}`)
				},
				Config:            approvalConfig(ep, keyID, secret, shaV2),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", "2"), expectStatus("Succeeded")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, function, "v3")
					acctest.QueueHookResults(t, `{"status":"Approved"}`)
				},
				Config:      approvalConfig(ep, noInvokeID, noInvokeSecret, shaV3),
				ExpectError: regexp.MustCompile(`(?s)approval.*` + approver + `.*could not be invoked.*Invoke.*StatusCode: 403.*rolled back`),
			},
			{
				// What the refused release left: version 2 alone, and the release still pending.
				PreConfig: func() {
					if a := acctest.GetAlias(t, function, "live"); a.Version != "2" || a.Weights != nil {
						t.Fatalf("alias serves %s with weights %v after the refused ask, want 2 alone", a.Version, a.Weights)
					}
				},
				Config:             approvalConfig(ep, keyID, secret, shaV3),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}
