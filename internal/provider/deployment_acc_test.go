package provider

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

const res = "safelambda_deployment.test"

// release is one test configuration of the resource.
type release = acctest.DeploymentConfig

var (
	shaV1 = acctest.HandlerCodeSha256("v1")
	shaV2 = acctest.HandlerCodeSha256("v2")
	shaV3 = acctest.HandlerCodeSha256("v3")
)

func expectVersion(v string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(res, tfjsonpath.New("version"), knownvalue.StringExact(v))
}

func expectPrevious(v string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(res, tfjsonpath.New("previous_version"), knownvalue.StringExact(v))
}

func expectStatus(s string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(res, tfjsonpath.New("last_deployment").AtMapKey("status"), knownvalue.StringExact(s))
}

// aliasServes checks the live alias from outside Terraform: version, and no weights.
func aliasServes(t *testing.T, fn, version string) resource.TestCheckFunc {
	lc := acctest.Lambda(t)
	return func(*terraform.State) error { return checkAlias(lc, fn, version) }
}

func checkAlias(lc *lambda.Client, fn, version string) error {
	out, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		return fmt.Errorf("read alias: %w", err)
	}
	got := aws.ToString(out.FunctionVersion)
	var weights map[string]float64
	if out.RoutingConfig != nil {
		weights = out.RoutingConfig.AdditionalVersionWeights
	}
	if got != version || len(weights) > 0 {
		return fmt.Errorf("alias serves %s, want %s with no weights", routing(got, weights), version)
	}
	return nil
}

// mustAliasServe is checkAlias for PreConfig, which runs on the test goroutine.
func mustAliasServe(t *testing.T, fn, version string) {
	t.Helper()
	if err := checkAlias(acctest.Lambda(t), fn, version); err != nil {
		t.Fatal(err)
	}
}

func versionCount(t *testing.T, fn string) int {
	t.Helper()
	out, err := acctest.Lambda(t).ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
	if err != nil {
		t.Fatal(err)
	}
	return len(out.Versions) - 1 // not $LATEST
}

func aliasGone(t *testing.T, fn string) resource.TestCheckFunc {
	lc := acctest.Lambda(t)
	return func(*terraform.State) error {
		_, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err == nil {
			return fmt.Errorf("alias live of %s still exists after destroy", fn)
		}
		return nil
	}
}

// A first release creates the alias on version 1 directly; a canary release to v2 is
// seen mid-flight at 10% and ends on 2 with no weights; reapplying changes nothing.
func TestAccDeployment_canary(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	r1 := release{Function: fn, Code: shaV1, Shift: `{ canary = { percentage = 10, interval = "2s" } }`}
	r2 := r1
	r2.Code = shaV2
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             aliasGone(t, fn),
		Steps: []resource.TestStep{
			{
				Config: r1.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(res, tfjsonpath.New("schedule"), knownvalue.StringExact("first release: alias created on the new version directly, no traffic shift (an existing alias is adopted: 10% for 2s, 100%); no alarms")),
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					expectVersion("1"), expectPrevious(""), expectStatus("Succeeded"),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("id"), knownvalue.StringExact(fn+":live")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("invoke_arn"), knownvalue.StringRegexp(regexp.MustCompile(
						`^arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:\d{12}:function:`+fn+`:live/invocations$`))),
				},
				Check: aliasServes(t, fn, "1"),
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					watch = watchAlias(t, fn, "live", nil)
				},
				Config: r2.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("version")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return watch.expectSeen([]string{"1", "1+2@0.1", "2"}) },
					aliasServes(t, fn, "2"),
				),
			},
			{
				Config: r2.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}

// Linear 40% → 40, 80, 100; custom steps 0.5%, 25% → each seen in turn.
func TestAccDeployment_linearAndSteps(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	r1 := release{Function: fn, Code: shaV1}
	r2 := release{Function: fn, Code: shaV2, Shift: `{ linear = { percentage = 40, interval = "1s" } }`}
	r3 := release{Function: fn, Code: shaV3, Shift: `{ steps = [{ percentage = 0.5, hold = "1s" }, { percentage = 25, hold = "1s" }] }`}
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: r1.HCL(), ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				PreConfig: func() { acctest.UpdateCode(t, fn, "v2"); watch = watchAlias(t, fn, "live", nil) },
				Config:    r2.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectKnownValue(res, tfjsonpath.New("schedule"), knownvalue.StringExact("40% for 1s, 80% for 1s, 100%; no alarms; at least 2s")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return watch.expectSeen([]string{"1+2@0.4", "1+2@0.8", "2"}) },
					aliasServes(t, fn, "2"),
				),
			},
			{
				PreConfig:         func() { acctest.UpdateCode(t, fn, "v3"); watch = watchAlias(t, fn, "live", nil) },
				Config:            r3.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("3"), expectPrevious("2"), expectStatus("Succeeded")},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return watch.expectSeen([]string{"2+3@0.005", "2+3@0.25", "3"}) },
					aliasServes(t, fn, "3"),
				),
			},
		},
	})
}

// An alias already on the target: the release does nothing and says NoChange.
func TestAccDeployment_noChange(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	acctest.CreateAlias(t, fn, "live", "1", nil)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{{
			Config:            release{Function: fn, Version: "1", Shift: `{ preset = "Canary10Percent5Minutes" }`}.HCL(),
			ConfigStateChecks: []statecheck.StateCheck{expectVersion("1"), expectStatus("NoChange")},
			Check:             aliasServes(t, fn, "1"),
		}},
	})
}

// version mode releases an already published version.
func TestAccDeployment_versionMode(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config:            release{Function: fn, Version: "1"}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1"), statecheck.ExpectKnownValue(res, tfjsonpath.New("code_sha256"), knownvalue.StringExact(shaV1))},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					if v := acctest.Publish(t, fn); v != "2" {
						t.Fatalf("published %s, want 2", v)
					}
					watch = watchAlias(t, fn, "live", nil)
				},
				Config: release{Function: fn, Version: "2", Shift: `{ canary = { percentage = 20, interval = "1s" } }`}.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{
					expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded"),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("code_sha256"), knownvalue.StringExact(shaV2)),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return watch.expectSeen([]string{"1+2@0.2", "2"}) },
					aliasServes(t, fn, "2"),
				),
			},
		},
	})
}

// An alarm that goes to ALARM while the canary holds: the apply fails naming the alarm
// and the step, the alias is back on 1 with no weights, the next plan shows the release
// pending, and once the alarm clears the next apply finishes it.
func TestAccDeployment_alarmTripsDuringHold(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	r1 := release{Function: fn, Code: shaV1, Shift: `{ canary = { percentage = 10, interval = "5s" } }`, Alarms: []string{alarm}, PollInterval: "1s"}
	r2 := r1
	r2.Code = shaV2
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: r1.HCL(), ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					watch = watchAlias(t, fn, "live", setAlarmState(t, alarm, "ALARM"))
				},
				Config:      r2.HCL(),
				ExpectError: regexp.MustCompile(`(?s)rolled back.*` + alarm + `.*ALARM.*step 1 of 1.*10%.*serves version 1`),
			},
			{
				PreConfig: func() {
					// The watcher proves the canary ran and 2 never took all traffic; the
					// final state is read directly (the watcher may stop before its next read).
					if err := watch.expectSeen([]string{"1+2@0.1"}, "2"); err != nil {
						t.Fatal(err)
					}
					mustAliasServe(t, fn, "1")
				},
				Config:             r2.HCL(),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
			{
				PreConfig:         func() { setAlarmState(t, alarm, "OK")() },
				Config:            r2.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check:             aliasServes(t, fn, "2"),
			},
		},
	})
}

// An alarm already in ALARM fails the release in preflight: nothing is published and
// traffic never moves. ignore_alarms releases anyway.
func TestAccDeployment_alarmAlreadyFiringAndIgnoreAlarms(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	r1 := release{Function: fn, Code: shaV1, Shift: `{ canary = { percentage = 10, interval = "1s" } }`, Alarms: []string{alarm}, PollInterval: "1s"}
	r2 := r1
	r2.Code = shaV2
	r2ignore := r2
	r2ignore.IgnoreAlarms = true
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: r1.HCL(), ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					acctest.SetAlarmState(t, alarm, "ALARM")
					watch = watchAlias(t, fn, "live", nil)
				},
				Config:      r2.HCL(),
				ExpectError: regexp.MustCompile(`(?s)` + alarm + `.*ALARM`),
			},
			{
				PreConfig: func() {
					if err := watch.expectSeen([]string{"1"}, "1+2@0.1", "2"); err != nil {
						t.Fatal(err)
					}
					if n := versionCount(t, fn); n != 1 {
						t.Fatalf("preflight must publish nothing; %d versions exist", n)
					}
				},
				Config:            r2ignore.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectStatus("Succeeded")},
				Check: resource.ComposeTestCheckFunc(
					aliasServes(t, fn, "2"),
					resource.TestMatchResourceAttr(res, "last_deployment.message", regexp.MustCompile(`(?i)alarms ignored|ignore_alarms`)),
				),
			},
		},
	})
}

// A failing pre-traffic hook stops the release before any traffic moves; a failing
// post-traffic hook rolls it back. Each error carries the hook's reason.
func TestAccDeployment_hooks(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	pre := acctest.Function(t, "").Name
	post := acctest.Function(t, "").Name
	r1 := release{Function: fn, Code: shaV1, Shift: `{ canary = { percentage = 10, interval = "1s" } }`, Pre: pre, Post: post}
	r2 := r1
	r2.Code = shaV2
	ok := `{"status":"Succeeded"}`
	var watch *aliasWatcher
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { acctest.QueueHookResults(t, ok, ok) },
				Config:            r1.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					acctest.QueueHookResults(t, `{"status":"Failed","reason":"smoke test: GET /health returned 500"}`)
					watch = watchAlias(t, fn, "live", nil)
				},
				Config:      r2.HCL(),
				ExpectError: regexp.MustCompile(`(?s)pre_traffic.*` + pre + `.*GET /health returned 500.*serves version 1`),
			},
			{
				PreConfig: func() {
					if err := watch.expectSeen([]string{"1"}, "1+2@0.1", "2"); err != nil {
						t.Fatal(err)
					}
					acctest.QueueHookResults(t, ok, `{"status":"Failed","message":"e2e: checkout flow broken"}`)
					watch = watchAlias(t, fn, "live", nil)
				},
				Config:      r2.HCL(),
				ExpectError: regexp.MustCompile(`(?s)rolled back.*post_traffic.*` + post + `.*checkout flow broken.*serves version 1`),
			},
			{
				PreConfig: func() {
					// Promotion to 2 lasts only as long as the post hook (milliseconds on moto).
					if err := watch.expectSeen([]string{"1+2@0.1", "1"}); err != nil {
						t.Fatal(err)
					}
					mustAliasServe(t, fn, "1")
					acctest.QueueHookResults(t, ok, ok)
				},
				Config:            r2.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1")},
				Check:             aliasServes(t, fn, "2"),
			},
		},
	})
}

// An alias moved outside Terraform shows as a pending release and the apply puts it
// back. Import reads the same state back.
func TestAccDeployment_driftImportDestroy(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	r1 := release{Function: fn, Code: shaV1}
	r2 := release{Function: fn, Code: shaV2}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy:             aliasGone(t, fn),
		Steps: []resource.TestStep{
			{Config: r1.HCL()},
			{
				PreConfig:         func() { acctest.UpdateCode(t, fn, "v2") },
				Config:            r2.HCL(),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2")},
			},
			{
				PreConfig: func() { acctest.SetAlias(t, fn, "live", "1", nil) },
				Config:    r2.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2"), expectPrevious("1"), expectStatus("Succeeded")},
				Check:             aliasServes(t, fn, "2"),
			},
			{
				ResourceName:      res,
				ImportState:       true,
				ImportStateId:     fn + ":live",
				ImportStateVerify: true,
				// An import records code_sha256 and leaves version to the next refresh, so
				// that generated configuration sets only one of them.
				ImportStateVerifyIgnore: []string{
					"previous_version", "last_deployment", "schedule", "timeouts", "version",
				},
			},
			{
				// The function part of the import ID may be an ARN.
				ResourceName:  res,
				ImportState:   true,
				ImportStateId: "arn:aws:lambda:us-east-1:123456789012:function:" + fn + ":live",
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 {
						return fmt.Errorf("want 1 imported resource, got %d", len(states))
					}
					a := states[0].Attributes
					want := map[string]string{
						"function_name": "arn:aws:lambda:us-east-1:123456789012:function:" + fn,
						"alias":         "live",
						"code_sha256":   shaV2,
					}
					if v, ok := a["version"]; ok && v != "" {
						return fmt.Errorf("imported version = %q; an import leaves it to the next refresh", v)
					}
					for k, v := range want {
						if a[k] != v {
							return fmt.Errorf("imported %s = %q, want %q", k, a[k], v)
						}
					}
					return nil
				},
			},
		},
	})
}

// An alias deleted outside Terraform leaves state on refresh: the next plan creates it
// again and the apply releases onto a fresh alias.
func TestAccDeployment_aliasDeletedOutside(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	cfg := release{Function: fn, Version: "1"}.HCL()
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: cfg, ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				PreConfig: func() {
					if _, err := acctest.Lambda(t).DeleteAlias(context.Background(), &lambda.DeleteAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1"), expectPrevious(""), expectStatus("Succeeded")},
				Check:             aliasServes(t, fn, "1"),
			},
		},
	})
}

// Import round-trips. After an import block with the matching configuration the plan is a
// no-op, by name and by ARN of the same function (which is not a replacement); the
// configuration that -generate-config-out writes plans the same no-op; and switching
// function_name between the name and the ARN is an in-place change that moves no traffic.
func TestAccDeployment_importRoundTrips(t *testing.T) {
	acctest.PreCheck(t)
	f := acctest.Function(t, "")
	fn := f.Name
	byName := release{Function: fn, Code: shaV1}
	byARN := release{Function: f.ARN, Code: shaV1}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: byName.HCL(), ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")}},
			{
				Config:          byName.HCL(),
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   fn + ":live",
			},
			{
				Config:          byARN.HCL(),
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   f.ARN + ":live",
			},
			{
				ResourceName:    res,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   fn + ":live",
				GenerateConfig:  true,
			},
			{
				Config: byARN.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(res, tfjsonpath.New("version"), knownvalue.StringExact("1")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1"), expectStatus("Succeeded")},
				Check:             aliasServes(t, fn, "1"),
			},
			{
				Config: byName.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate),
				}},
				Check: aliasServes(t, fn, "1"),
			},
			{
				Config: byName.HCL(),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
}
