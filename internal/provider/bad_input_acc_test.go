package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// badInput is a configuration Terraform must refuse at plan time, with an error that
// names the attribute at fault.
type badInput struct {
	name     string
	provider string // extra provider block lines
	resource string // resource attribute lines; "" means a valid default
	want     string // regexp the error must match (it names the attribute)
}

const validRelease = `  function_name = "orders-api"
  alias         = "live"
  code_sha256   = "3mpC2JdJCl6hzbYBX0Ru1yEcm3t9o4ibv8DJYE/Ay0Q="
`

func withRelease(lines string) string { return validRelease + lines }

// badInputs is a slice of the plan-time table (TestDeploymentPlanTimeValidation holds all
// of it) run through the real Terraform CLI, plus the checks that need the configured
// provider (its region) and the provider block's own rules.
var badInputs = []badInput{
	{name: "alias all digits", resource: `function_name = "f"` + "\n" + `alias = "123"` + "\n" + `version = "1"`, want: `(?s)alias must not be all digits`},
	{name: "alias bad characters", resource: `function_name = "f"` + "\n" + `alias = "live!"` + "\n" + `version = "1"`, want: `(?s)alias must be 1 to 128 letters`},
	{name: "function name with a space", resource: `function_name = "orders api"` + "\n" + `alias = "live"` + "\n" + `version = "1"`, want: `(?s)function_name must be a function name of 1 to 64`},
	{name: "function name qualified", resource: `function_name = "orders-api:live"` + "\n" + `alias = "live"` + "\n" + `version = "1"`, want: `(?s)Qualified function name.*put the alias in alias`},
	{name: "function ARN qualified", resource: `function_name = "arn:aws:lambda:us-east-1:123456789012:function:orders-api:3"` + "\n" + `alias = "live"` + "\n" + `version = "1"`, want: `(?s)names version "3" of function "orders-api"`},
	{name: "both code_sha256 and version", resource: withRelease(`version = "3"`), want: `(?s)Conflicting code_sha256 and version`},
	{name: "neither code_sha256 nor version", resource: `function_name = "f"` + "\n" + `alias = "live"`, want: `(?s)Nothing to release`},
	{name: "version $LATEST", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `version = "$LATEST"`, want: `(?s)version.*use code_sha256 to publish it`},
	{name: "version zero", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `version = "0"`, want: `(?s)version must be a published version number \(1, 2, …\), got "0"`},
	{name: "code_sha256 an S3 ETag", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `code_sha256 = "d41d8cd98f00b204e9800998ecf8427e"`, want: `(?s)an MD5 such as an S3 object's ETag`},
	{name: "code_sha256 an image URI", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `code_sha256 = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`, want: `(?s)code_sha256 is an image URI.*aws_ecr_image.x.image_digest`},
	{name: "description in version mode", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `version = "3"` + "\n" + `description = "1.4.2"`, want: `(?s)description is not used in version mode`},
	{name: "preset and canary", resource: withRelease(`traffic_shift = { preset = "AllAtOnce", canary = { percentage = 10, interval = "1m" } }`), want: `(?s)traffic_shift sets preset and canary`},
	{name: "misspelled traffic_shift key", resource: withRelease(`traffic_shift = { presett = "Canary10Percent5Minutes" }`), want: `(?s)Empty traffic_shift.*misspelled key`},
	{name: "steps decreasing", resource: withRelease(`traffic_shift = { steps = [{ percentage = 25, hold = "1m" }, { percentage = 10, hold = "1m" }] }`), want: `(?s)traffic_shift.steps\[1\].percentage: percentage must be greater than the step before it`},
	{name: "canary interval in words", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "five minutes" } }`), want: `(?s)traffic_shift.canary.interval must be a Go duration`},
	{name: "canary interval in days", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "1d" } }`), want: `(?s)traffic_shift.canary.interval.*24h for a day`},
	{name: "canary interval empty", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "" } }`), want: `(?s)traffic_shift.canary.interval is empty`},
	{name: "canary interval without unit", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "5" } }`), want: `(?s)traffic_shift.canary.interval.*write "5s" or "5m"`},
	{name: "timeout in words", resource: withRelease(`timeouts = { update = "five minutes" }`), want: `(?s)timeouts.update must be a Go duration`},
	{name: "timeout in days", resource: withRelease(`timeouts = { update = "1d" }`), want: `(?s)timeouts.update.*24h for a day`},
	{name: "schedule longer than update timeout", resource: withRelease(`traffic_shift = { preset = "Linear10PercentEvery1Minute" }` + "\n" + `timeouts = { update = "5m" }`), want: `(?s)Schedule longer than its timeout.*\d+: timeouts = \{ update = "5m" \}.*timeouts.update is 5m0s.*write timeouts = \{ update = "15m" \}`},
	{name: "timeout without room for one poll", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "5m" } }` + "\n" + `timeouts = { create = "5m" }`), want: `(?s)\d+: timeouts = \{ create = "5m" \}.*timeouts.create is 5m0s, but the traffic shift holds for at least 5m0s and the alarms are read once more every 10s`},
	{name: "alarm by name and ARN", resource: withRelease(`alarms = ["errors", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"]`), want: `(?s)alarms\[1\].*same alarm as alarms\[0\]`},
	{name: "alarm in another region", resource: withRelease(`alarms = ["arn:aws:cloudwatch:eu-west-1:123456789012:alarm:errors"]`), want: `(?s)Alarm in another region.*alarm in eu-west-1, but this provider works in us-east-1`},
	{name: "alarm in another account", resource: `function_name = "arn:aws:lambda:us-east-1:123456789012:function:f"` + "\n" + `alias = "live"` + "\n" + `version = "1"` + "\n" + `alarms = ["arn:aws:cloudwatch:us-east-1:999999999999:alarm:errors"]`, want: `(?s)Alarm in another account`},
	{name: "misspelled hooks key", resource: withRelease(`hooks = { pretraffic = "smoke" }`), want: `(?s)Empty hooks.*misspelled key`},
	{name: "keep_versions zero", resource: withRelease(`keep_versions = 0`), want: `(?s)keep_versions must be at least 1`},
	{name: "event bus in another region", resource: withRelease(`events = { event_bus = "arn:aws:events:eu-west-1:123456789012:event-bus/releases" }`), want: `(?s)events.event_bus.*a bus in eu-west-1, but this provider works in us-east-1`},
	{name: "event bus without a name", resource: withRelease(`events = {}`), want: `(?s)event_bus.*required`},
	// provider block
	{name: "provider region", provider: `region = "Frankfurt"`, want: `(?s)region.*AWS region name`},
	{name: "provider role ARN", provider: `assume_role { role_arn = "deployer" }`, want: `(?s)role_arn.*IAM role ARN`},
	{name: "provider role duration range", provider: `assume_role {` + "\n" + `role_arn = "arn:aws:iam::123456789012:role/d"` + "\n" + `duration = "24h"` + "\n}", want: `(?s)duration.*between 15m0s and 12h0m0s`},
	{name: "provider endpoint", provider: `endpoints { lambda = "localhost:5000" }`, want: `(?s)lambda.*absolute http`},
	{name: "provider events endpoint", provider: `endpoints { events = "localhost:5000" }`, want: `(?s)events.*absolute http`},
	{name: "provider max_retries", provider: `max_retries = -1`, want: `(?s)max_retries.*between 0 and 100`},
	{name: "provider secret without key", provider: `secret_key = "s"`, want: `(?s)secret_key.*access_key`},
}

// Every bad input is refused at plan time with an error naming the attribute, and AWS
// (a counting endpoint here) sees no request at all.
func TestAccDeployment_badInputRefusedAtPlan(t *testing.T) {
	acctest.PreCheck(t)
	aws, calls := countingEndpoint(t)

	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			providerLines := tc.provider
			if !strings.Contains(providerLines, "endpoints") {
				providerLines += fmt.Sprintf("\nendpoints {\n lambda = %[1]q\n cloudwatch = %[1]q\n sts = %[1]q\n}", aws.URL)
			}
			body := tc.resource
			if body == "" {
				body = validRelease
			}
			config := fmt.Sprintf("provider \"safelambda\" {\n%s\n}\n\nresource \"safelambda_deployment\" \"test\" {\n%s\n}\n", providerLines, body)
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps: []resource.TestStep{{
					Config:   config,
					PlanOnly: true,
					// Terraform wraps long messages: any space may be a line break.
					ExpectError: regexp.MustCompile(strings.ReplaceAll(tc.want, " ", `\s+`)),
				}},
			})
		})
	}
	t.Cleanup(func() {
		if n := calls.Load(); n != 0 {
			t.Errorf("plan-time refusals must not call AWS; the endpoint saw %d requests", n)
		}
	})
}

// The configuration users write plans: for_each keys, references to resources not created
// yet (in a list, a hook, a gate), whole objects from variables and each.value. Nothing is
// unknown to the point of failing, the bad value among them is still caught, and planning
// calls no AWS API.
func TestAccDeployment_unknownValuesPlan(t *testing.T) {
	acctest.PreCheck(t)
	aws, calls := countingEndpoint(t)
	config := func(badInterval string) string {
		return fmt.Sprintf(`
provider "safelambda" {
  endpoints {
    lambda     = %[1]q
    cloudwatch = %[1]q
    sts        = %[1]q
  }
}

variable "shift" {
  default = { canary = { percentage = 10, interval = "5m" } }
}

variable "gates" {
  default = { max_error_rate = 0.01 }
}

locals {
  functions = {
    orders   = { sha = %[2]q, shift = { linear = { percentage = 25, interval = %[3]q } } }
    payments = { sha = %[2]q, shift = { preset = "Canary10Percent5Minutes" } }
  }
}

resource "terraform_data" "later" {
  input = "x"
}

resource "safelambda_deployment" "api" {
  for_each      = local.functions
  function_name = each.key
  alias         = "live"
  code_sha256   = each.value.sha
  alarms        = ["${each.key}-errors", terraform_data.later.output]
  traffic_shift = each.value.shift
  hooks         = { pre_traffic = terraform_data.later.output }
  metric_gates  = var.gates
  timeouts      = { update = "2h" }
}

resource "safelambda_deployment" "from_variables" {
  function_name = terraform_data.later.output
  alias         = "live"
  version       = terraform_data.later.output
  traffic_shift = var.shift
}
`, aws.URL, shaV1, badInterval)
	}
	resource.UnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		ExternalProviders:        map[string]resource.ExternalProvider{"terraform": {Source: "terraform.io/builtin/terraform"}},
		Steps: []resource.TestStep{
			{
				Config:             config("1m"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				Config:      config("1d"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)traffic_shift.linear.interval.*24h\s+for\s+a\s+day`),
			},
		},
	})
	if n := calls.Load(); n != 0 {
		t.Errorf("planning must not call AWS; the endpoint saw %d requests", n)
	}
}

// countingEndpoint stands in for every AWS endpoint at plan time: it counts the requests
// that reach it and refuses them all. Closed when the test ends.
func countingEndpoint(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	calls := new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no AWS call is expected at plan time", http.StatusTeapot)
	}))
	t.Cleanup(srv.Close)
	return srv, calls
}
