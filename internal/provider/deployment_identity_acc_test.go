package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

const motoAccount = "123456789012"

func expectIdentity(fn string) statecheck.StateCheck {
	return statecheck.ExpectIdentity(res, map[string]knownvalue.Check{
		"function_name": knownvalue.StringExact(fn),
		"alias":         knownvalue.StringExact("live"),
		"region":        knownvalue.StringExact(acctest.Region),
		"account_id":    knownvalue.StringExact(motoAccount),
	})
}

// The identity names the alias by plain function name, alias, region and account, whether
// the configuration gives the function by name or ARN; it is the same after create, an
// update that releases, a settings-only update and a refresh; an import block with only
// function_name and alias finds the alias and plans no change.
func TestAccDeployment_identity(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.12.0", "resource identity (import blocks with identity)")
	fn := acctest.FunctionPublished(t, "").Name
	acctest.UpdateCode(t, fn, "v2")
	acctest.Publish(t, fn) // version 2
	fnARN := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", acctest.Region, motoAccount, fn)
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config:            release{Function: fnARN, Version: "1"}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1"), expectIdentity(fn)},
			},
			{
				Config:            release{Function: fnARN, Version: "2"}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectIdentity(fn)},
			},
			{
				Config:            release{Function: fnARN, Version: "2", PollInterval: "5s"}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectIdentity(fn)},
			},
			{
				// The config names the function by name: import by identity then plans empty.
				// Import records code_sha256 (version follows at the next refresh), so the
				// configuration to import into is in code_sha256 mode. Settings AWS does not
				// hold, such as alarm_poll_interval, are imported at their defaults.
				Config:          release{Function: fn, Code: shaV2}.HCL(),
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				Config:          release{Function: fn, Code: shaV2}.HCL(),
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   fn + ":live",
			},
		},
	})
}

// An identity that names another region is refused at plan time, before any AWS call,
// with the attribute at fault and what to do.
func TestAccDeployment_identityOtherRegionRefused(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.12.0", "resource identity (import blocks with identity)")
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: `
provider "safelambda" {
  region = "` + acctest.Region + `"
}

import {
  to       = safelambda_deployment.test
  identity = { function_name = "orders-api", alias = "live", region = "eu-west-1" }
}

resource "safelambda_deployment" "test" {
  function_name = "orders-api"
  alias         = "live"
  version       = "1"
}
`,
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Import identity in another region.*names region eu-west-1.*works in\s+us-east-1`),
		}},
	})
}
