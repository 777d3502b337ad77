package reliability

import (
	"fmt"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// A representative subset of internal/provider's table of plan-time refusals
// (bad_input_test.go and bad_input_acc_test.go), duplicated
// here so the same refusals are proved with the real CLI and the built binary, with AWS
// behind the counting proxy.
var badInputs = []struct {
	name, provider, resource, want string
}{
	{name: "alias all digits", resource: `alias = "123"` + "\n" + `version = "1"`, want: `alias.*must not be all digits`},
	{name: "alias bad characters", resource: `alias = "live!"` + "\n" + `version = "1"`, want: `Invalid alias name(.|\n)*alias must be 1 to 128 letters, digits, '-' or '_'`},
	{name: "both code_sha256 and version", resource: `alias = "live"` + "\n" + `code_sha256 = "x"` + "\n" + `version = "3"`, want: `code_sha256.*version`},
	{name: "neither code_sha256 nor version", resource: `alias = "live"`, want: `Nothing to release(.|\n)*code_sha256:(.|\n)*or version`},
	{name: "version $LATEST", resource: `alias = "live"` + "\n" + `version = "$LATEST"`, want: `Unpublished version.*\$LATEST cannot be released`},
	{name: "unknown preset", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `traffic_shift = { preset = "Canary50Percent1Minute" }`, want: `traffic_shift.preset.*Canary10Percent5Minutes`},
	{name: "two schedule kinds", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `traffic_shift = { canary = { percentage = 10, interval = "1m" }, linear = { percentage = 10, interval = "1m" } }`, want: `Conflicting traffic shift kinds(.|\n)*traffic_shift.linear: traffic_shift sets canary and linear`},
	{name: "canary 100%", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `traffic_shift = { canary = { percentage = 100, interval = "1m" } }`, want: `traffic_shift.canary.percentage.*less than 100`},
	{name: "steps decreasing", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `traffic_shift = { steps = [{ percentage = 25, hold = "1m" }, { percentage = 10, hold = "1m" }] }`, want: `traffic_shift.steps\[1\].percentage`},
	{name: "interval below 1s", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `traffic_shift = { canary = { percentage = 10, interval = "500ms" } }`, want: `traffic_shift.canary.interval.*at least 1s`},
	{name: "schedule longer than timeout", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `traffic_shift = { preset = "Linear10PercentEvery1Minute" }` + "\n" + `timeouts = { update = "5m" }`, want: `\d+: timeouts = \{ update = "5m" \}(.|\n)*timeouts.update is 5m0s(.|\n)*9m0s`},
	{name: "poll interval below 1s", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `alarm_poll_interval = "500ms"`, want: `alarm_poll_interval.*at least 1s`},
	{name: "duplicated alarms", resource: `alias = "live"` + "\n" + `version = "1"` + "\n" + `alarms = ["errors", "errors"]`, want: `Duplicated alarm(.|\n)*alarms\[1\] \("errors"\) names the same alarm as alarms\[0\]`},
	{name: "provider region", provider: `region = "Frankfurt"`, want: `region.*AWS region name`},
	{name: "provider role ARN", provider: `assume_role { role_arn = "deployer" }`, want: `role_arn.*IAM role ARN`},
	{name: "provider max_retries", provider: `max_retries = -1`, want: `max_retries.*between 0 and 100`},
	{name: "provider secret without key", provider: `secret_key = "s"`, want: `secret_key.*access_key`},
}

// Every bad input is refused by terraform plan with the error on its attribute, and the
// proxy in front of AWS sees no call at all.
func TestBadInput_refusedWithoutAWSCalls(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	start := time.Now()
	t.Run("cases", func(t *testing.T) {
		for _, tc := range badInputs {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				provider := tc.provider + "\n" + endpointsAt(p.URL(), "")
				body := tc.resource
				if body == "" {
					body = `alias = "live"` + "\n" + `version = "1"`
				}
				config := fmt.Sprintf("provider \"safelambda\" {\n%s\n}\n\nresource \"safelambda_deployment\" \"test\" {\n  function_name = \"orders-api\"\n%s\n}\n", provider, body)
				w := acctest.NewWorkdir(t, config)
				w.Setenv("AWS_ENDPOINT_URL", p.URL()) // anything not in the block goes there too
				out, err := w.Run(t.Context(), "plan")
				if err == nil || out.ExitCode != 1 {
					t.Fatalf("plan exit %d, want 1:\n%s", out.ExitCode, out)
				}
				expectOutput(t, out.String(), `Error: `, tc.want)
			})
		}
	})
	t.Logf("%d bad inputs refused by terraform plan in %s; proxy saw calls %v (%d writes)", len(badInputs), time.Since(start).Round(time.Millisecond), p.Calls(), p.WriteCalls())
	if n := len(p.Calls()); n != 0 || p.WriteCalls() != 0 {
		t.Errorf("plan-time refusals called AWS: %v", p.Calls())
	}
}
