package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

func listedIdentity(fn, alias string) map[string]knownvalue.Check {
	return map[string]knownvalue.Check{
		"function_name": knownvalue.StringExact(fn),
		"alias":         knownvalue.StringExact(alias),
		"region":        knownvalue.StringExact(acctest.Region),
		"account_id":    knownvalue.StringExact(motoAccount),
	}
}

// terraform query finds every alias of the named functions with its routing: one managed
// by this provider, one made by hand, one split mid-canary; an alias filter narrows it.
func TestAccDeploymentList_query(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "terraform query")
	managed := acctest.FunctionPublished(t, "").Name
	other := acctest.FunctionPublished(t, "").Name
	acctest.UpdateCode(t, other, "v2")
	acctest.Publish(t, other) // version 2
	acctest.CreateAlias(t, other, "live", "2", nil)
	acctest.CreateAlias(t, other, "beta", "1", map[string]float64{"2": 0.1})

	query := fmt.Sprintf(`
provider "safelambda" {}

list "safelambda_deployment" "all" {
  provider = safelambda
  config {
    function_names = [%q, %q]
  }
}

list "safelambda_deployment" "live" {
  provider = safelambda
  config {
    function_names = [%q]
    aliases        = ["live"]
  }
}
`, managed, other, other)

	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: release{Function: managed, Version: "1"}.HCL()},
			{
				Query:  true,
				Config: query,
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("safelambda_deployment.all", 3),
					querycheck.ExpectIdentity("safelambda_deployment.all", listedIdentity(managed, "live")),
					querycheck.ExpectIdentity("safelambda_deployment.all", listedIdentity(other, "live")),
					querycheck.ExpectIdentity("safelambda_deployment.all", listedIdentity(other, "beta")),
					querycheck.ExpectResourceDisplayName("safelambda_deployment.all",
						queryfilter.ByResourceIdentity(listedIdentity(other, "beta")),
						knownvalue.StringExact(other+":beta → 1 (10% on 2)")),
					querycheck.ExpectResourceDisplayName("safelambda_deployment.all",
						queryfilter.ByResourceIdentity(listedIdentity(managed, "live")),
						knownvalue.StringExact(managed+":live → 1")),
					querycheck.ExpectLength("safelambda_deployment.live", 1),
					querycheck.ExpectIdentity("safelambda_deployment.live", listedIdentity(other, "live")),
				},
			},
		},
	})
}
