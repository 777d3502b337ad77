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

// badInputs is the table of SPEC 3.4 and the provider block's rules.
var badInputs = []badInput{
	// alias
	{name: "alias all digits", resource: `function_name = "f"` + "\n" + `alias = "123"` + "\n" + `version = "1"`, want: `(?s)alias.*must not be all digits`},
	{name: "alias bad characters", resource: `function_name = "f"` + "\n" + `alias = "live!"` + "\n" + `version = "1"`, want: `(?s)alias.*letters, digits, - and _`},
	{name: "alias too long", resource: `function_name = "f"` + "\n" + `alias = "` + strings.Repeat("a", 129) + `"` + "\n" + `version = "1"`, want: `(?s)alias.*1-128 characters`},
	{name: "alias empty", resource: `function_name = "f"` + "\n" + `alias = ""` + "\n" + `version = "1"`, want: `(?s)alias.*1-128 characters`},
	{name: "function name empty", resource: `function_name = ""` + "\n" + `alias = "live"` + "\n" + `version = "1"`, want: `(?s)function_name.*length`},
	// what to release
	{name: "both code_sha256 and version", resource: withRelease(`version = "3"`), want: `(?s)code_sha256.*version`},
	{name: "neither code_sha256 nor version", resource: `function_name = "f"` + "\n" + `alias = "live"`, want: `(?s)Invalid Attribute Combination.*code_sha256.*version`},
	{name: "version $LATEST", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `version = "$$LATEST"`, want: `(?s)version.*\$LATEST cannot be released`},
	{name: "version not a number", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `version = "prod"`, want: `(?s)version.*published version number`},
	{name: "empty code_sha256", resource: `function_name = "f"` + "\n" + `alias = "live"` + "\n" + `code_sha256 = ""`, want: `(?s)code_sha256.*length`},
	{name: "description too long", resource: withRelease(`description = "` + strings.Repeat("d", 257) + `"`), want: `(?s)description.*length`},
	// schedules
	{name: "unknown preset", resource: withRelease(`traffic_shift = { preset = "Canary50Percent1Minute" }`), want: `(?s)traffic_shift.preset.*Canary10Percent5Minutes`},
	{name: "preset and canary", resource: withRelease(`traffic_shift = { preset = "AllAtOnce", canary = { percentage = 10, interval = "1m" } }`), want: `(?s)"traffic_shift.canary" cannot be specified when "traffic_shift.preset"`},
	{name: "canary and linear", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "1m" }, linear = { percentage = 10, interval = "1m" } }`), want: `(?s)"traffic_shift.linear" cannot be specified when "traffic_shift.canary"`},
	{name: "linear and steps", resource: withRelease(`traffic_shift = { linear = { percentage = 10, interval = "1m" }, steps = [{ percentage = 5, hold = "1m" }] }`), want: `(?s)"traffic_shift.steps" cannot be specified when "traffic_shift.linear"`},
	{name: "empty traffic_shift", resource: withRelease(`traffic_shift = {}`), want: `(?s)traffic_shift needs exactly one of preset, canary, linear or steps`},
	{name: "misspelled traffic_shift key", resource: withRelease(`traffic_shift = { presett = "Canary10Percent5Minutes" }`), want: `(?s)Empty traffic_shift.*misspelled key`},
	{name: "misspelled hooks key", resource: withRelease(`hooks = { pretraffic = "smoke" }`), want: `(?s)Empty hooks.*misspelled key`},
	{name: "misspelled metric_gates key", resource: withRelease(`metric_gates = { max_error_count = 3 }`), want: `(?s)Empty metric_gates.*misspelled key`},
	{name: "canary 0%", resource: withRelease(`traffic_shift = { canary = { percentage = 0, interval = "1m" } }`), want: `(?s)traffic_shift.canary.percentage.*greater than 0`},
	{name: "canary 100%", resource: withRelease(`traffic_shift = { canary = { percentage = 100, interval = "1m" } }`), want: `(?s)traffic_shift.canary.percentage.*less than 100`},
	{name: "canary negative", resource: withRelease(`traffic_shift = { canary = { percentage = -5, interval = "1m" } }`), want: `(?s)traffic_shift.canary.percentage.*greater than 0`},
	{name: "linear over 100", resource: withRelease(`traffic_shift = { linear = { percentage = 150, interval = "1m" } }`), want: `(?s)traffic_shift.linear.percentage.*less than 100`},
	{name: "steps decreasing", resource: withRelease(`traffic_shift = { steps = [{ percentage = 25, hold = "1m" }, { percentage = 10, hold = "1m" }] }`), want: `(?s)traffic_shift.steps\[1\].percentage: percentage must be greater than the step before it`},
	{name: "steps repeated", resource: withRelease(`traffic_shift = { steps = [{ percentage = 10, hold = "1m" }, { percentage = 10, hold = "1m" }] }`), want: `(?s)traffic_shift.steps\[1\].percentage: percentage must be greater than the step before it`},
	{name: "steps at 100", resource: withRelease(`traffic_shift = { steps = [{ percentage = 50, hold = "1m" }, { percentage = 100, hold = "1m" }] }`), want: `(?s)traffic_shift.steps\[1\].percentage.*less than 100`},
	{name: "steps empty", resource: withRelease(`traffic_shift = { steps = [] }`), want: `(?s)traffic_shift.steps.*at least 1`},
	{name: "canary interval below 1s", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "500ms" } }`), want: `(?s)traffic_shift.canary.interval.*at least 1s`},
	{name: "canary interval unparsable", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "five minutes" } }`), want: `(?s)Invalid Time Duration String Value.*five minutes`},
	{name: "linear interval zero", resource: withRelease(`traffic_shift = { linear = { percentage = 10, interval = "0s" } }`), want: `(?s)traffic_shift.linear.interval.*at least 1s`},
	{name: "step hold negative", resource: withRelease(`traffic_shift = { steps = [{ percentage = 10, hold = "-1s" }] }`), want: `(?s)traffic_shift.steps\[0\].hold.*at least 1s`},
	{name: "schedule longer than default timeout", resource: withRelease(`traffic_shift = { canary = { percentage = 10, interval = "2h" } }`), want: `(?s)traffic_shift.*holds for at least 2h0m0s, but timeouts.create is 1h0m0s`},
	{name: "schedule longer than update timeout", resource: withRelease(`traffic_shift = { preset = "Linear10PercentEvery1Minute" }` + "\n" + `timeouts = { update = "5m" }`), want: `(?s)at least 9m0s, but timeouts.update is 5m0s`},
	// alarms
	{name: "poll interval below 1s", resource: withRelease(`alarm_poll_interval = "500ms"`), want: `(?s)alarm_poll_interval.*at least 1s`},
	{name: "poll interval unparsable", resource: withRelease(`alarm_poll_interval = "often"`), want: `(?s)Invalid Time Duration String Value.*often`},
	{name: "duplicated alarms", resource: withRelease(`alarms = ["errors", "errors"]`), want: `(?s)Duplicate List Value.*alarms`},
	{name: "alarm by name and ARN", resource: withRelease(`alarms = ["errors", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"]`), want: `(?s)alarms\[1\].*same alarm as alarms\[0\]`},
	{name: "empty alarm name", resource: withRelease(`alarms = [""]`), want: `(?s)alarms.*length`},
	// hooks, retention, timeouts
	{name: "empty hook name", resource: withRelease(`hooks = { pre_traffic = "" }`), want: `(?s)hooks.pre_traffic.*length`},
	{name: "keep_versions zero", resource: withRelease(`keep_versions = 0`), want: `(?s)keep_versions.*at least 1`},
	{name: "unparsable timeout", resource: withRelease(`timeouts = { create = "forever" }`), want: `(?s)forever`},
	// provider block
	{name: "provider region", provider: `region = "Frankfurt"`, want: `(?s)region.*AWS region name`},
	{name: "provider role ARN", provider: `assume_role { role_arn = "deployer" }`, want: `(?s)role_arn.*IAM role ARN`},
	{name: "provider role duration", provider: `assume_role {` + "\n" + `role_arn = "arn:aws:iam::123456789012:role/d"` + "\n" + `duration = "an hour"` + "\n}", want: `(?s)Invalid Time Duration String Value.*an hour`},
	{name: "provider role duration range", provider: `assume_role {` + "\n" + `role_arn = "arn:aws:iam::123456789012:role/d"` + "\n" + `duration = "24h"` + "\n}", want: `(?s)duration.*between 15m0s and 12h0m0s`},
	{name: "provider session name", provider: `assume_role {` + "\n" + `role_arn = "arn:aws:iam::123456789012:role/d"` + "\n" + `session_name = "a b"` + "\n}", want: `(?s)session_name.*2-64 characters`},
	{name: "provider endpoint", provider: `endpoints { lambda = "localhost:5000" }`, want: `(?s)lambda.*absolute http`},
	{name: "provider max_retries", provider: `max_retries = -1`, want: `(?s)max_retries.*between 0 and 100`},
	{name: "provider secret without key", provider: `secret_key = "s"`, want: `(?s)secret_key.*access_key`},
}

// Every bad input is refused at plan time with an error naming the attribute, and AWS
// (a counting endpoint here) sees no request at all.
func TestAccDeployment_badInputRefusedAtPlan(t *testing.T) {
	acctest.PreCheck(t)
	if len(badInputs) < 40 {
		t.Fatalf("the table should hold at least 40 bad inputs, has %d", len(badInputs))
	}
	var calls atomic.Int64
	aws := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no AWS call is expected at plan time", http.StatusTeapot)
	}))
	defer aws.Close()

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
