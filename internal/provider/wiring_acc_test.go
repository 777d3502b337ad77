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

const canary1s = `{ canary = { percentage = 10, interval = "1s" } }`

func expectSaid(t *testing.T, what string, out *acctest.Output, wants ...string) {
	t.Helper()
	text := flat(out.String())
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s should say %q:\n%s", what, want, out)
		}
	}
}

func expectNotSaid(t *testing.T, what string, out *acctest.Output, unwanted ...string) {
	t.Helper()
	text := flat(out.String())
	for _, u := range unwanted {
		if strings.Contains(text, u) {
			t.Errorf("%s should not say %q:\n%s", what, u, out)
		}
	}
}

// An SQS event source mapping on the unqualified function: the plan of a canary release
// names it, its queue and the line to change, and says the apply will refuse; the apply
// refuses before anything changes (no version published, alias untouched). With the
// mapping moved onto the alias, the plan has no wiring warning and the canary goes.
func TestAccWiring_eventSourceMappingOnTheFunction(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	fn := acctest.Function(t, "")
	w := acctest.NewWorkdir(t, release{Function: fn.Name, Code: shaV1}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	queue := acctest.Queue(t, "")
	uuid := acctest.EventSourceMapping(t, fn.Name, queue)
	acctest.UpdateCode(t, fn.Name, "v2")
	r2 := release{Function: fn.Name, Code: shaV2, Shift: canary1s, TrafficArrivesVia: "-"}
	if err := w.SetConfig(r2.HCL()); err != nil {
		t.Fatal(err)
	}

	plan, err := w.Run(t.Context(), "plan")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	expectSaid(t, "the plan", plan,
		"Warning: A trigger skips alias live",
		"event source mapping "+uuid+" from "+queue+" invokes the unqualified function "+fn.Name,
		"point function_name of aws_lambda_event_source_mapping at the alias ARN (alias_arn of safelambda_deployment, "+fn.ARN+":live)",
		"Warning: The release will refuse to shift gradually",
		`traffic_arrives_via = "direct_invoke"`,
	)

	before := versionCount(t, fn.Name)
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the canary went on with no trigger on the alias:\n%s", out)
	}
	expectSaid(t, "the refusal", out,
		"no trigger reaches alias live of "+fn.Name,
		"nothing was changed",
		"event source mapping "+uuid+" from "+queue,
		"Lambda keeps no trace of it",
		`traffic_arrives_via = "direct_invoke"`,
	)
	mustAliasServe(t, fn.Name, "1")
	if n := versionCount(t, fn.Name); n != before {
		t.Errorf("%d versions after the refusal, %d before: something was published", n, before)
	}

	// The mapping moved onto the alias: no warning, and the canary goes.
	lc := acctest.Lambda(t)
	if _, err := lc.UpdateEventSourceMapping(t.Context(), &lambda.UpdateEventSourceMappingInput{UUID: aws.String(uuid), FunctionName: aws.String(fn.ARN + ":live")}); err != nil {
		t.Fatal(err)
	}
	plan, err = w.Run(t.Context(), "plan")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	expectNotSaid(t, "the plan", plan, "skips alias", "will refuse", "Wiring check incomplete")
	out, err = w.Run(t.Context(), "apply", "-auto-approve")
	if err != nil {
		t.Fatalf("the canary through the mapped alias: %v\n%s", err, out)
	}
	mustAliasServe(t, fn.Name, "2")
}

// traffic_arrives_via = "direct_invoke" lets a canary through a function that nothing
// triggers, also when the value is unknown at plan (from another resource): the plan
// then promises no refusal, and the apply, where it is known, releases. Unset, the same
// release is refused and says there is no trigger at all.
func TestAccWiring_directInvokeUnknownAtPlan(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	fn := acctest.Function(t, "").Name
	w := acctest.NewWorkdir(t, release{Function: fn, Code: shaV1}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	acctest.UpdateCode(t, fn, "v2")

	if err := w.SetConfig(release{Function: fn, Code: shaV2, Shift: canary1s, TrafficArrivesVia: "-"}.HCL()); err != nil {
		t.Fatal(err)
	}
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("a canary with no trigger at all went on:\n%s", out)
	}
	expectSaid(t, "the refusal", out, "the function has no event source mapping, function URL or invoke permission", "nothing was changed")
	mustAliasServe(t, fn, "1")

	config := `resource "terraform_data" "how" {
  input = "direct_invoke"
}

` + release{Function: fn, Code: shaV2, Shift: canary1s, TrafficArrivesVia: "-", Extra: "  traffic_arrives_via = terraform_data.how.output\n"}.HCL()
	if err := w.SetConfig(config); err != nil {
		t.Fatal(err)
	}
	plan, err := w.Run(t.Context(), "plan")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	expectSaid(t, "the plan", plan, "traffic_arrives_via = (known after apply)")
	expectNotSaid(t, "the plan", plan, "will refuse")
	out, err = w.Run(t.Context(), "apply", "-auto-approve")
	if err != nil {
		t.Fatalf("the canary with traffic_arrives_via known at apply: %v\n%s", err, out)
	}
	mustAliasServe(t, fn, "2")
	if got := w.State(t)[res]["traffic_arrives_via"]; got != "direct_invoke" {
		t.Errorf("traffic_arrives_via in state = %v", got)
	}
}

// Permissions and a function URL on the alias reach it; one left on the function is
// named at plan with its principal and source, and the canary goes.
func TestAccWiring_permissionsAndFunctionURL(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	fn := acctest.Function(t, "")
	w := acctest.NewWorkdir(t, release{Function: fn.Name, Code: shaV1}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	api := "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/*/*"
	acctest.AddPermission(t, fn.Name, "", "AllowAPIGatewayInvoke", "apigateway.amazonaws.com", api)
	acctest.AddPermission(t, fn.Name, "live", "AllowS3Invoke", "s3.amazonaws.com", "arn:aws:s3:::uploads")
	if _, err := acctest.Lambda(t).CreateFunctionUrlConfig(context.Background(), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String(fn.Name), Qualifier: aws.String("live"), AuthType: "AWS_IAM",
	}); err != nil {
		t.Fatal(err)
	}
	acctest.UpdateCode(t, fn.Name, "v2")
	if err := w.SetConfig(release{Function: fn.Name, Code: shaV2, Shift: canary1s, TrafficArrivesVia: "triggers"}.HCL()); err != nil {
		t.Fatal(err)
	}
	plan, err := w.Run(t.Context(), "plan")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, plan)
	}
	expectSaid(t, "the plan", plan,
		fmt.Sprintf(`invoke permission "AllowAPIGatewayInvoke" for apigateway.amazonaws.com from %s is in the function's resource policy, so it invokes the unqualified function %s`, api, fn.Name),
		`set qualifier = "live" on its aws_lambda_permission, and point the API Gateway integration at the alias: uri = invoke_arn of safelambda_deployment`,
	)
	expectNotSaid(t, "the plan", plan, "AllowS3Invoke", "lambda-url", "will refuse")
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err != nil {
		t.Fatalf("canary: %v\n%s", err, out)
	}
	expectSaid(t, "the apply", out, "AllowAPIGatewayInvoke")
	mustAliasServe(t, fn.Name, "2")
}

// wiringAWSConfig is a function with an SQS queue mapped to it by hashicorp/aws, and its
// deployment; mapping is the mapping's function_name, more goes into the deployment.
func wiringAWSConfig(name, role, endpoint, dir, mapping, more string) string {
	return hashicorpAWS(endpoint, "lambda", "sqs", "iam", "sts") + fmt.Sprintf(`resource "aws_lambda_function" "fn" {
  function_name    = %[1]q
  role             = %[2]q
  runtime          = "python3.12"
  handler          = "index.handler"
  filename         = "%[5]s/fn.zip"
  source_code_hash = filebase64sha256("%[5]s/fn.zip")
}

resource "aws_sqs_queue" "orders" {
  name = "%[1]s-orders"
}

resource "aws_lambda_event_source_mapping" "orders" {
  event_source_arn = aws_sqs_queue.orders.arn
  function_name    = %[6]s
}

resource "safelambda_deployment" "test" {
  function_name = aws_lambda_function.fn.function_name
  alias         = "live"
  code_sha256   = aws_lambda_function.fn.source_code_hash
  traffic_shift = { canary = { percentage = 10, interval = "1s" } }
%[7]s}
`, name, role, endpoint, acctest.Region, dir, mapping, more)
}

// With hashicorp/aws: aws_lambda_event_source_mapping from an aws_sqs_queue to the
// function's unqualified ARN is named at plan and the canary refused at apply, in the
// apply that uploads the new code; pointed at the alias, the next apply releases.
func TestAccWiring_hashicorpAWS(t *testing.T) {
	acctest.PreCheck(t)
	mirror := acctest.AWSMirror()
	if mirror == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR): this test needs one")
	}
	if acctest.RealAWS() {
		t.Skip("runs against moto only")
	}
	t.Parallel()
	name, role, dir := acctest.RandName("tf-wiring"), acctest.Role(t), t.TempDir()
	config := func(mapping, more string) string {
		return wiringAWSConfig(name, role, acctest.Endpoint(), dir, mapping, more)
	}
	w, _ := e2eWorkdir(t, mirror, config("aws_lambda_function.fn.arn", ""))
	zip := func(v string) {
		if err := os.WriteFile(filepath.Join(dir, "fn.zip"), acctest.HandlerZip(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(wantErr bool, args ...string) *acctest.Output {
		t.Helper()
		out, err := w.Run(t.Context(), args...)
		if (err != nil) != wantErr {
			t.Fatalf("terraform %s: error %v, want error %v\n%s", args[0], err, wantErr, out)
		}
		return out
	}

	zip("v1")
	run(false, "apply", "-auto-approve") // the first release creates the alias on 1
	mustAliasServe(t, name, "1")

	zip("v2")
	plan := run(false, "plan")
	expectSaid(t, "the plan", plan, "Warning: A trigger skips alias live", "event source mapping", "from arn:aws:sqs:",
		"invokes the unqualified function "+name, "point function_name of aws_lambda_event_source_mapping at the alias ARN",
		"Warning: The release will refuse to shift gradually")
	out := run(true, "apply", "-auto-approve")
	expectSaid(t, "the refusal", out, "no trigger reaches alias live of "+name, "nothing was changed", `traffic_arrives_via = "direct_invoke"`)
	mustAliasServe(t, name, "1")

	if err := w.SetConfig(config(`"${aws_lambda_function.fn.arn}:live"`, "  depends_on = [aws_lambda_event_source_mapping.orders]\n")); err != nil {
		t.Fatal(err)
	}
	// The plan of this apply still sees the mapping on the function (the same apply moves
	// it) and warns; the release, after the move, finds the alias reached.
	out = run(false, "apply", "-auto-approve")
	expectSaid(t, "the apply", out, "Apply complete! Resources: 0 added, 2 changed, 0 destroyed.")
	expectNotSaid(t, "the apply", out, "Error:")
	mustAliasServe(t, name, "2")
	if last, _ := w.State(t)[res]["last_deployment"].(map[string]any); last["status"] != "Succeeded" {
		t.Errorf("last_deployment = %v, want status Succeeded", last)
	}
}

// The Operating releases guide's wiring example (an SQS mapping, an API Gateway
// integration and permission, a function URL and an S3 notification, all on the alias) is
// valid against hashicorp/aws and this provider's schemas.
func TestAccWiring_guideExampleValidates(t *testing.T) {
	acctest.PreCheck(t)
	mirror := acctest.AWSMirror()
	if mirror == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR): validating the guide's example needs one")
	}
	example, err := os.ReadFile("../../examples/guides/operating-releases/wiring.tf")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := e2eWorkdir(t, mirror, string(example))
	out, err := w.Run(t.Context(), "validate")
	if err != nil {
		t.Fatalf("the guide's example does not validate: %v\n%s", err, out)
	}
	expectSaid(t, "validate", out, "The configuration is valid")
}
