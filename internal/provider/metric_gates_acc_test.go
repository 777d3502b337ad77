package provider

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// lambdaTraffic is what Lambda would report for one version of alias live while a step
// holds: sums of Invocations and Errors. A zero is left out, as Lambda leaves it out.
type lambdaTraffic struct {
	version             string
	invocations, errors float64
}

// publishTraffic returns an onSplit callback that writes Lambda-shaped datapoints
// (AWS/Lambda, FunctionName, Resource = fn:live, ExecutedVersion) the moment the alias is
// first seen split, i.e. during the hold. It writes from its own goroutine so that the
// watcher goes on watching (and sees the rollback) while the write is in flight.
func publishTraffic(t *testing.T, fn string, traffic ...lambdaTraffic) func() {
	if acctest.RealAWS() {
		t.Skip("writes into AWS/Lambda, which real CloudWatch refuses")
	}
	cw := acctest.CloudWatch(t)
	var data []cwtypes.MetricDatum
	for _, tr := range traffic {
		for _, m := range []struct {
			name  string
			value float64
		}{{"Invocations", tr.invocations}, {"Errors", tr.errors}} {
			if m.value == 0 {
				continue
			}
			data = append(data, cwtypes.MetricDatum{
				MetricName: aws.String(m.name),
				Value:      aws.Float64(m.value),
				Dimensions: []cwtypes.Dimension{
					{Name: aws.String("FunctionName"), Value: aws.String(fn)},
					{Name: aws.String("Resource"), Value: aws.String(fn + ":live")},
					{Name: aws.String("ExecutedVersion"), Value: aws.String(tr.version)},
				},
			})
		}
	}
	var writing sync.WaitGroup
	t.Cleanup(writing.Wait)
	return func() {
		writing.Add(1)
		go func() {
			defer writing.Done()
			now := time.Now()
			for i := range data {
				data[i].Timestamp = aws.Time(now)
			}
			_, err := cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/Lambda"), MetricData: data})
			if err != nil {
				t.Errorf("put Lambda metrics for %s: %v", fn, err)
			}
		}()
	}
}

// wrapped matches the fragments in order in a Terraform error, where any space may have
// become a line break.
func wrapped(fragments ...string) *regexp.Regexp {
	parts := make([]string, len(fragments))
	for i, f := range fragments {
		parts[i] = strings.ReplaceAll(regexp.QuoteMeta(f), " ", `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(parts, ".*"))
}

// versions lists a function's published versions, oldest first.
func versions(t *testing.T, fn string) []string {
	t.Helper()
	out, err := acctest.Lambda(t).ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for _, v := range out.Versions {
		if aws.ToString(v.Version) != "$LATEST" {
			vs = append(vs, aws.ToString(v.Version))
		}
	}
	return vs
}

// publishVersions publishes versions 1 … n of a fresh function, each with its own code.
func publishVersions(t *testing.T, fn string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		if i > 1 {
			acctest.UpdateCode(t, fn, fmt.Sprintf("v%d", i))
		}
		if v := acctest.Publish(t, fn); v != strconv.Itoa(i) {
			t.Fatalf("published version %s, want %d", v, i)
		}
	}
}

const canary10for3s = `{ canary = { percentage = 10, interval = "3s" } }`

// The canary fails 20 of 100 calls during the hold: max_error_rate = 1% trips, the
// release rolls back with the numbers in the error, and keep_versions deletes nothing
// after a rolled-back release.
func TestAccMetricGates_errorRateRollsBack(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	publishVersions(t, fn, 3)
	// moto answers GetMetricData with what was just put: its metrics arrive at once, so
	// every metric gate here says arrival_delay = "0s".
	gates := "  metric_gates = { max_error_rate = 0.01, min_invocations = 50, arrival_delay = \"0s\" }\n  alarm_poll_interval = \"1s\"\n"
	keep := gates + "  keep_versions = 1\n"
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: release{Function: fn, Version: "1", Extra: gates}.HCL(), ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				PreConfig: func() {
					watch = watchAlias(t, fn, "live", publishTraffic(t, fn,
						lambdaTraffic{version: "3", invocations: 100, errors: 20},
						lambdaTraffic{version: "1", invocations: 900, errors: 1}))
				},
				Config: release{Function: fn, Version: "3", Shift: `{ canary = { percentage = 10, interval = "20s" } }`, Extra: keep}.HCL(),
				ExpectError: wrapped(
					"rolled back",
					"metric gate max_error_rate tripped at step 1 of 1 (10% on version 3): version 3's error rate 20% (20 of 100) is over max_error_rate 1%",
					"version 3: 20 errors of 100 invocations (20%); version 1: 1 errors of 900 invocations (0.111%)",
					"The alias live now serves version 1 with no weights (rolled back).",
				),
			},
			{
				PreConfig: func() {
					// The canary took traffic and version 3 never served alone; the watcher may
					// stop before its next read after the rollback, so the alias is read here.
					if err := watch.expectSeen([]string{"1+3@0.1"}, "3"); err != nil {
						t.Fatal(err)
					}
					mustAliasServe(t, fn, "1")
					if got := versions(t, fn); !reflect.DeepEqual(got, []string{"1", "2", "3"}) {
						t.Fatalf("a rolled-back release must delete nothing; versions left %v", got)
					}
				},
				Config:             release{Function: fn, Version: "3", Shift: canary10for3s, Extra: keep}.HCL(),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// The canary's 10 errors in 100 calls against the baseline's 10 in 1000 are significantly
// worse: z = (0.1 − 0.01) / sqrt(20/1100 × 1080/1100 × (1/100 + 1/1000)) = 6.42.
func TestAccMetricGates_canaryWorseThanBaselineRollsBack(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, fn, "live", "1", nil)
	acctest.UpdateCode(t, fn, "v2")
	if v := acctest.Publish(t, fn); v != "2" {
		t.Fatalf("published %s, want 2", v)
	}
	r := release{Function: fn, Version: "2", Shift: `{ canary = { percentage = 10, interval = "20s" } }`, PollInterval: "1s",
		Extra: "  metric_gates = { compare_to_baseline = true, arrival_delay = \"0s\" }\n"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				watchAlias(t, fn, "live", publishTraffic(t, fn,
					lambdaTraffic{version: "2", invocations: 100, errors: 10},
					lambdaTraffic{version: "1", invocations: 1000, errors: 10}))
			},
			Config: r.HCL(),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(res, tfjsonpath.New("schedule"),
					knownvalue.StringExact("first release: alias created on the new version directly, no traffic shift (an existing alias is adopted: 10% for 20s, 100%); no alarms; metric gates: canary vs baseline at 95%")),
			}},
			ExpectError: wrapped(
				"metric gate compare_to_baseline tripped at step 1 of 1 (10% on version 2): version 2's error rate 10% (10 of 100) is significantly worse than version 1's 1% (10 of 1000) at 95% confidence (z = 6.42, p = 6.7e-11 < 0.05)",
				"The alias live now serves version 1 with no weights (rolled back).",
			),
		}},
	})
	mustAliasServe(t, fn, "1")
}

// 10 canary invocations by the end of a 3s hold are fewer than min_invocations = 50.
func TestAccMetricGates_notEnoughTrafficRollsBack(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, fn, "live", "1", nil)
	acctest.UpdateCode(t, fn, "v2")
	acctest.Publish(t, fn)
	r := release{Function: fn, Version: "2", Shift: canary10for3s, PollInterval: "1s",
		Extra: "  metric_gates = { max_error_rate = 0.05, min_invocations = 50, arrival_delay = \"0s\" }\n"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				watchAlias(t, fn, "live", publishTraffic(t, fn, lambdaTraffic{version: "2", invocations: 10}, lambdaTraffic{version: "1", invocations: 90}))
			},
			Config: r.HCL(),
			ExpectError: wrapped(
				"metric gate min_invocations tripped at step 1 of 1 (10% on version 2): not enough traffic to judge: version 2 had 10 invocations in 3s at 10%, fewer than min_invocations 50",
				"The alias live now serves version 1 with no weights (rolled back).",
			),
		}},
	})
	mustAliasServe(t, fn, "1")
}

// A healthy canary passes every gate: no Errors datapoint (Lambda writes none for zero
// errors) reads as 0%, not as unknown; 100 invocations meet min_invocations. moto cannot
// compute p99 (see awsapi.TestMotoCannotComputeP99), so no Duration data is written and
// max_p99_duration has nothing to judge here; its arithmetic is proven by the engine's
// unit tests.
func TestAccMetricGates_healthyCanaryPasses(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, fn, "live", "1", nil)
	acctest.UpdateCode(t, fn, "v2")
	acctest.Publish(t, fn)
	r := release{Function: fn, Version: "2", Shift: canary10for3s, PollInterval: "1s", Extra: `  metric_gates = {
    max_error_rate      = 0.01
    max_p99_duration    = "800ms"
    compare_to_baseline = true
    confidence          = 0.95
    min_invocations     = 50
    arrival_delay       = "0s"
  }
`}
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				watch = watchAlias(t, fn, "live", publishTraffic(t, fn, lambdaTraffic{version: "2", invocations: 100}, lambdaTraffic{version: "1", invocations: 900, errors: 9}))
			},
			Config: r.HCL(),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectKnownValue(res, tfjsonpath.New("schedule"), knownvalue.StringExact(
					"first release: alias created on the new version directly, no traffic shift (an existing alias is adopted: 10% for 3s, 100%); no alarms; "+
						"metric gates: error rate ≤ 1%, p99 ≤ 800ms, canary vs baseline at 95%, ≥ 50 invocations per step")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
			Check: resource.ComposeTestCheckFunc(
				func(*terraform.State) error { return watch.expectSeen([]string{"1+2@0.1"}) },
				aliasServes(t, fn, "2"),
				// The gates read the data, and no Errors datapoint counted as zero errors:
				// z = (0 − 0.01) / sqrt(0.009 × 0.991 × (1/100 + 1/900)) = −1.00, p = 0.842.
				resource.TestMatchResourceAttr(res, "last_deployment.message", regexp.MustCompile(regexp.QuoteMeta(
					"metric gates passed, last read at step 1 of 1 (10% on version 2): version 2: 0 errors of 100 invocations (0%); version 1: 9 errors of 900 invocations (1%); z = -1.00, p = 0.842"))),
			),
		}},
	})
}

// keep_versions = 1 when releasing 6 over 3: the newest (6) stays, and so do 3 (the
// rollback target, previous_version) and 2 and 1 (alias beta routes to them, 1 by
// weight); 5 and 4 are deleted and listed in last_deployment.deleted_versions.
func TestAccKeepVersions_keepsAliasedAndPrevious(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	publishVersions(t, fn, 6)
	acctest.CreateAlias(t, fn, "beta", "2", map[string]float64{"1": 0.5})
	deleted := tfjsonpath.New("last_deployment").AtMapKey("deleted_versions")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: release{Function: fn, Version: "3"}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{
					expectVersion("3"),
					statecheck.ExpectKnownValue(res, deleted, knownvalue.ListExact([]knownvalue.Check{})),
				},
			},
			{
				Config: release{Function: fn, Version: "6", Shift: `{ canary = { percentage = 10, interval = "1s" } }`, Extra: "  keep_versions = 1\n"}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{
					expectVersion("6"), expectPrevious("3"), expectStatus("Succeeded"),
					statecheck.ExpectKnownValue(res, deleted, knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("5"), knownvalue.StringExact("4")})),
				},
				Check: resource.ComposeTestCheckFunc(
					aliasServes(t, fn, "6"),
					func(*terraform.State) error {
						if got := versions(t, fn); !reflect.DeepEqual(got, []string{"1", "2", "3", "6"}) {
							return fmt.Errorf("versions left %v, want [1 2 3 6]", got)
						}
						if beta := acctest.GetAlias(t, fn, "beta"); beta.Version != "2" || beta.Weights["1"] != 0.5 {
							return fmt.Errorf("alias beta now %+v", beta)
						}
						return nil
					},
				),
			},
		},
	})
}

// Bad metric_gates are refused at plan time on the attribute at fault, with no AWS call.
func TestAccMetricGates_badInputRefusedAtPlan(t *testing.T) {
	acctest.PreCheck(t)
	aws, calls := countingEndpoint(t)
	for _, tc := range []struct{ name, gates, want string }{
		{"error rate over 1", `{ max_error_rate = 1.5 }`, `metric_gates.max_error_rate.*from 0 to 1, got 1\.5`},
		{"error rate negative", `{ max_error_rate = -0.1 }`, `metric_gates.max_error_rate.*got -0\.1`},
		{"p99 under 1ms", `{ max_p99_duration = "500us" }`, `metric_gates.max_p99_duration.*at least 1ms`},
		{"p99 unparsable", `{ max_p99_duration = "fast" }`, `metric_gates.max_p99_duration must be a Go duration.*"fast"`},
		{"confidence 0.5", `{ compare_to_baseline = true, confidence = 0.5 }`, `metric_gates.confidence.*greater than 0\.5 and less than 1, got 0\.5`},
		{"confidence 1", `{ compare_to_baseline = true, confidence = 1 }`, `metric_gates.confidence.*less than 1, got 1`},
		{"confidence as a percentage", `{ compare_to_baseline = true, confidence = 95 }`, `metric_gates.confidence.*got 95`},
		{"min_invocations negative", `{ min_invocations = -1 }`, `metric_gates.min_invocations.*0 \(no minimum\) or more, got -1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := fmt.Sprintf("provider \"safelambda\" {\n  endpoints {\n    lambda = %[1]q\n    cloudwatch = %[1]q\n    sts = %[1]q\n  }\n}\n\nresource \"safelambda_deployment\" \"test\" {\n%[2]s  metric_gates = %[3]s\n}\n",
				aws.URL, validRelease, tc.gates)
			resource.UnitTest(t, resource.TestCase{
				ProtoV6ProviderFactories: protoV6,
				Steps: []resource.TestStep{{
					Config:      config,
					PlanOnly:    true,
					ExpectError: regexp.MustCompile(`(?s)` + strings.ReplaceAll(tc.want, " ", `\s+`)),
				}},
			})
		})
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("plan-time refusals must not call AWS; the endpoint saw %d requests", n)
	}
}
