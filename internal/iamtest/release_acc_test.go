package iamtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/provider"
)

var protoV6 = map[string]func() (tfprotov6.ProviderServer, error){
	"safelambda": providerserver.NewProtocol6WithError(provider.New("test")()),
}

// The world the policy in examples/iam/policy.json is written for.
const (
	function = "orders-api"
	preHook  = "orders-api-pre-traffic"
	postHook = "orders-api-post-traffic"
	alarm    = "orders-api-errors"
	res      = "safelambda_deployment.orders"
	hookOK   = `{"status":"Succeeded"}`
)

var (
	shaV1 = acctest.HandlerCodeSha256("v1")
	shaV2 = acctest.HandlerCodeSha256("v2")
	shaV3 = acctest.HandlerCodeSha256("v3")
)

// admin holds the outcome of bootstrapping the admin user, once per test binary, and
// the resigner every AWS call of the test goes through.
var admin struct {
	once  sync.Once
	err   error
	proxy *resigner
}

// asAdmin makes the process's default credentials (which the fixtures use) those of an
// IAM user allowed everything. moto's unauthenticated window is spent creating that
// user; afterwards the test checks that the window is really closed.
func asAdmin(t *testing.T) {
	t.Helper()
	acctest.PreCheck(t)
	if acctest.RealAWS() {
		t.Skip("this test checks the policy with moto's IAM enforcement; on real AWS use the policy itself")
	}
	admin.once.Do(func() { admin.err = bootstrapAdmin(t) })
	if admin.err != nil {
		t.Fatal(admin.err)
	}
}

func bootstrapAdmin(t *testing.T) error {
	ctx := context.Background()
	anonymous := iam.NewFromConfig(acctest.Config(t)) // acctest's fixed "testing" keys
	const name = "iamtest-admin"
	if _, err := anonymous.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		return fmt.Errorf("create the admin user in moto's unauthenticated window (INITIAL_NO_AUTH_ACTION_COUNT=%d): %w", bootstrapCalls, err)
	}
	if _, err := anonymous.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName:       aws.String(name),
		PolicyName:     aws.String("everything"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
	}); err != nil {
		return fmt.Errorf("allow the admin user everything: %w", err)
	}
	key, err := anonymous.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("create the admin user's access key: %w", err)
	}
	proxy, err := newResigner(acctest.Endpoint())
	if err != nil {
		return fmt.Errorf("start the resigning proxy: %w", err)
	}
	keyID, secret := aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	proxy.knows(keyID, secret, "") // the admin may do anything
	admin.proxy = proxy
	// Process-wide on purpose: acctest's binary-wide cleanups (its role, its drain
	// function) run after the tests and need a key and a route moto accepts.
	os.Setenv("AWS_ACCESS_KEY_ID", keyID)      //nolint:usetesting // must outlive this test, see above
	os.Setenv("AWS_SECRET_ACCESS_KEY", secret) //nolint:usetesting // must outlive this test, see above
	os.Setenv("AWS_ENDPOINT_URL", proxy.URL()) //nolint:usetesting // must outlive this test, see above

	// moto answers InvalidClientTokenId in a body the IAM client cannot parse; the
	// status is what counts.
	_, err = anonymous.ListUsers(ctx, &iam.ListUsersInput{})
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
		return fmt.Errorf("moto does not enforce IAM: a call with unknown keys after the first %d got %v, want HTTP 403", bootstrapCalls, err)
	}
	return nil
}

// world creates the functions and the alarm the policy names, with admin credentials.
func world(t *testing.T) {
	t.Helper()
	acctest.Function(t, function)
	acctest.Function(t, preHook)
	acctest.Function(t, postHook)
	acctest.Alarm(t, alarm)
}

// userWithPolicy creates an IAM user holding exactly policy (as a managed policy
// attached to it, the way the guide says to) and returns its access key.
func userWithPolicy(t *testing.T, policy string) (keyID, secret string) {
	t.Helper()
	c := acctest.IAM(t)
	ctx := t.Context()
	name := acctest.RandName("iamtest-deployer")
	if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatalf("create user %s: %v", name, err)
	}
	p, err := c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(policy)})
	if err != nil {
		t.Fatalf("create policy %s: %v", name, err)
	}
	if _, err := c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(name), PolicyArn: p.Policy.Arn}); err != nil {
		t.Fatalf("attach policy %s: %v", name, err)
	}
	key, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatalf("create access key for %s: %v", name, err)
	}
	keyID, secret = aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
	admin.proxy.knows(keyID, secret, policy)
	return keyID, secret
}

// config is a provider block with the limited user's keys and the release the guide's
// policy is for: a canary watched by an alarm, both hooks, and version pruning.
func config(endpoint, keyID, secret, codeSha256 string) string {
	return fmt.Sprintf(`
provider "safelambda" {
  access_key = %[1]q
  secret_key = %[2]q
  endpoints {
    lambda     = %[3]q
    cloudwatch = %[3]q
  }
}

resource "safelambda_deployment" "orders" {
  function_name       = %[4]q
  alias               = "live"
  code_sha256         = %[5]q
  traffic_shift       = { canary = { percentage = 10, interval = "1s" } }
  alarms              = [%[6]q]
  alarm_poll_interval = "1s"
  hooks = {
    pre_traffic  = %[7]q
    post_traffic = %[8]q
  }
  keep_versions = 1
}
`, keyID, secret, endpoint, function, codeSha256, alarm, preHook, postHook)
}

// apiGatewayOnTheAlias is the trigger the canary's wiring check finds: an API Gateway
// permission on alias live, added as the admin.
func apiGatewayOnTheAlias(t *testing.T) {
	t.Helper()
	acctest.AddPermission(t, function, "live", "AllowAPIGatewayInvoke", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/*/*/*")
}

func expect(attr, value string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(res, tfjsonpath.New(attr), knownvalue.StringExact(value))
}

func expectStatus(s string) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(res, tfjsonpath.New("last_deployment").AtMapKey("status"), knownvalue.StringExact(s))
}

// versions lists the published versions of the function, with admin credentials.
func versions(t *testing.T) []string {
	t.Helper()
	out, err := acctest.Lambda(t).ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(function)})
	if err != nil {
		t.Fatalf("list versions of %s: %v", function, err)
	}
	var vs []string
	for _, v := range out.Versions {
		if aws.ToString(v.Version) != "$LATEST" {
			vs = append(vs, aws.ToString(v.Version))
		}
	}
	return vs
}

// Three releases and a destroy as a user with exactly the guide's policy: the first
// creates the alias, the next two shift a canary while the alarm is polled and both hooks
// run, the third also prunes version 1 (keep_versions), and destroy deletes the alias.
func TestAccIAM_guidePolicyIsEnough(t *testing.T) {
	asAdmin(t)
	world(t)
	keyID, secret := userWithPolicy(t, loadPolicy(t).motoDialect())
	ep := admin.proxy.URL()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		CheckDestroy: func(*terraform.State) error {
			if a := acctest.GetAlias(t, function, "live"); a.Exists {
				return fmt.Errorf("alias live still exists after destroy (serves %s)", a.Version)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				PreConfig:         func() { acctest.QueueHookResults(t, hookOK, hookOK) },
				Config:            config(ep, keyID, secret, shaV1),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", "1"), expect("previous_version", ""), expectStatus("Succeeded")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, function, "v2")
					acctest.QueueHookResults(t, hookOK, hookOK)
					apiGatewayOnTheAlias(t)
				},
				Config:            config(ep, keyID, secret, shaV2),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", "2"), expect("previous_version", "1"), expectStatus("Succeeded")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, function, "v3")
					acctest.QueueHookResults(t, hookOK, hookOK)
				},
				Config:            config(ep, keyID, secret, shaV3),
				ConfigStateChecks: []statecheck.StateCheck{expect("version", "3"), expect("previous_version", "2"), expectStatus("Succeeded")},
				Check: func(*terraform.State) error {
					if a := acctest.GetAlias(t, function, "live"); a.Version != "3" || a.Weights != nil {
						return fmt.Errorf("alias serves %s with weights %v, want 3 alone", a.Version, a.Weights)
					}
					if vs := versions(t); !slices.Equal(vs, []string{"2", "3"}) {
						return fmt.Errorf("versions %v remain, want [2 3]: keep_versions = 1 should have deleted 1", vs)
					}
					return nil
				},
			},
		},
	})
}

// Enforcement is real, and every action in the policy is needed: the same release as a
// user whose policy lacks one action fails where that action is first needed and leaves
// the alias where it was, or (ListAliases, DeleteFunction, ListEventSourceMappings, ListProvisionedConcurrencyConfigs:
// keep_versions only warns and deletes nothing it cannot prove unused)
// succeeds without pruning, or (GetPolicy, ListFunctionUrlConfigs: the wiring check
// says it could not read them and lets the release go) succeeds and prunes, the refused
// call counted. Not here: DeleteAlias (destroy needs it; the test above
// destroys) and GetMetricData (only metric_gates read metrics).
func TestAccIAM_everyActionIsNeeded(t *testing.T) {
	asAdmin(t)
	for _, tc := range []struct {
		action string
		first  bool   // first release: the alias does not exist yet
		fails  string // the API call the release must fail on; "" means it succeeds without pruning
		// incomplete: the wiring check could not make this call; the release goes on and prunes.
		incomplete bool
	}{
		{action: "lambda:GetFunctionConfiguration", fails: "GetFunctionConfiguration"},
		{action: "lambda:ListVersionsByFunction", fails: "ListVersionsByFunction"},
		{action: "lambda:PublishVersion", fails: "PublishVersion"},
		{action: "lambda:GetAlias", fails: "GetAlias"},
		{action: "lambda:CreateAlias", first: true, fails: "CreateAlias"},
		{action: "lambda:UpdateAlias", fails: "UpdateAlias"},
		{action: "lambda:InvokeFunction", fails: "Invoke"},
		{action: "cloudwatch:DescribeAlarms", fails: "DescribeAlarms"},
		{action: "lambda:ListAliases"},
		{action: "lambda:DeleteFunction"},
		{action: "lambda:ListEventSourceMappings"},
		{action: "lambda:ListProvisionedConcurrencyConfigs"},
		{action: "lambda:GetPolicy", incomplete: true},
		{action: "lambda:ListFunctionUrlConfigs", incomplete: true},
	} {
		t.Run(tc.action, func(t *testing.T) {
			world(t)
			if tc.first {
				acctest.UpdateCode(t, function, "v3")
			} else {
				// Versions 1 and 2, the alias on 2 and v3 in $LATEST: releasing it with
				// keep_versions = 1 would prune version 1.
				acctest.Publish(t, function)
				acctest.UpdateCode(t, function, "v2")
				acctest.Publish(t, function)
				acctest.CreateAlias(t, function, "live", "2", nil)
				apiGatewayOnTheAlias(t)
				acctest.UpdateCode(t, function, "v3")
			}
			keyID, secret := userWithPolicy(t, loadPolicy(t).without(tc.action).motoDialect())
			step := resource.TestStep{
				PreConfig: func() { acctest.QueueHookResults(t, hookOK, hookOK) },
				Config:    config(admin.proxy.URL(), keyID, secret, shaV3),
			}
			switch {
			case tc.fails != "":
				step.ExpectError = regexp.MustCompile(`(?s)` + tc.fails + `.*StatusCode: 403`)
			case tc.incomplete:
				step.ConfigStateChecks = []statecheck.StateCheck{expect("version", "3"), expectStatus("Succeeded")}
				step.Check = func(*terraform.State) error {
					action := tc.action[len("lambda:"):]
					if n := admin.proxy.deniedCalls(action); n == 0 {
						return fmt.Errorf("the release never called %s: the wiring check does not need it", action)
					}
					if vs := versions(t); slices.Contains(vs, "1") {
						return fmt.Errorf("versions %v remain: a wiring read refused should not stop pruning", vs)
					}
					return nil
				}
			default:
				step.ConfigStateChecks = []statecheck.StateCheck{expect("version", "3"), expectStatus("Succeeded")}
				step.Check = func(*terraform.State) error {
					if a := acctest.GetAlias(t, function, "live"); a.Version != "3" || a.Weights != nil {
						return fmt.Errorf("alias serves %s with weights %v, want 3 alone", a.Version, a.Weights)
					}
					if vs := versions(t); !slices.Contains(vs, "1") {
						return fmt.Errorf("versions %v remain: version 1 was pruned without %s", vs, tc.action)
					}
					return nil
				}
			}
			resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6, Steps: []resource.TestStep{step}})
			if tc.fails == "" {
				return
			}
			switch a := acctest.GetAlias(t, function, "live"); {
			case tc.first && a.Exists:
				t.Errorf("alias live exists (serves %s) after a refused first release", a.Version)
			case !tc.first && (a.Version != "2" || a.Weights != nil):
				t.Errorf("alias serves %s with weights %v after the refused release, want 2 alone", a.Version, a.Weights)
			}
		})
	}
}
