package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// configurationSettingsHCL is the wiring the resource page shows: a hash of the
// function's released settings, which changes at plan time when one of them does (no
// attribute of aws_lambda_function does with publish = false).
const configurationSettingsHCL = `sha256(jsonencode({
    for k, v in aws_lambda_function.fn : k => v if contains([
      "environment", "memory_size", "timeout", "ephemeral_storage", "layers", "runtime", "handler",
      "image_config", "architectures", "role", "vpc_config", "file_system_config",
      "dead_letter_config", "tracing_config", "logging_config", "kms_key_arn", "snap_start",
    ], k)
  }))`

// e2eConfigurationConfig is one function from hashicorp/aws with an environment and a
// memory size, released by code_sha256 with configuration_sha256 wired as documented.
func e2eConfigurationConfig(name, role, endpoint, zip, secret string, memory int) string {
	return hashicorpAWS(endpoint, "lambda", "iam", "sts") + fmt.Sprintf(`resource "aws_lambda_function" "fn" {
  function_name    = %[1]q
  role             = %[2]q
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = %[5]q
  source_code_hash = filebase64sha256(%[5]q)
  memory_size      = %[7]d
  environment {
    variables = { DB_PASSWORD = %[6]q }
  }
}

resource "safelambda_deployment" "api" {
  function_name        = aws_lambda_function.fn.function_name
  alias                = "live"
  code_sha256          = aws_lambda_function.fn.source_code_hash
  configuration_sha256 = %[8]s
}
`, name, role, endpoint, acctest.Region, zip, secret, memory, configurationSettingsHCL)
}

// With hashicorp/aws, a configuration-only change to aws_lambda_function (an environment
// value and the memory size; the zip is the same) is released in the apply that makes
// it, through the documented configuration_sha256 wiring: the plan shows the release,
// the alias serves a new version with the new configuration right after that apply, and
// the next plan is empty. No environment value reaches the deployment's plan output or
// state.
func TestAccEndToEnd_hashicorpAWSConfigurationChange(t *testing.T) {
	acctest.PreCheck(t)
	mirror := acctest.AWSMirror()
	if mirror == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR): the end-to-end suite with hashicorp/aws needs one")
	}
	t.Parallel()
	name, role := acctest.RandName("tf-e2e-config"), acctest.Role(t)
	zip := filepath.Join(t.TempDir(), "fn.zip")
	if err := os.WriteFile(zip, acctest.HandlerZip("v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	const oldSecret, newSecret = "old-s3cr3t-value", "new-s3cr3t-value"
	w, _ := e2eWorkdir(t, mirror, e2eConfigurationConfig(name, role, acctest.Endpoint(), zip, oldSecret, 128))
	run := func(args ...string) *acctest.Output {
		t.Helper()
		out, err := w.Run(t.Context(), args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", args[0], err, out)
		}
		return out
	}
	served := func() (string, *lambda.GetFunctionConfigurationOutput) {
		t.Helper()
		got := acctest.GetAlias(t, name, "live")
		if got.Weights != nil {
			t.Fatalf("alias live is split: %v", got.Weights)
		}
		c, err := acctest.Lambda(t).GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{
			FunctionName: aws.String(name), Qualifier: aws.String(got.Version)})
		if err != nil {
			t.Fatal(err)
		}
		return got.Version, c
	}

	run("apply", "-auto-approve")
	if v, c := served(); v != "1" || aws.ToInt32(c.MemorySize) != 128 {
		t.Fatalf("first release: alias serves version %s with %d MB, want 1 with 128", v, aws.ToInt32(c.MemorySize))
	}

	// The same zip, a new environment value and memory size, in one apply.
	if err := w.SetConfig(e2eConfigurationConfig(name, role, acctest.Endpoint(), zip, newSecret, 256)); err != nil {
		t.Fatal(err)
	}
	plan := run("plan", "-no-color")
	if !strings.Contains(plan.String(), "safelambda_deployment.api will be updated in-place") ||
		!strings.Contains(flat(plan.String()), "configuration change (configuration_sha256 changed)") {
		t.Errorf("the plan should show the release of the configuration:\n%s", plan)
	}
	out := run("apply", "-auto-approve")
	v, c := served()
	if v != "2" || aws.ToInt32(c.MemorySize) != 256 || c.Environment == nil || c.Environment.Variables["DB_PASSWORD"] != newSecret {
		t.Errorf("after the apply that changed the configuration the alias serves version %s with %d MB; want version 2 with 256 MB and the new environment",
			v, aws.ToInt32(c.MemorySize))
	}
	if n := versionCount(t, name); n != 2 {
		t.Errorf("%d published versions, want 2", n)
	}
	for _, text := range []string{plan.String(), out.String()} {
		if strings.Contains(text, newSecret) && strings.Contains(text, "safelambda_deployment") &&
			strings.Contains(sectionOf(text, "safelambda_deployment.api"), newSecret) {
			t.Errorf("the deployment shows an environment value:\n%s", text)
		}
	}
	if s := fmt.Sprint(w.State(t)["safelambda_deployment.api"]); strings.Contains(s, newSecret) || strings.Contains(s, oldSecret) {
		t.Errorf("the deployment's state holds an environment value: %s", s)
	}

	if out, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); err != nil {
		t.Errorf("after the release the plan should be empty: %v\n%s", err, out)
	}
}

// sectionOf is the part of a plan that shows one resource (up to the next "# ").
func sectionOf(plan, address string) string {
	i := strings.Index(plan, "# "+address)
	if i < 0 {
		return ""
	}
	rest := plan[i+2:]
	if j := strings.Index(rest, "\n  # "); j >= 0 {
		return rest[:j]
	}
	return rest
}
