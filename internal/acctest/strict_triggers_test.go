package acctest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// The reads of where traffic enters answer as Lambda does where moto does not: a mapping
// on an alias records the alias ARN and is listed under it only; a permission with a
// qualifier lives in the alias's own policy; a missing policy is Lambda's 404; function
// URLs on aliases are listed with their qualified ARNs. The fixtures write through the
// harness's proxy and the reads come through a test proxy in front of it, as in the
// acceptance tests.
func TestStrictTriggers(t *testing.T) {
	p, lc := strictLambda(t, Strict{})
	fn := FunctionPublished(t, "")
	CreateAlias(t, fn.Name, "live", "1", nil)
	ctx := t.Context()

	// No policy: 404 ResourceNotFoundException with Lambda's words.
	_, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn.Name)})
	var nf *lambdatypes.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() != "The resource you requested does not exist." {
		t.Fatalf("GetPolicy with no policy: %v, want ResourceNotFoundException \"The resource you requested does not exist.\"", err)
	}
	if p.StrictAnswers()[AnsweredNoPolicy] != 1 {
		t.Errorf("strict answers %v", p.StrictAnswers())
	}

	// A permission on the alias is in the alias's policy only.
	AddPermission(t, fn.Name, "live", "apigw", "apigateway.amazonaws.com", "arn:aws:execute-api:us-east-1:123456789012:abc/*/*/*")
	out, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal map[string]string
			Resource  string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil || len(doc.Statement) != 1 {
		t.Fatalf("alias policy %s: %v", aws.ToString(out.Policy), err)
	}
	s := doc.Statement[0]
	if s.Sid != "apigw" || s.Principal["Service"] != "apigateway.amazonaws.com" || s.Resource != fn.ARN+":live" ||
		s.Condition["ArnLike"]["AWS:SourceArn"] != "arn:aws:execute-api:us-east-1:123456789012:abc/*/*/*" {
		t.Errorf("statement %+v", s)
	}
	if _, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn.Name)}); !errors.As(err, &nf) {
		t.Errorf("the function's own policy has the alias's permission: %v", err)
	}
	if _, err := lc.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("nope")}); !errors.As(err, &nf) {
		t.Errorf("GetPolicy of a missing alias: %v", err)
	}

	// Mappings: the unqualified one and the alias's, each listed under its own ARN.
	queue := Queue(t, "")
	other := Queue(t, "")
	onFunction := EventSourceMapping(t, fn.Name, queue)
	onAlias := EventSourceMapping(t, fn.ARN+":live", other)
	for filter, want := range map[string]string{fn.Name: onFunction, fn.ARN: onFunction, fn.ARN + ":live": onAlias, fn.Name + ":live": onAlias} {
		got, err := lc.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(filter)})
		if err != nil || len(got.EventSourceMappings) != 1 || aws.ToString(got.EventSourceMappings[0].UUID) != want {
			t.Errorf("mappings of %s: %+v, %v; want only %s", filter, got, err, want)
			continue
		}
		wantARN := fn.ARN
		if want == onAlias {
			wantARN += ":live"
		}
		if a := aws.ToString(got.EventSourceMappings[0].FunctionArn); a != wantARN {
			t.Errorf("mapping %s has FunctionArn %s, want %s", want, a, wantARN)
		}
	}

	// Function URLs on the alias.
	if _, err := lc.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("live"), AuthType: lambdatypes.FunctionUrlAuthTypeAwsIam}); err != nil {
		t.Fatal(err)
	}
	urls, err := lc.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(fn.Name)})
	if err != nil || len(urls.FunctionUrlConfigs) != 1 || aws.ToString(urls.FunctionUrlConfigs[0].FunctionArn) != fn.ARN+":live" {
		t.Fatalf("function URLs %+v, %v", urls, err)
	}
	if _, err := lc.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String(fn.Name)}); !errors.As(err, &nf) {
		t.Errorf("GetFunctionUrlConfig of the unqualified function: %v, want ResourceNotFoundException", err)
	}
}
