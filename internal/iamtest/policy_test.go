package iamtest

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/awsapi"
)

// policyPath is the policy the IAM guide shows (docs/guides/iam-permissions.md renders
// it with codefile): one file, so the guide and this test cannot drift apart.
const policyPath = "../../examples/iam/policy.json"

type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

type statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

func loadPolicy(t *testing.T) policyDoc {
	t.Helper()
	data, err := os.ReadFile(policyPath)
	if err != nil {
		t.Fatalf("read the IAM guide's policy: %v", err)
	}
	var doc policyDoc
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v (Action and Resource are always lists there)", policyPath, err)
	}
	return doc
}

func (d policyDoc) actions() []string {
	var out []string
	for _, s := range d.Statement {
		for _, a := range s.Action {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// without returns a copy of d with action removed from every statement.
func (d policyDoc) without(action string) policyDoc {
	out := policyDoc{Version: d.Version}
	for _, s := range d.Statement {
		s.Action = slices.DeleteFunc(slices.Clone(s.Action), func(a string) bool { return a == action })
		if len(s.Action) > 0 {
			out.Statement = append(out.Statement, s)
		}
	}
	return out
}

// motoDialect is d as moto 5.2.1 can evaluate it; the statements and their actions stay
// the same. moto names an action after the request's SigV4 signing name and API
// operation, not after IAM's action names, and it authorizes Lambda and CloudWatch calls
// against the resource "*" (it resolves no resource ARN for them), so:
//   - cloudwatch:X becomes monitoring:X (CloudWatch signs as "monitoring"),
//   - lambda:InvokeFunction becomes lambda:Invoke (the operation's name),
//   - every Resource becomes "*": moto cannot check the guide's resource scoping.
func (d policyDoc) motoDialect() string {
	out := policyDoc{Version: d.Version}
	for _, s := range d.Statement {
		s.Action = slices.Clone(s.Action)
		for i, a := range s.Action {
			switch {
			case strings.HasPrefix(a, "cloudwatch:"):
				s.Action[i] = "monitoring:" + strings.TrimPrefix(a, "cloudwatch:")
			case a == "lambda:InvokeFunction":
				s.Action[i] = "lambda:Invoke"
			}
		}
		s.Resource = []string{"*"}
		out.Statement = append(out.Statement, s)
	}
	data, _ := json.Marshal(out) // plain strings: cannot fail
	return string(data)
}

// sdkActions is every IAM action behind the SDK calls the provider can make: the methods
// of the client interfaces internal/awsapi is written against. A new SDK call there
// fails this test until the policy (and so the guide) has its action.
func sdkActions() []string {
	iamName := map[string]string{"lambda:Invoke": "lambda:InvokeFunction"}
	var out []string
	for prefix, api := range map[string]reflect.Type{
		"lambda":     reflect.TypeFor[awsapi.LambdaAPI](),
		"cloudwatch": reflect.TypeFor[awsapi.CloudWatchAPI](),
		"events":     reflect.TypeFor[awsapi.EventBridgeAPI](),
	} {
		for i := range api.NumMethod() {
			a := prefix + ":" + api.Method(i).Name
			if n, ok := iamName[a]; ok {
				a = n
			}
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func TestPolicyHasAnActionForEverySDKCallAndNoOther(t *testing.T) {
	got, want := loadPolicy(t).actions(), sdkActions()
	if !slices.Equal(got, want) {
		t.Errorf("%s allows\n  %s\nbut the provider's SDK calls need exactly\n  %s\nUpdate the policy and the IAM guide's table.",
			policyPath, strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// The policy must never let the provider delete a whole function: DeleteFunction (for
// keep_versions) is only granted on qualified ARNs, i.e. on versions.
func TestPolicyDeletesVersionsOnly(t *testing.T) {
	for _, s := range loadPolicy(t).Statement {
		if !slices.Contains(s.Action, "lambda:DeleteFunction") {
			continue
		}
		if s.Effect != "Allow" {
			continue
		}
		for _, r := range s.Resource {
			if !strings.HasPrefix(r, "arn:aws:lambda:") || !strings.HasSuffix(r, ":*") || strings.Count(r, ":") != 7 {
				t.Errorf("statement %s grants lambda:DeleteFunction on %q: only qualified function ARNs (…:function:NAME:*) may be granted", s.Sid, r)
			}
		}
	}
}

// Every Lambda statement covers both the function and its versions and aliases
// (…:function:NAME and …:function:NAME:*), except the versions-only DeleteFunction one and
// "*" (actions Lambda does not scope to resources, such as ListEventSourceMappings).
func TestPolicyLambdaResourcesCoverFunctionsAndQualifiers(t *testing.T) {
	for _, s := range loadPolicy(t).Statement {
		if !strings.HasPrefix(s.Action[0], "lambda:") || slices.Contains(s.Action, "lambda:DeleteFunction") {
			continue
		}
		for _, r := range s.Resource {
			if strings.HasSuffix(r, ":*") || r == "*" {
				continue
			}
			if !slices.Contains(s.Resource, r+":*") {
				t.Errorf("statement %s grants %s but not %s:*: versions and aliases of that function would be refused", s.Sid, r, r)
			}
		}
	}
}
