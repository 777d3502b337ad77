package acctest

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

const (
	waitTimeout = 5 * time.Minute
	// roleSettleTimeout bounds how long a new function waits for a fresh IAM role to
	// become assumable; real IAM takes seconds to propagate, moto none.
	roleSettleTimeout = 90 * time.Second
)

// RandName returns prefix, a dash and 10 random lowercase letters and digits, e.g.
// "tf-acc-k3j9x0q2mz": unique enough for parallel tests and reruns against one server.
func RandName(prefix string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 10)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return prefix + "-" + string(b)
}

const lambdaTrustPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"
  }]
}`

var roleCache struct {
	mu  sync.Mutex
	arn string
}

// Role returns the ARN of an IAM role that Lambda can assume. It is created once per test
// binary and deleted when Main ends.
func Role(t testing.TB) string {
	t.Helper()
	roleCache.mu.Lock()
	defer roleCache.mu.Unlock()
	if roleCache.arn != "" {
		return roleCache.arn
	}
	name := RandName("tf-acc-role")
	out, err := IAM(t).CreateRole(t.Context(), &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(lambdaTrustPolicy),
		Description:              aws.String("terraform-provider-safelambda acceptance tests; safe to delete"),
	})
	if err != nil {
		t.Fatalf("create IAM role %s for test functions: %v", name, err)
	}
	onBinaryExit(func(ctx context.Context) {
		cfg, err := loadConfig(ctx)
		if err == nil {
			_, err = iam.NewFromConfig(cfg).DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
		}
		if err != nil {
			fmt.Printf("acctest: delete IAM role %s: %v (delete it by hand)\n", name, err)
		}
	})
	roleCache.arn = aws.ToString(out.Role.Arn)
	return roleCache.arn
}

// LambdaFunction is a function a fixture created.
type LambdaFunction struct {
	Name       string
	ARN        string // unqualified
	CodeSha256 string
	Version    string // "$LATEST", or the version published on create
}

// Function creates a python3.12 function whose handler returns
// {"statusCode":200,"body":"v1"}, and deletes it when the test ends. An empty name picks
// a random one.
func Function(t testing.TB, name string) LambdaFunction {
	t.Helper()
	return createFunction(t, name, false)
}

// FunctionPublished is Function with Publish=true: version "1" exists from the start.
func FunctionPublished(t testing.TB, name string) LambdaFunction {
	t.Helper()
	return createFunction(t, name, true)
}

func createFunction(t testing.TB, name string, publish bool) LambdaFunction {
	t.Helper()
	if name == "" {
		name = RandName("tf-acc")
	}
	c := Lambda(t)
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      lambdatypes.RuntimePython312,
		Role:         aws.String(Role(t)),
		Handler:      aws.String("index.handler"),
		Code:         &lambdatypes.FunctionCode{ZipFile: HandlerZip("v1")},
		Publish:      publish,
		Description:  aws.String("terraform-provider-safelambda acceptance test fixture"),
	}
	var out *lambda.CreateFunctionOutput
	var err error
	for settle := time.Now().Add(roleSettleTimeout); ; {
		out, err = c.CreateFunction(t.Context(), in)
		if err == nil || !roleNotAssumableYet(err) || time.Now().After(settle) {
			break
		}
		time.Sleep(3 * time.Second)
	}
	if err != nil {
		t.Fatalf("create Lambda function %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
		var nf *lambdatypes.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			t.Errorf("delete Lambda function %s: %v", name, err)
		}
	})
	fn := LambdaFunction{
		Name:       name,
		ARN:        unqualified(aws.ToString(out.FunctionArn)),
		CodeSha256: aws.ToString(out.CodeSha256),
		Version:    aws.ToString(out.Version),
	}
	waitActive(t, c, name, fn.Version)
	return fn
}

// roleNotAssumableYet matches the error real Lambda gives while a new role propagates.
func roleNotAssumableYet(err error) bool {
	var ipv *lambdatypes.InvalidParameterValueException
	return errors.As(err, &ipv) && strings.Contains(ipv.ErrorMessage(), "cannot be assumed")
}

// unqualified strips a version or alias qualifier from a function ARN
// (arn:aws:lambda:region:account:function:name[:qualifier]).
func unqualified(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return s
	}
	parts := strings.SplitN(a.Resource, ":", 3)
	a.Resource = strings.Join(parts[:min(2, len(parts))], ":")
	return a.String()
}

func waitActive(t testing.TB, c *lambda.Client, name, qualifier string) {
	t.Helper()
	in := &lambda.GetFunctionInput{FunctionName: aws.String(name)}
	if qualifier != "" && qualifier != "$LATEST" {
		in.Qualifier = aws.String(qualifier)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(t.Context(), in, waitTimeout); err != nil {
		t.Fatalf("wait for Lambda function %s (version %s) to become Active: %v", name, qualifier, err)
	}
}

// HandlerZip is the deployment package the fixtures upload: index.py whose handler
// returns {"statusCode":200,"body":body}. Same body, same bytes, same CodeSha256.
func HandlerZip(body string) []byte {
	lit, _ := json.Marshal(body) // a JSON string is a valid Python string literal
	src := "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": " + string(lit) + "}\n"
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{
		Name:     "index.py",
		Method:   zip.Deflate,
		Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), // fixed, for a stable hash
	})
	if err == nil {
		_, err = w.Write([]byte(src))
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		panic("acctest: build handler zip in memory: " + err.Error()) // cannot happen with a bytes.Buffer
	}
	return buf.Bytes()
}

// HandlerCodeSha256 is the CodeSha256 Lambda reports for HandlerZip(body).
func HandlerCodeSha256(body string) string {
	sum := sha256.Sum256(HandlerZip(body))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// UpdateCode uploads a package whose handler returns body to $LATEST, waits until the
// update is Successful and returns the new CodeSha256.
func UpdateCode(t testing.TB, name, body string) string {
	t.Helper()
	c := Lambda(t)
	out, err := c.UpdateFunctionCode(t.Context(), &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(name),
		ZipFile:      HandlerZip(body),
	})
	if err != nil {
		t.Fatalf("update code of Lambda function %s: %v", name, err)
	}
	err = lambda.NewFunctionUpdatedV2Waiter(c).Wait(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout)
	if err != nil {
		t.Fatalf("wait for code update of Lambda function %s: %v", name, err)
	}
	return aws.ToString(out.CodeSha256)
}

// Publish publishes $LATEST as a new version, waits until it is Active and returns its
// number. Note moto publishes a new version even when the code did not change; real
// Lambda returns the latest version instead.
func Publish(t testing.TB, name string) string {
	t.Helper()
	c := Lambda(t)
	out, err := c.PublishVersion(t.Context(), &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatalf("publish a version of Lambda function %s: %v", name, err)
	}
	v := aws.ToString(out.Version)
	waitActive(t, c, name, v)
	return v
}

// AliasState is what an alias looks like right now. Weights is nil when the alias routes
// everything to Version.
type AliasState struct {
	Exists     bool
	Version    string
	Weights    map[string]float64
	RevisionID string
}

// GetAlias reads an alias; a missing alias (or function) gives Exists=false.
func GetAlias(t testing.TB, fn, alias string) AliasState {
	t.Helper()
	out, err := Lambda(t).GetAlias(t.Context(), &lambda.GetAliasInput{
		FunctionName: aws.String(fn),
		Name:         aws.String(alias),
	})
	var nf *lambdatypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return AliasState{}
	}
	if err != nil {
		t.Fatalf("read alias %s of Lambda function %s: %v", alias, fn, err)
	}
	st := AliasState{Exists: true, Version: aws.ToString(out.FunctionVersion), RevisionID: aws.ToString(out.RevisionId)}
	if out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0 {
		st.Weights = out.RoutingConfig.AdditionalVersionWeights
	}
	return st
}

// CreateAlias creates an alias on version with optional extra weights (nil for none).
// It goes away with its function.
func CreateAlias(t testing.TB, fn, alias, version string, weights map[string]float64) {
	t.Helper()
	_, err := Lambda(t).CreateAlias(t.Context(), &lambda.CreateAliasInput{
		FunctionName:    aws.String(fn),
		Name:            aws.String(alias),
		FunctionVersion: aws.String(version),
		RoutingConfig:   routing(weights),
	})
	if err != nil {
		t.Fatalf("create alias %s -> %s of Lambda function %s: %v", alias, version, fn, err)
	}
}

// SetAlias overwrites an alias without any precondition, the way a concurrent writer or
// someone in the console would: tests use it to make drift. nil weights clear the routing.
func SetAlias(t testing.TB, fn, alias, version string, weights map[string]float64) {
	t.Helper()
	_, err := Lambda(t).UpdateAlias(t.Context(), &lambda.UpdateAliasInput{
		FunctionName:    aws.String(fn),
		Name:            aws.String(alias),
		FunctionVersion: aws.String(version),
		RoutingConfig:   routing(weights),
	})
	if err != nil {
		t.Fatalf("update alias %s -> %s of Lambda function %s: %v", alias, version, fn, err)
	}
}

// routing always sends a RoutingConfig: UpdateAlias without one keeps the old weights,
// an empty one clears them.
func routing(weights map[string]float64) *lambdatypes.AliasRoutingConfiguration {
	if weights == nil {
		weights = map[string]float64{}
	}
	return &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: weights}
}

// Alarm creates an alarm on the AWS/Lambda Errors metric (Sum over one 60 s period,
// >= 1) and deletes it when the test ends. moto never evaluates it: drive it with
// SetAlarmState.
func Alarm(t testing.TB, name string) {
	t.Helper()
	c := CloudWatch(t)
	_, err := c.PutMetricAlarm(t.Context(), &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		Namespace:          aws.String("AWS/Lambda"),
		MetricName:         aws.String("Errors"),
		Statistic:          cwtypes.StatisticSum,
		Period:             aws.Int32(60),
		EvaluationPeriods:  aws.Int32(1),
		Threshold:          aws.Float64(1),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		AlarmDescription:   aws.String("terraform-provider-safelambda acceptance test fixture"),
	})
	if err != nil {
		t.Fatalf("create CloudWatch alarm %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if _, err := c.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{name}}); err != nil {
			t.Errorf("delete CloudWatch alarm %s: %v", name, err)
		}
	})
}

// SetAlarmState forces an alarm into state: "OK", "ALARM" or "INSUFFICIENT_DATA".
func SetAlarmState(t testing.TB, name, state string) {
	t.Helper()
	_, err := CloudWatch(t).SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{
		AlarmName:   aws.String(name),
		StateValue:  cwtypes.StateValue(state),
		StateReason: aws.String("set by acctest"),
	})
	if err != nil {
		t.Fatalf("set CloudWatch alarm %s to %s: %v", name, state, err)
	}
}

// PutLambdaMetric writes one datapoint, now, into AWS/Lambda with the dimensions Lambda
// uses for an alias's executed version: FunctionName, Resource=fn:alias, ExecutedVersion.
// Real CloudWatch refuses writes to AWS/ namespaces, so this skips with
// SAFELAMBDA_REAL_AWS=1.
func PutLambdaMetric(t testing.TB, fn, alias, version, metric string, value float64) {
	t.Helper()
	if RealAWS() {
		t.Skip("PutLambdaMetric needs moto: real CloudWatch refuses data in AWS/ namespaces")
	}
	_, err := CloudWatch(t).PutMetricData(t.Context(), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("AWS/Lambda"),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(metric),
			Value:      aws.Float64(value),
			Timestamp:  aws.Time(time.Now()),
			Dimensions: []cwtypes.Dimension{
				{Name: aws.String("FunctionName"), Value: aws.String(fn)},
				{Name: aws.String("Resource"), Value: aws.String(fn + ":" + alias)},
				{Name: aws.String("ExecutedVersion"), Value: aws.String(version)},
			},
		}},
	})
	if err != nil {
		t.Fatalf("put metric AWS/Lambda %s for %s:%s version %s: %v", metric, fn, alias, version, err)
	}
}

// SetRole gives $LATEST another execution role ARN (moto does not check that it exists),
// so the next published version differs in role from the earlier ones.
func SetRole(t testing.TB, name, roleARN string) {
	t.Helper()
	c := Lambda(t)
	if _, err := c.UpdateFunctionConfiguration(t.Context(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String(name),
		Role:         aws.String(roleARN),
	}); err != nil {
		t.Fatalf("set the role of Lambda function %s: %v", name, err)
	}
	err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout)
	if err != nil {
		t.Fatalf("wait for the role update of Lambda function %s: %v", name, err)
	}
}

// ImageDigest is the digest of the test image whose handler returns body, lowercase hex
// with no "sha256:" prefix: the form Lambda reports as an image function's CodeSha256.
// Nothing pulls the image (moto stubs ECR), so the digest only has to be stable.
func ImageDigest(body string) string {
	sum := sha256.Sum256([]byte("safelambda acceptance test image: " + body))
	return hex.EncodeToString(sum[:])
}

// ImageURI is the ECR image URI of ImageDigest(body), pinned by digest, as
// aws_ecr_image's image_uri gives it.
func ImageURI(body string) string {
	return "123456789012.dkr.ecr." + Region + ".amazonaws.com/safelambda-acc@sha256:" + ImageDigest(body)
}

// ImageFunction creates a container-image function (PackageType Image) running
// ImageURI("v1"), and deletes it when the test ends. Read through the harness (every
// proxy), its CodeSha256 is ImageDigest("v1") as on AWS; see strict_image.go.
func ImageFunction(t testing.TB, name string) LambdaFunction {
	t.Helper()
	if name == "" {
		name = RandName("tf-acc-img")
	}
	c := Lambda(t)
	out, err := c.CreateFunction(t.Context(), &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		PackageType:  lambdatypes.PackageTypeImage,
		Role:         aws.String(Role(t)),
		Code:         &lambdatypes.FunctionCode{ImageUri: aws.String(ImageURI("v1"))},
		Description:  aws.String("terraform-provider-safelambda acceptance test fixture (container image)"),
	})
	if err != nil {
		t.Fatalf("create container-image Lambda function %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)})
		var nf *lambdatypes.ResourceNotFoundException
		if err != nil && !errors.As(err, &nf) {
			t.Errorf("delete Lambda function %s: %v", name, err)
		}
	})
	waitActive(t, c, name, "$LATEST")
	return LambdaFunction{Name: name, ARN: unqualified(aws.ToString(out.FunctionArn)), CodeSha256: aws.ToString(out.CodeSha256), Version: aws.ToString(out.Version)}
}

// UpdateImage points an image function's $LATEST at ImageURI(body), waits until the
// update is Successful and returns the CodeSha256 Lambda reports: ImageDigest(body).
func UpdateImage(t testing.TB, name, body string) string {
	t.Helper()
	c := Lambda(t)
	out, err := c.UpdateFunctionCode(t.Context(), &lambda.UpdateFunctionCodeInput{
		FunctionName: aws.String(name),
		ImageUri:     aws.String(ImageURI(body)),
	})
	if err != nil {
		t.Fatalf("update the image of Lambda function %s: %v", name, err)
	}
	err = lambda.NewFunctionUpdatedV2Waiter(c).Wait(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name)}, waitTimeout)
	if err != nil {
		t.Fatalf("wait for the image update of Lambda function %s: %v", name, err)
	}
	return aws.ToString(out.CodeSha256)
}
