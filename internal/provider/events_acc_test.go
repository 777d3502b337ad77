package provider

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// wantEvent is what one event read back from the queue must say.
type wantEvent struct {
	detailType string
	event      string
	status     string
	target     string
	previous   string
	live       string // routing as the alias watcher writes it: "1", "1+2@0.1"
	percent    float64
	cause      string // a regexp the cause must match; "" for no cause
	step       bool   // the detail carries a step
}

// checkEvents compares the events of one release, read back from the queue, with want:
// the envelope a rule sees (source, detail-type, resources, region) and every field of
// the documented detail. It returns the release id they share.
func checkEvents(got []acctest.QueuedEvent, fn string, want []wantEvent) (string, error) {
	var kinds []string
	for _, e := range got {
		kinds = append(kinds, e.DetailType)
	}
	if len(got) != len(want) {
		return "", fmt.Errorf("%d events on the queue, want %d: %q", len(got), len(want), kinds)
	}
	var id string
	var last time.Time
	var lastOffset float64
	for i, e := range got {
		w := want[i]
		var d shift.EventDetail
		dec := json.NewDecoder(strings.NewReader(string(e.Detail)))
		dec.DisallowUnknownFields() // every field is documented in shift.EventDetail
		if err := dec.Decode(&d); err != nil {
			return "", fmt.Errorf("event %d detail: %v\n%s", i, err, e.Detail)
		}
		var raw map[string]json.RawMessage
		_ = json.Unmarshal(e.Detail, &raw)
		for _, k := range []string{"schema_version", "event", "sequence", "release_id", "function", "function_arn", "alias", "alias_arn",
			"target_version", "previous_version", "target_percent", "live", "schedule", "status", "message", "run_by", "started_at", "offset_seconds"} {
			if _, ok := raw[k]; !ok {
				return "", fmt.Errorf("event %d (%s) has no %q: %s", i, w.event, k, e.Detail)
			}
		}
		if i == 0 {
			id = d.ReleaseID
		}
		live := d.Live.Version
		if len(d.Live.Weights) > 0 {
			var parts []string
			for v, wt := range d.Live.Weights {
				parts = append(parts, fmt.Sprintf("%s@%g", v, wt))
			}
			live += "+" + strings.Join(parts, ",")
		}
		problems := []string{}
		check := func(ok bool, format string, args ...any) {
			if !ok {
				problems = append(problems, fmt.Sprintf(format, args...))
			}
		}
		check(e.Source == "safelambda", "source %q", e.Source)
		check(e.DetailType == w.detailType, "detail-type %q, want %q", e.DetailType, w.detailType)
		check(e.Region == acctest.Region, "region %q", e.Region)
		check(d.SchemaVersion == 1, "schema_version %d", d.SchemaVersion)
		check(d.Event == w.event, "event %q, want %q", d.Event, w.event)
		check(d.Sequence == i+1, "sequence %d, want %d", d.Sequence, i+1)
		check(strings.HasPrefix(d.ReleaseID, "d-") && d.ReleaseID == id, "release_id %q, want %q", d.ReleaseID, id)
		check(d.Function == fn && strings.HasSuffix(d.FunctionARN, ":function:"+fn), "function %q %q", d.Function, d.FunctionARN)
		check(d.Alias == "live", "alias %q", d.Alias)
		check(d.AliasARN == "" || d.AliasARN == d.FunctionARN+":live", "alias_arn %q", d.AliasARN)
		check(d.TargetVersion == w.target && d.PreviousVersion == w.previous, "versions %q from %q, want %q from %q", d.TargetVersion, d.PreviousVersion, w.target, w.previous)
		check(live == w.live, "live %q, want %q", live, w.live)
		check(d.TargetPercent == w.percent, "target_percent %v, want %v", d.TargetPercent, w.percent)
		check(d.Status == w.status, "status %q, want %q", d.Status, w.status)
		check(d.Message != "" && d.RunBy != "", "message %q run_by %q", d.Message, d.RunBy)
		check((d.Step != nil) == w.step, "step %+v", d.Step)
		if w.cause == "" {
			check(d.Cause == "", "cause %q, want none", d.Cause)
		} else {
			check(regexp.MustCompile(w.cause).MatchString(d.Cause), "cause %q, want %s", d.Cause, w.cause)
		}
		check(len(e.Resources) >= 1 && e.Resources[0] == d.FunctionARN, "resources %v", e.Resources)
		check(!e.Time.Before(last) && d.OffsetSeconds >= lastOffset, "time %s offset %v after %s %v", e.Time, d.OffsetSeconds, last, lastOffset)
		check(d.StartedAt.Add(time.Duration(d.OffsetSeconds*float64(time.Second))).Sub(e.Time).Abs() < time.Second,
			"time %s is not started_at %s + offset %v", e.Time, d.StartedAt, d.OffsetSeconds)
		last, lastOffset = e.Time, d.OffsetSeconds
		if len(problems) > 0 {
			return "", fmt.Errorf("event %d (%s): %s\n%s", i, w.event, strings.Join(problems, "; "), e.Detail)
		}
	}
	return id, nil
}

// eventsConfig is a release whose bus is known only after apply: it comes through
// terraform_data, replaced with every code change, from a variable object, as a bus
// created in the same configuration would.
func eventsConfig(r release, bus string) string {
	r.Extra = "  events = { event_bus = terraform_data.bus.output }\n"
	return fmt.Sprintf(`
variable "ops" {
  type    = object({ event_bus = string })
  default = { event_bus = %q }
}

resource "terraform_data" "bus" {
  input            = var.ops.event_bus
  triggers_replace = [%q]
}

`, bus, r.Code) + r.HCL()
}

// A release announces itself on an EventBridge bus whose name is not known at plan:
// the first release (started, promoted, finished), then a canary whose alarm trips
// mid-hold (started, step, tripped, rolled back, finished). Every event is read back from
// an SQS queue a rule on the bus targets, in order, with its full schema.
func TestAccEvents_rollbackReadFromQueue(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.Function(t, "").Name
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	q := acctest.NewEventQueue(t, "")
	r1 := release{Function: fn, Code: shaV1, Shift: `{ canary = { percentage = 10, interval = "5s" } }`, Alarms: []string{alarm}, PollInterval: "1s"}
	r2 := r1
	r2.Code = shaV2
	var firstID string
	var watch *aliasWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		Steps: []resource.TestStep{
			{
				Config: eventsConfig(r1, q.BusARN),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("events").AtMapKey("event_bus")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1"), expectStatus("Succeeded")},
				Check: func(s *terraform.State) error {
					id, err := checkEvents(q.Drain(t), fn, []wantEvent{
						{detailType: "Release Started", event: "started", status: "InProgress", target: "1", live: "", percent: 0},
						{detailType: "Release Promoted", event: "promoted", status: "InProgress", target: "1", live: "1", percent: 100},
						{detailType: "Release Finished", event: "finished", status: "Succeeded", target: "1", live: "1", percent: 100},
					})
					if err != nil {
						return err
					}
					if inState := s.RootModule().Resources[res].Primary.Attributes["last_deployment.id"]; id != inState {
						return fmt.Errorf("the events' release_id %q is not last_deployment.id %q", id, inState)
					}
					firstID = id
					return nil
				},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					watch = watchAlias(t, fn, "live", setAlarmState(t, alarm, "ALARM"))
				},
				Config: eventsConfig(r2, q.BusARN),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectUnknownValue(res, tfjsonpath.New("events").AtMapKey("event_bus")),
				}},
				ExpectError: regexp.MustCompile(`(?s)rolled back.*` + alarm + `.*ALARM`),
			},
			{
				PreConfig: func() {
					if err := watch.expectSeen([]string{"1+2@0.1", "1"}, "2"); err != nil {
						t.Fatal(err)
					}
					cause := `alarm "` + alarm + `" is in ALARM`
					id, err := checkEvents(q.Drain(t), fn, []wantEvent{
						{detailType: "Release Started", event: "started", status: "InProgress", target: "2", previous: "1", live: "1", percent: 0},
						{detailType: "Release Step", event: "step", status: "InProgress", target: "2", previous: "1", live: "1+2@0.1", percent: 10, step: true},
						{detailType: "Release Tripped", event: "tripped", status: "InProgress", target: "2", previous: "1", live: "1+2@0.1", percent: 10, cause: cause},
						{detailType: "Release Rolled Back", event: "rolled_back", status: "InProgress", target: "2", previous: "1", live: "1", percent: 0, cause: cause},
						{detailType: "Release Finished", event: "finished", status: "RolledBack", target: "2", previous: "1", live: "1", percent: 0, cause: cause},
					})
					if err != nil {
						t.Fatal(err)
					}
					if id == firstID {
						t.Fatalf("the second release has the first's id %s", id)
					}
				},
				Config:             eventsConfig(r2, q.BusARN),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
	})
}

// The Operating releases guide's example (chat through AWS Chatbot, paging through a
// PagerDuty API destination) is valid against hashicorp/aws and this provider's schemas.
func TestAccEvents_guideExampleValidates(t *testing.T) {
	acctest.PreCheck(t)
	mirror := acctest.AWSMirror()
	if mirror == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR): validating the guide's example needs one")
	}
	example, err := os.ReadFile("../../examples/guides/operating-releases/events.tf")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e2eWorkdir(t, mirror, string(example))
	out, err := w.Run(t.Context(), "validate")
	if err != nil {
		t.Fatalf("the guide's example does not validate: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "The configuration is valid") {
		t.Fatalf("validate said:\n%s", out)
	}
}
