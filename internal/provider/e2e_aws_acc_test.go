package provider

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// e2eConfig is the configuration users write next to hashicorp/aws: for_each over
// functions built by aws_lambda_function from zips, an alarm per function from
// aws_cloudwatch_metric_alarm, a hook function, and code_sha256 wired to
// source_code_hash, which changes at plan time when the zip does.
func e2eConfig(prefix, role, endpoint, dir, extra string) string {
	return hashicorpAWS(endpoint, "lambda", "cloudwatch", "iam", "sts") + fmt.Sprintf(`locals {
  functions = toset(["a", "b", "c"])
}

resource "aws_lambda_function" "fn" {
  for_each         = local.functions
  function_name    = "%[1]s-${each.key}"
  role             = %[2]q
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = "%[6]s/${each.key}.zip"
  source_code_hash = filebase64sha256("%[6]s/${each.key}.zip")
}

resource "aws_lambda_function" "smoke" {
  function_name    = "%[1]s-smoke"
  role             = %[2]q
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = "%[6]s/smoke.zip"
  source_code_hash = filebase64sha256("%[6]s/smoke.zip")
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each            = local.functions
  alarm_name          = "%[1]s-${each.key}-errors"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.fn[each.key].function_name }
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
}

resource "safelambda_deployment" "api" {
  for_each            = local.functions
  function_name       = aws_lambda_function.fn[each.key].function_name
  alias               = "live"
  code_sha256         = aws_lambda_function.fn[each.key].source_code_hash
  alarms              = [aws_cloudwatch_metric_alarm.errors[each.key].alarm_name]
  alarm_poll_interval = "1s"
  traffic_shift       = { canary = { percentage = 10, interval = "3s" } }
  traffic_arrives_via = "direct_invoke"
  hooks               = { pre_traffic = aws_lambda_function.smoke.function_name }
}
%[5]s`, prefix, role, endpoint, acctest.Region, extra, dir)
}

// e2eWorkdir is a Terraform working directory where both providers install from a
// filesystem mirror: hashicorp/aws from the machine's, this provider from a mirror of the
// binary built for the tests (dev_overrides alone would make terraform init look for it
// in the registry).
func e2eWorkdir(t *testing.T, awsMirror, config string) (*acctest.Workdir, string) {
	t.Helper()
	w := acctest.NewWorkdir(t, config)
	built, err := acctest.BuildProvider()
	if err != nil {
		t.Fatal(err)
	}
	mirror := t.TempDir()
	plat := filepath.Join(mirror, "registry.terraform.io", "safelambda", "safelambda", "0.0.1", runtime.GOOS+"_"+runtime.GOARCH)
	if err := os.MkdirAll(plat, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(built, acctest.ProviderBinary), filepath.Join(plat, "terraform-provider-safelambda_v0.0.1")); err != nil {
		t.Fatal(err)
	}
	rc := filepath.Join(t.TempDir(), "terraform.rc")
	cli := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/safelambda/*"]
  }
}
`, awsMirror, mirror)
	if err := os.WriteFile(rc, []byte(cli), 0o644); err != nil {
		t.Fatal(err)
	}
	w.Setenv("TF_CLI_CONFIG_FILE", rc)
	return w, rc
}

// The end-to-end suite with the real hashicorp/aws provider from the filesystem mirror:
// three functions released together; a code change released in the same apply as the
// upload (code_sha256 is known and new at plan time), where an alarm that trips on one
// function rolls that one back and leaves the others released; an import block adopts a deployment
// with no replacement and no release. Three terraform applies in all: each starts
// hashicorp/aws several times, which dominates the wall time on a busy machine.
func TestAccEndToEnd_hashicorpAWS(t *testing.T) {
	acctest.PreCheck(t)
	mirror := acctest.AWSMirror()
	if mirror == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR): the end-to-end suite with hashicorp/aws needs one")
	}
	if acctest.RealAWS() {
		t.Skip("the end-to-end suite trips alarms with SetAlarmState, which it runs against moto only")
	}
	t.Parallel()
	acctest.QueueHookResults(t) // own moto's invoke queue: the hooks get its default answer, a pass
	prefix, role := acctest.RandName("tf-e2e"), acctest.Role(t)
	fn := func(k string) string { return prefix + "-" + k }
	keys := []string{"a", "b", "c"}
	dir := t.TempDir()
	config := e2eConfig(prefix, role, acctest.Endpoint(), dir, "")
	w, rc := e2eWorkdir(t, mirror, config)
	writeZips := func(v string) {
		for _, k := range append(keys, "smoke") {
			if err := os.WriteFile(filepath.Join(dir, k+".zip"), acctest.HandlerZip(v+"-"+k), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	lc, cw := acctest.Lambda(t), acctest.CloudWatch(t)
	serves := func(k, version, code string) {
		t.Helper()
		if err := checkAlias(lc, fn(k), version); err != nil {
			t.Errorf("%s: %v", fn(k), err)
			return
		}
		out, err := lc.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn(k)), Qualifier: aws.String("live")})
		if err != nil {
			t.Fatalf("read alias live of %s: %v", fn(k), err)
		}
		if got, want := aws.ToString(out.Configuration.CodeSha256), acctest.HandlerCodeSha256(code+"-"+k); got != want {
			t.Errorf("alias live of %s serves code %s, want %s (%q)", fn(k), got, want, code)
		}
	}
	run := func(args ...string) *acctest.Output {
		t.Helper()
		out, err := w.Run(t.Context(), args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		t.Logf("terraform %s: %s", args[0], out.Duration.Round(100*time.Millisecond))
		return out
	}
	// No destroy at the end: moto's state goes with the test binary's moto_server, and
	// every terraform run here costs a start of hashicorp/aws (tens of seconds on a busy
	// machine).

	// 1. First release of all three: each alias is created on version 1.
	writeZips("v1")
	run("apply", "-auto-approve")
	for _, k := range keys {
		serves(k, "1", "v1")
	}

	// 2. The zips change, and b's alarm goes into ALARM while b's canary holds. The apply
	// that uploads the code releases it (code_sha256 is new at plan time): a and c serve
	// version 2; b rolls back to 1, and the apply fails naming b and its alarm.
	writeZips("v2")
	watch := watchAlias(t, fn("b"), "live", func() {
		_, _ = cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{
			AlarmName: aws.String(fn("b") + "-errors"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("e2e: b is failing"),
		})
	})
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	watch.stop()
	if err == nil {
		t.Fatalf("the apply should fail on b's rollback:\n%s", out)
	}
	t.Logf("terraform apply: %s", out.Duration.Round(100*time.Millisecond))
	if !regexp.MustCompile(`(?s)Release of ` + fn("b") + `:live rolled back.*` + fn("b") + `-errors`).MatchString(out.String()) {
		t.Errorf("the error should say b rolled back on its alarm:\n%s", out)
	}
	serves("a", "2", "v2")
	serves("c", "2", "v2")
	serves("b", "1", "v1")

	// 3. One more apply, with b's alarm back to OK and c imported through an import block
	// (c left the state first): b's release is retried, c is adopted with no replacement,
	// no release and no new version (the settings AWS does not hold, such as traffic_shift,
	// are recorded in place), and a is left alone.
	acctest.SetAlarmState(t, fn("b")+"-errors", "OK")
	stateRm := exec.CommandContext(t.Context(), "terraform", "state", "rm", `safelambda_deployment.api["c"]`)
	stateRm.Dir, stateRm.Env = w.Dir, append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc)
	if out, err := stateRm.CombinedOutput(); err != nil {
		t.Fatalf("terraform state rm: %v\n%s", err, out)
	}
	if err := w.SetConfig(e2eConfig(prefix, role, acctest.Endpoint(), dir, fmt.Sprintf(`
import {
  to = safelambda_deployment.api["c"]
  id = "%s:live"
}
`, fn("c")))); err != nil {
		t.Fatal(err)
	}
	out = run("apply", "-auto-approve")
	for _, want := range []string{"1 imported, 0 added, 2 changed, 0 destroyed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the apply should say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), `safelambda_deployment.api["a"]: Modifying`) || strings.Contains(out.String(), "must be replaced") {
		t.Errorf("a must be left alone and nothing replaced:\n%s", out)
	}
	for _, k := range keys {
		serves(k, "2", "v2")
	}
	if n := versionCount(t, fn("c")); n != 2 {
		t.Errorf("%s has %d published versions, want 2: one per release, none for the import", fn("c"), n)
	}
}

// hashicorpAWS is the terraform block of a configuration that uses hashicorp/aws from the
// filesystem mirror beside this provider, and an aws provider block that sends the named
// services to endpoint (moto, through the strict proxy).
func hashicorpAWS(endpoint string, services ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `terraform {
  required_providers {
    aws        = { source = "hashicorp/aws", version = "5.100.0" }
    safelambda = { source = "safelambda/safelambda" }
  }
}

provider "aws" {
  region                      = %q
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
`, acctest.Region)
	for _, s := range services {
		fmt.Fprintf(&b, "    %s = %q\n", s, endpoint)
	}
	b.WriteString("  }\n}\n\n")
	return b.String()
}
