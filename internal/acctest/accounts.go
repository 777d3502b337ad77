package acctest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// OtherAccount is where moto puts calls made with OtherAccountRole's assumed
// credentials: a resource that lands there proves which credentials were used.
const OtherAccount = "222222222222"

// OtherAccountRole is a role moto lets anyone assume (it enforces no trust policy).
const OtherAccountRole = "arn:aws:iam::" + OtherAccount + ":role/deployer"

// AssumedConfig is Config whose calls run as roleARN, through STS.
func AssumedConfig(t testing.TB, roleARN string) aws.Config {
	t.Helper()
	cfg := Config(t)
	cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleARN))
	return cfg
}

// FunctionIn creates a function with version 1 published, and its execution role,
// wherever cfg's credentials point (see AssumedConfig), and returns its name.
func FunctionIn(t testing.TB, cfg aws.Config) string {
	t.Helper()
	ctx := context.Background()
	name := RandName("tf-acc-acct")
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
	})
	if err != nil {
		t.Fatalf("create role %s: %v", name, err)
	}
	_, err = lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      lambdatypes.RuntimePython312,
		Role:         role.Role.Arn,
		Handler:      aws.String("index.handler"),
		Code:         &lambdatypes.FunctionCode{ZipFile: HandlerZip("v1")},
		Publish:      true,
	})
	if err != nil {
		t.Fatalf("create function %s: %v", name, err)
	}
	return name
}
