package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

func TestMain(m *testing.M) { acctest.Main(m) }

// protoV6 runs the provider in the test process; the Terraform CLI talks to it over
// the plugin protocol.
var protoV6 = map[string]func() (tfprotov6.ProviderServer, error){
	"safelambda": providerserver.NewProtocol6WithError(New("test")()),
}

const (
	otherAccount     = acctest.OtherAccount
	otherAccountRole = acctest.OtherAccountRole
)

func versionRelease(providerBlock, fn string) string {
	return providerBlock + fmt.Sprintf(`
resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  version       = "1"
}
`, fn)
}

func aliasARNIn(account string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue("safelambda_deployment.test", tfjsonpath.New("alias_arn"),
		knownvalue.StringRegexp(regexp.MustCompile(`^arn:aws:lambda:us-east-1:`+account+`:function:tf-acc-[a-z0-9-]+:live$`)))
}

// The endpoints block wins over AWS_ENDPOINT_URL, which is pointed at nothing.
func TestAccProvider_endpointsBlock(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	lc := acctest.Lambda(t) // built before the environment points nowhere
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: versionRelease(fmt.Sprintf(`
provider "safelambda" {
  endpoints {
    lambda     = %[1]q
    cloudwatch = %[1]q
    sts        = %[1]q
  }
}`, acctest.Endpoint()), fn),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("safelambda_deployment.test", tfjsonpath.New("version"), knownvalue.StringExact("1")),
				aliasARNIn("123456789012"),
			},
			Check: func(*terraform.State) error {
				out, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
				if err != nil {
					return err
				}
				if v := aws.ToString(out.FunctionVersion); v != "1" {
					return fmt.Errorf("alias serves %s, want 1", v)
				}
				return nil
			},
		}},
	})
}

// With no provider block, AWS_ENDPOINT_URL (set by the harness) and the standard
// credential chain are enough.
func TestAccProvider_environmentOnly(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config:            versionRelease("", fn),
			ConfigStateChecks: []statecheck.StateCheck{aliasARNIn("123456789012")},
		}},
	})
}

// Static keys in the provider block are used instead of the environment's: the keys are
// an assumed role's, so the release lands in that role's account.
func TestAccProvider_staticCredentials(t *testing.T) {
	acctest.PreCheck(t)
	cfg := acctest.AssumedConfig(t, otherAccountRole)
	fn := acctest.FunctionIn(t, cfg)
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: versionRelease(fmt.Sprintf(`
provider "safelambda" {
  access_key = %q
  secret_key = %q
  token      = %q
}`, creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken), fn),
			ConfigStateChecks: []statecheck.StateCheck{aliasARNIn(otherAccount)},
		}},
	})
}

// assume_role goes through moto's STS (at the sts endpoint) and the release runs in the
// role's account.
func TestAccProvider_assumeRole(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionIn(t, acctest.AssumedConfig(t, otherAccountRole))
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: versionRelease(fmt.Sprintf(`
provider "safelambda" {
  assume_role {
    role_arn     = %q
    session_name = "terraform-acc"
    external_id  = "acc-test"
    duration     = "1h"
  }
  endpoints {
    sts = %q
  }
}`, otherAccountRole, acctest.Endpoint()), fn),
			ConfigStateChecks: []statecheck.StateCheck{aliasARNIn(otherAccount)},
		}},
	})
}

// An unreachable STS endpoint fails the assumed-role release: the role really is assumed
// through that endpoint.
func TestAccProvider_assumeRoleUnreachableSTS(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: versionRelease(fmt.Sprintf(`
provider "safelambda" {
  max_retries = 0
  assume_role {
    role_arn = %q
  }
  endpoints {
    sts = "http://127.0.0.1:1"
  }
}`, otherAccountRole), fn),
			ExpectError: regexp.MustCompile(`(?s)getting credentials failed: cannot reach AWS STS \(AssumeRole\).*127\.0\.0\.1:1.*assume_role`),
		}},
	})
	if a := acctest.GetAlias(t, fn, "live"); a.Exists {
		t.Fatalf("nothing should have changed, alias is %+v", a)
	}
}

// An endpoint nobody listens on gives an error that names the service, the endpoint and
// where to fix it.
func TestAccProvider_unreachableEndpoint(t *testing.T) {
	acctest.PreCheck(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config: versionRelease(`
provider "safelambda" {
  max_retries = 1
  endpoints {
    lambda = "http://127.0.0.1:1"
  }
}`, "orders-api"),
			ExpectError: regexp.MustCompile(`(?s)cannot reach AWS Lambda at\s+http://127\.0\.0\.1:1.*endpoints`),
		}},
	})
}
