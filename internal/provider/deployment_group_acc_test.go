package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

const groupRes = "safelambda_deployment_group.test"

// groupHCL is a group of the functions given, each releasing code, alias live; extra
// goes inside the resource block.
func groupHCL(fns []string, code []string, extra string) string {
	var b strings.Builder
	b.WriteString("resource \"safelambda_deployment_group\" \"test\" {\n  members = {\n")
	for i, fn := range fns {
		fmt.Fprintf(&b, "    m%d = { function_name = %q, alias = \"live\", code_sha256 = %q }\n", i, fn, code[i])
	}
	b.WriteString("  }\n  traffic_arrives_via = \"direct_invoke\"\n" + extra + "\n}\n")
	return b.String()
}

// firstSeen records when each of several aliases was first seen routing each way.
type firstSeen struct {
	mu   sync.Mutex
	at   map[string]map[string]time.Time // function → routing → first time seen
	stop func()
}

func watchGroup(t *testing.T, fns []string) *firstSeen {
	lc := acctest.Lambda(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := &firstSeen{at: map[string]map[string]time.Time{}}
	var wg sync.WaitGroup
	for _, fn := range fns {
		w.at[fn] = map[string]time.Time{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				out, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
				if err == nil {
					var weights map[string]float64
					if out.RoutingConfig != nil {
						weights = out.RoutingConfig.AdditionalVersionWeights
					}
					r := routing(aws.ToString(out.FunctionVersion), weights)
					w.mu.Lock()
					if _, ok := w.at[fn][r]; !ok {
						w.at[fn][r] = time.Now()
					}
					w.mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	w.stop = func() { cancel(); wg.Wait() }
	t.Cleanup(w.stop)
	return w
}

// lockstep checks every member was seen split before any was seen promoted.
func (w *firstSeen) lockstep(split, promoted string) error {
	w.stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	var lastSplit, firstPromoted time.Time
	for fn, seen := range w.at {
		s, ok := seen[split]
		if !ok {
			return fmt.Errorf("alias live of %s was never seen at %s; seen %v", fn, split, keysOf(seen))
		}
		if s.After(lastSplit) {
			lastSplit = s
		}
		if p, ok := seen[promoted]; ok && (firstPromoted.IsZero() || p.Before(firstPromoted)) {
			firstPromoted = p
		}
	}
	if !firstPromoted.IsZero() && !lastSplit.Before(firstPromoted) {
		return fmt.Errorf("a member was promoted (%s) before every member was split (%s)", firstPromoted.Format(time.StampMicro), lastSplit.Format(time.StampMicro))
	}
	return nil
}

func keysOf(m map[string]time.Time) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func allServe(t *testing.T, fns []string, version string) resource.TestCheckFunc {
	lc := acctest.Lambda(t)
	return func(*terraform.State) error {
		for _, fn := range fns {
			if err := checkAlias(lc, fn, version); err != nil {
				return fmt.Errorf("%s: %w", fn, err)
			}
		}
		return nil
	}
}

func memberVersion(key, v string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(groupRes, tfjsonpath.New("members").AtMapKey(key).AtMapKey("version"), knownvalue.StringExact(v))
}

// Three functions released together: a canary at 10% that every member carries before
// any is promoted (watched from outside), then all on version 2.
func TestAccDeploymentGroup_lockstep(t *testing.T) {
	acctest.PreCheck(t)
	fns := []string{acctest.Function(t, "").Name, acctest.Function(t, "").Name, acctest.Function(t, "").Name}
	v1 := []string{shaV1, shaV1, shaV1}
	v2 := []string{shaV2, shaV2, shaV2}
	shift := `traffic_shift = { canary = { percentage = 10, interval = "3s" } }`
	var watch *firstSeen
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: groupHCL(fns, v1, shift), Check: allServe(t, fns, "1"),
				ConfigStateChecks: []statecheck.StateCheck{memberVersion("m0", "1"), memberVersion("m2", "1")}},
			{
				PreConfig: func() {
					for _, fn := range fns {
						acctest.UpdateCode(t, fn, "v2")
					}
					watch = watchGroup(t, fns)
				},
				Config: groupHCL(fns, v2, shift),
				Check: resource.ComposeAggregateTestCheckFunc(allServe(t, fns, "2"), func(*terraform.State) error {
					return watch.lockstep("1+2@0.1", "2")
				}),
				ConfigStateChecks: []statecheck.StateCheck{memberVersion("m0", "2"), memberVersion("m1", "2"), memberVersion("m2", "2"),
					statecheck.ExpectKnownValue(groupRes, tfjsonpath.New("members").AtMapKey("m1").AtMapKey("previous_version"), knownvalue.StringExact("1")),
					statecheck.ExpectKnownValue(groupRes, tfjsonpath.New("last_deployment").AtMapKey("status"), knownvalue.StringExact("Succeeded"))},
			},
			{Config: groupHCL(fns, v2, shift), PlanOnly: true},
		},
	})
}

// One member's own alarm fires during the hold: all three go back to version 1.
func TestAccDeploymentGroup_memberAlarmRollsBackAll(t *testing.T) {
	acctest.PreCheck(t)
	fns := []string{acctest.Function(t, "").Name, acctest.Function(t, "").Name, acctest.Function(t, "").Name}
	alarm := acctest.RandName("tf-acc-member")
	acctest.Alarm(t, alarm)
	v1 := []string{shaV1, shaV1, shaV1}
	v2 := []string{shaV2, shaV2, shaV2}
	shift := `traffic_shift = { canary = { percentage = 10, interval = "5s" } }
  alarm_poll_interval = "1s"`
	withAlarm := func(code []string) string {
		return strings.Replace(groupHCL(fns, code, shift), fmt.Sprintf("m1 = { function_name = %q, alias = \"live\", code_sha256 = %q }", fns[1], code[1]),
			fmt.Sprintf("m1 = { function_name = %q, alias = \"live\", code_sha256 = %q, alarms = [%q] }", fns[1], code[1], alarm), 1)
	}
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: withAlarm(v1), Check: allServe(t, fns, "1")},
			{
				PreConfig: func() {
					for _, fn := range fns {
						acctest.UpdateCode(t, fn, "v2")
					}
					watch = watchAlias(t, fns[1], "live", setAlarmState(t, alarm, "ALARM"))
				},
				Config:      withAlarm(v2),
				ExpectError: regexp.MustCompile(`(?s)rolled back.*member m1.*` + alarm + `.*ALARM.*Every member of the group`),
			},
			{
				PreConfig: func() {
					if err := watch.expectSeen([]string{"1+2@0.1"}, "2"); err != nil {
						t.Fatal(err)
					}
					for _, fn := range fns {
						mustAliasServe(t, fn, "1")
					}
				},
				Config:             withAlarm(v2),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// A member added is released with the group (its alias created); a member removed has
// its alias deleted; a label renamed changes nothing.
func TestAccDeploymentGroup_membership(t *testing.T) {
	acctest.PreCheck(t)
	fns := []string{acctest.Function(t, "").Name, acctest.Function(t, "").Name, acctest.Function(t, "").Name}
	renamed := strings.Replace(groupHCL(fns[:2], []string{shaV1, shaV1}, ""), "m1 =", "worker =", 1)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: groupHCL(fns[:2], []string{shaV1, shaV1}, ""), Check: allServe(t, fns[:2], "1")},
			// A label renamed: the plan shows the new label, and applying it writes nothing.
			{Config: renamed, Check: allServe(t, fns[:2], "1"), ConfigStateChecks: []statecheck.StateCheck{memberVersion("worker", "1"),
				statecheck.ExpectKnownValue(groupRes, tfjsonpath.New("last_deployment").AtMapKey("status"), knownvalue.StringExact("Succeeded"))}},
			{Config: renamed, PlanOnly: true},
			{Config: groupHCL(fns, []string{shaV1, shaV1, shaV1}, ""), Check: allServe(t, fns, "1"),
				ConfigStateChecks: []statecheck.StateCheck{memberVersion("m2", "1")}},
			{Config: groupHCL(fns[:2], []string{shaV1, shaV1}, ""), Check: resource.ComposeAggregateTestCheckFunc(allServe(t, fns[:2], "1"), aliasGone(t, fns[2]))},
			{ResourceName: groupRes, ImportState: true, ImportStateId: fns[0] + ":live," + fns[1] + ":live",
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].Attributes["members.%"] != "2" {
						return fmt.Errorf("imported %v", states)
					}
					return nil
				}},
		},
	})
}

func revisions(t *testing.T, fns []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, fn := range fns {
		a, err := acctest.Lambda(t).GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		out[fn] = aws.ToString(a.FunctionVersion) + "@" + aws.ToString(a.RevisionId)
	}
	return out
}

// Three safelambda_deployment resources become one group without an alias changing:
// `removed` (destroy = false) lets go of the singles, `import` takes the aliases into the
// group, keyed by function name; the apply writes no alias (every RevisionId is kept).
func TestAccDeploymentGroup_migrationFromSingles(t *testing.T) {
	acctest.PreCheck(t)
	fns := []string{acctest.Function(t, "").Name, acctest.Function(t, "").Name, acctest.Function(t, "").Name}
	list := fmt.Sprintf("[%q, %q, %q]", fns[0], fns[1], fns[2])
	singles := fmt.Sprintf(`resource "safelambda_deployment" "test" {
  for_each      = toset(%s)
  function_name = each.key
  alias         = "live"
  code_sha256   = %q
}
`, list, shaV1)
	group := fmt.Sprintf(`removed {
  from = safelambda_deployment.test
  lifecycle {
    destroy = false
  }
}

import {
  to = safelambda_deployment_group.test
  id = "%s:live,%s:live,%s:live"
}

resource "safelambda_deployment_group" "test" {
  members = { for fn in %s : fn => { function_name = fn, alias = "live", code_sha256 = %q } }
  traffic_shift = { canary = { percentage = 10, interval = "3s" } }
  traffic_arrives_via = "direct_invoke"
}
`, fns[0], fns[1], fns[2], list, shaV1)
	var before map[string]string
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			// (for_each state cannot go through the legacy Check functions: checks run in
			// the next step's PreConfig.)
			{Config: singles},
			{
				PreConfig: func() {
					for _, fn := range fns {
						mustAliasServe(t, fn, "1")
					}
					before = revisions(t, fns)
				},
				Config:            group,
				ConfigStateChecks: []statecheck.StateCheck{memberVersion(fns[0], "1"), memberVersion(fns[2], "1")},
			},
			{
				PreConfig: func() {
					after := revisions(t, fns)
					for fn, b := range before {
						if after[fn] != b {
							t.Fatalf("alias live of %s was written during the migration: %s, then %s", fn, b, after[fn])
						}
					}
				},
				Config:   group,
				PlanOnly: true,
			},
		},
	})
}

// The engine's rules judge each member at plan time, on the member's own path; two
// members on one alias are refused.
func TestAccDeploymentGroup_planTimeErrors(t *testing.T) {
	acctest.PreCheck(t)
	both := `resource "safelambda_deployment_group" "test" {
  members = {
    api = { function_name = "orders-api", alias = "live", code_sha256 = "` + shaV1 + `", version = "3" }
  }
}
`
	twice := `resource "safelambda_deployment_group" "test" {
  members = {
    a = { function_name = "orders-api", alias = "live", version = "3" }
    b = { function_name = "orders-api", alias = "live", version = "4" }
  }
}
`
	badShift := `resource "safelambda_deployment_group" "test" {
  members = {
    a = { function_name = "orders-api", alias = "live", version = "3" }
  }
  traffic_shift = { canary = { percentage = 150, interval = "5m" } }
}
`
	badGates := `resource "safelambda_deployment_group" "test" {
  members = {
    a = { function_name = "orders-api", alias = "live", version = "3", metric_gates = { max_error_rate = 2 } }
    b = { function_name = "orders-worker", alias = "live", version = "3" }
  }
  traffic_shift = { canary = { percentage = 10, interval = "5m" } }
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{Config: both, PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)members\["api"\].*code_sha256.*version`)},
			{Config: twice, PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)Two members on one alias.*both release alias live of orders-api`)},
			{Config: badShift, PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)traffic_shift\.canary\.percentage`)},
			{Config: badGates, PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)members\["a"\]\.metric_gates\.max_error_rate`)},
		},
	})
}
