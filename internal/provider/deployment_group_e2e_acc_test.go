package provider

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// groupE2EConfig is e2eConfig's functions and alarms (hashicorp/aws, for_each) released
// by one safelambda_deployment_group whose members a for expression builds, each with
// its own alarm: names, hashes and alarms are unknown at the first plan.
func groupE2EConfig(prefix, role, endpoint, dir string) string {
	single := e2eConfig(prefix, role, endpoint, dir, "")
	i := strings.Index(single, `resource "safelambda_deployment" "api"`)
	return single[:i] + `resource "safelambda_deployment_group" "api" {
  members = {
    for k, f in aws_lambda_function.fn : k => {
      function_name = f.function_name
      alias         = "live"
      code_sha256   = f.source_code_hash
      alarms        = [aws_cloudwatch_metric_alarm.errors[k].alarm_name]
    }
  }
  alarm_poll_interval = "1s"
  traffic_shift       = { canary = { percentage = 10, interval = "3s" } }
  traffic_arrives_via = "direct_invoke"
  hooks               = { pre_traffic = aws_lambda_function.smoke.function_name }
}
`
}

// Three aws_lambda_function built with for_each, released by one group: every member
// is seen at 10% before any is promoted; then b's alarm fires during the canary and all
// three go back to the versions they served.
func TestAccEndToEnd_groupHashicorpAWS(t *testing.T) {
	acctest.PreCheck(t)
	mirror := acctest.AWSMirror()
	if mirror == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR)")
	}
	if acctest.RealAWS() {
		t.Skip("trips alarms with SetAlarmState, against moto only")
	}
	t.Parallel()
	acctest.QueueHookResults(t)
	prefix, role := acctest.RandName("tf-e2eg"), acctest.Role(t)
	fn := func(k string) string { return prefix + "-" + k }
	keys := []string{"a", "b", "c"}
	fns := []string{fn("a"), fn("b"), fn("c")}
	dir := t.TempDir()
	w, _ := e2eWorkdir(t, mirror, groupE2EConfig(prefix, role, acctest.Endpoint(), dir))
	writeZips := func(v string) {
		for _, k := range append(keys, "smoke") {
			if err := os.WriteFile(filepath.Join(dir, k+".zip"), acctest.HandlerZip(v+"-"+k), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	lc, cw := acctest.Lambda(t), acctest.CloudWatch(t)
	all := func(version string) {
		t.Helper()
		for _, f := range fns {
			if err := checkAlias(lc, f, version); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}

	// 1. First release: every alias created on version 1.
	writeZips("v1")
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	all("1")

	// 2. New code for all three, uploaded and released in one apply, in lockstep.
	writeZips("v2")
	watch := watchGroup(t, fns)
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if err := watch.lockstep("1+2@0.1", "2"); err != nil {
		t.Error(err)
	}
	all("2")

	// 3. New code again; b's own alarm fires while the canary holds: all three back on 2.
	writeZips("v3")
	trip := watchAlias(t, fn("b"), "live", func() {
		_, _ = cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{
			AlarmName: aws.String(fn("b") + "-errors"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("e2e: b is failing"),
		})
	})
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	trip.stop()
	if err == nil {
		t.Fatalf("the apply should fail on b's alarm:\n%s", out)
	}
	if !regexp.MustCompile(`(?s)rolled back.*member b.*` + fn("b") + `-errors.*Every member of the group`).MatchString(out.String()) {
		t.Errorf("the error should say the group rolled back on b's alarm:\n%s", out)
	}
	all("2")
	t.Logf("the rolled-back apply took %s", out.Duration)
}
