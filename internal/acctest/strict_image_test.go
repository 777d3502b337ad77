package acctest

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// An image function reads as on AWS: CodeSha256 is the image digest in lowercase hex on
// $LATEST, on every published version and in every listing; ResolvedImageUri is the
// image pinned by that digest; PublishVersion's CodeSha256 precondition compares it.
func TestStrictImageFunctions(t *testing.T) {
	p, lc := strictLambda(t, Strict{CodeSha256: true})
	ctx := context.Background()
	fn := ImageFunction(t, "")
	d1, d2 := ImageDigest("v1"), ImageDigest("v2")
	if fn.CodeSha256 != d1 {
		t.Errorf("CreateFunction answered CodeSha256 %s, want the image digest %s", fn.CodeSha256, d1)
	}
	v1, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name), CodeSha256: aws.String(d1)})
	if err != nil || aws.ToString(v1.CodeSha256) != d1 {
		t.Fatalf("PublishVersion with the digest: %v, CodeSha256 %s; want version with %s", err, aws.ToString(v1.CodeSha256), d1)
	}
	if got := UpdateImage(t, fn.Name, "v2"); got != d2 {
		t.Errorf("UpdateFunctionCode answered CodeSha256 %s, want %s", got, d2)
	}
	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name), CodeSha256: aws.String(d1)})
	var ipv *lambdatypes.InvalidParameterValueException
	want := "CodeSHA256 (" + d1 + ") is different from current CodeSHA256 in $LATEST (" + d2 + "). Please try again with the CodeSHA256 in $LATEST."
	if !errors.As(err, &ipv) || ipv.ErrorMessage() != want {
		t.Fatalf("PublishVersion with the old digest: %v; want InvalidParameterValueException %q", err, want)
	}
	if _, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name), CodeSha256: aws.String(d2)}); err != nil {
		t.Fatalf("PublishVersion with $LATEST's digest: %v", err)
	}

	list, err := lc.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn.Name)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range list.Versions {
		got[aws.ToString(v.Version)] = aws.ToString(v.CodeSha256)
	}
	if got["$LATEST"] != d2 || got["1"] != d1 || got["2"] != d2 {
		t.Errorf("ListVersionsByFunction CodeSha256s %v; want $LATEST and 2 = %s, 1 = %s", got, d2, d1)
	}
	one, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	if c := one.Code; aws.ToString(one.Configuration.CodeSha256) != d1 || aws.ToString(c.ResolvedImageUri) != ImageURI("v1") || aws.ToString(c.ImageUri) != ImageURI("v1") {
		t.Errorf("GetFunction of version 1: CodeSha256 %s, ImageUri %s, ResolvedImageUri %s; want %s and %s",
			aws.ToString(one.Configuration.CodeSha256), aws.ToString(c.ImageUri), aws.ToString(c.ResolvedImageUri), d1, ImageURI("v1"))
	}
	if p.StrictAnswers()[ShowedImageDigest] == 0 || p.StrictAnswers()[AnsweredCodeSha256Mismatch] != 1 {
		t.Errorf("strict answers %v; want image digests shown and one precondition refused", p.StrictAnswers())
	}
}
