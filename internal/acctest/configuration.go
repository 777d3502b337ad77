package acctest

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// SetEnvironment changes the environment variables of a function's $LATEST (a
// configuration-only change, made as someone outside Terraform would) and waits for the
// update to finish.
func SetEnvironment(t testing.TB, name string, vars map[string]string) {
	t.Helper()
	c := Lambda(t)
	if _, err := c.UpdateFunctionConfiguration(t.Context(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Environment:  &lambdatypes.Environment{Variables: vars},
	}); err != nil {
		t.Fatalf("set the environment of Lambda function %s: %v", name, err)
	}
	err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout)
	if err != nil {
		t.Fatalf("wait for the environment update of Lambda function %s: %v", name, err)
	}
}

// VersionEnvironment reads the environment variables a published version (or $LATEST)
// froze.
func VersionEnvironment(t testing.TB, name, version string) map[string]string {
	t.Helper()
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}
	if version != "$LATEST" {
		in.Qualifier = aws.String(version)
	}
	out, err := Lambda(t).GetFunctionConfiguration(t.Context(), in)
	if err != nil {
		t.Fatalf("read version %s of Lambda function %s: %v", version, name, err)
	}
	if out.Environment == nil {
		return nil
	}
	return out.Environment.Variables
}
