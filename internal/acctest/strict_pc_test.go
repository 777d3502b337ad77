package acctest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// pcFunction is a function with versions 1..n published (distinct code) and an alias
// live on version 1, made straight in moto.
func pcFunction(t *testing.T, versions int) LambdaFunction {
	t.Helper()
	fn := FunctionPublished(t, "")
	for i := 2; i <= versions; i++ {
		UpdateCode(t, fn.Name, "v"+string(rune('0'+i)))
		Publish(t, fn.Name)
	}
	CreateAlias(t, fn.Name, "live", "1", nil)
	return fn
}

func getCapacity(t *testing.T, lc *lambda.Client, fn, qualifier string) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	out, err := lc.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(qualifier)})
	if err != nil {
		t.Fatalf("GetProvisionedConcurrencyConfig %s:%s: %v", fn, qualifier, err)
	}
	return out
}

// waitCapacity polls GetProvisionedConcurrencyConfig until the status is want.
func waitCapacity(t *testing.T, lc *lambda.Client, fn, qualifier string, want lambdatypes.ProvisionedConcurrencyStatusEnum) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	var out *lambda.GetProvisionedConcurrencyConfigOutput
	waitFor(t, 10*time.Second, "provisioned concurrency "+string(want), func() bool {
		out = getCapacity(t, lc, fn, qualifier)
		return out.Status == want
	})
	return out
}

func allocation(o *lambda.GetProvisionedConcurrencyConfigOutput) [3]int32 {
	return [3]int32{aws.ToInt32(o.RequestedProvisionedConcurrentExecutions), aws.ToInt32(o.AllocatedProvisionedConcurrentExecutions), aws.ToInt32(o.AvailableProvisionedConcurrentExecutions)}
}

// A Put is IN_PROGRESS with nothing allocated, then READY with all of it; moving the
// alias to another version starts over with nothing on the new version; weights split
// the capacity between the two versions, the version that keeps capacity counting as
// allocated meanwhile; a write that went round the proxy is noticed too.
func TestStrictCapacityAllocation(t *testing.T) {
	// Allocations end when the test says (CompleteProvisioning), not on the wall clock.
	p, lc := strictLambda(t, Strict{ProvisionedReadyAfter: time.Hour})
	ctx := context.Background()
	f := pcFunction(t, 2)
	fn := f.Name

	put, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(5)})
	if err != nil || put.Status != lambdatypes.ProvisionedConcurrencyStatusEnumInProgress || aws.ToInt32(put.AllocatedProvisionedConcurrentExecutions) != 0 || aws.ToInt32(put.RequestedProvisionedConcurrentExecutions) != 5 {
		t.Fatalf("PutProvisionedConcurrencyConfig = %+v, %v; want IN_PROGRESS, 5 requested, 0 allocated", put, err)
	}
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumInProgress {
		t.Fatalf("right after the Put: %s, want IN_PROGRESS", got.Status)
	}
	p.CompleteProvisioning()
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumReady || allocation(got) != [3]int32{5, 5, 5} {
		t.Fatalf("allocated: %s %v (requested, allocated, available), want READY [5 5 5]", got.Status, allocation(got))
	}

	// The alias moves to version 2: nothing is on 2 yet.
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumInProgress || allocation(got) != [3]int32{5, 0, 0} {
		t.Fatalf("after the alias moved to 2: %s %v, want IN_PROGRESS [5 0 0]", got.Status, allocation(got))
	}
	p.CompleteProvisioning()

	// 40% back on version 1: 2 of 5 go to 1, 2 keeps 3 meanwhile.
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.4}}}); err != nil {
		t.Fatal(err)
	}
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumInProgress || allocation(got) != [3]int32{5, 3, 3} {
		t.Fatalf("after weights 2:60%% 1:40%%: %s %v, want IN_PROGRESS [5 3 3]", got.Status, allocation(got))
	}
	p.CompleteProvisioning()
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumReady || allocation(got) != [3]int32{5, 5, 5} {
		t.Fatalf("split allocated: %s %v, want READY [5 5 5]", got.Status, allocation(got))
	}
	if p.StrictAnswers()[ShowedCapacitySplit] == 0 {
		t.Error("the split was never shown")
	}

	// Another writer, straight to moto, clears the weights: the model sees it on the next read.
	SetAlias(t, fn, "live", "2", nil)
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumInProgress || allocation(got) != [3]int32{5, 3, 3} {
		t.Fatalf("after weights cleared around the proxy: %s %v, want IN_PROGRESS [5 3 3]", got.Status, allocation(got))
	}

	list, err := lc.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(fn)})
	if err != nil || len(list.ProvisionedConcurrencyConfigs) != 1 || aws.ToString(list.ProvisionedConcurrencyConfigs[0].FunctionArn) != f.ARN+":live" {
		t.Fatalf("ListProvisionedConcurrencyConfigs = %+v, %v; want the alias's configuration", list, err)
	}
	if p.StrictAnswers()[ShowedCapacityInProgress] == 0 {
		t.Error("IN_PROGRESS was never counted")
	}

	// A configuration on a version is the version's alone; Delete removes it, twice is fine.
	_, err = lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("2"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	checkAPIError(t, err, 409, "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias")
	for range 2 {
		if _, err := lc.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")}); err != nil {
			t.Fatalf("DeleteProvisionedConcurrencyConfig: %v", err)
		}
	}
	_, err = lc.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live")})
	var nf *lambdatypes.ProvisionedConcurrencyConfigNotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("Get after Delete: %v, want ProvisionedConcurrencyConfigNotFoundException", err)
	}
}

// A configuration whose capacity lands on a version that cannot initialise ends FAILED
// with Lambda's reason, and allocates only what is on healthy versions.
func TestStrictCapacityFailedInit(t *testing.T) {
	p, lc := strictLambda(t, Strict{ProvisionedReadyAfter: 500 * time.Millisecond})
	ctx := context.Background()
	fn := pcFunction(t, 3).Name
	p.FailProvisionedInit(fn, "2", "")
	p.FailProvisionedInit(fn, "3", "FUNCTION_ERROR_INIT_FAILURE: handler not found")

	if _, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("2"), ProvisionedConcurrentExecutions: aws.Int32(3)}); err != nil {
		t.Fatal(err)
	}
	got := waitCapacity(t, lc, fn, "2", lambdatypes.ProvisionedConcurrencyStatusEnumFailed)
	if aws.ToString(got.StatusReason) != DefaultInitFailureReason || allocation(got) != [3]int32{3, 0, 0} {
		t.Fatalf("version 2: reason %q allocation %v, want %q [3 0 0]", aws.ToString(got.StatusReason), allocation(got), DefaultInitFailureReason)
	}

	// The alias's capacity, READY on 1, moves half onto 3, which fails: what is on 1 stays.
	if _, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(4)}); err != nil {
		t.Fatal(err)
	}
	waitCapacity(t, lc, fn, "live", lambdatypes.ProvisionedConcurrencyStatusEnumReady)
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"3": 0.5}}}); err != nil {
		t.Fatal(err)
	}
	got = waitCapacity(t, lc, fn, "live", lambdatypes.ProvisionedConcurrencyStatusEnumFailed)
	if aws.ToString(got.StatusReason) != "FUNCTION_ERROR_INIT_FAILURE: handler not found" || allocation(got) != [3]int32{4, 2, 2} {
		t.Fatalf("alias split onto 3: reason %q allocation %v, want [4 2 2]", aws.ToString(got.StatusReason), allocation(got))
	}
	if p.StrictAnswers()[ShowedCapacityFailed] == 0 {
		t.Error("FAILED was never counted")
	}
}

// Each refusal is Lambda's: HTTP status, X-Amzn-ErrorType (the SDK's error code) and message.
func TestStrictCapacityRefusals(t *testing.T) {
	p, lc := strictLambda(t, Strict{})
	ctx := context.Background()
	f := pcFunction(t, 3)
	fn, fnARN := f.Name, f.ARN
	// version 2 carries its own capacity; alias canary splits 1 and 3.
	if _, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("2"), ProvisionedConcurrentExecutions: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	CreateAlias(t, fn, "canary", "1", map[string]float64{"3": 0.1})
	CreateAlias(t, fn, "onlatest", "$LATEST", nil)
	CreateAlias(t, fn, "on2", "2", nil)

	put := func(q string, n int32) error {
		_, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(q), ProvisionedConcurrentExecutions: aws.Int32(n)})
		return err
	}
	get := func(q string) error {
		_, err := lc.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String(q)})
		return err
	}
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
		code   string
		msg    string
	}{
		{"put on $LATEST", func() error { return put("$LATEST", 1) }, 400, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions."},
		{"put on an alias on $LATEST", func() error { return put("onlatest", 1) }, 400, "InvalidParameterValueException", "Provisioned Concurrency Configs cannot be applied to unpublished function versions."},
		{"put on a weighted alias", func() error { return put("canary", 1) }, 400, "InvalidParameterValueException", "Alias with weights can not be used with Provisioned Concurrency"},
		{"put on an alias onto a provisioned version", func() error { return put("on2", 1) }, 409, "ResourceConflictException", "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version"},
		{"put on a missing alias", func() error { return put("nope", 1) }, 404, "ResourceNotFoundException", "Cannot find alias arn: " + fnARN + ":nope"},
		{"put on a missing version", func() error { return put("99", 1) }, 404, "ResourceNotFoundException", "Function not found: " + fnARN + ":99"},
		{"get on $LATEST", func() error { return get("$LATEST") }, 400, "InvalidParameterValueException", "The function resource provided must be an alias or a published version."},
		{"get without a configuration", func() error { return get("live") }, 404, "ProvisionedConcurrencyConfigNotFoundException", "No Provisioned Concurrency Config found for this function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkAPIError(t, tc.call(), tc.status, tc.code, tc.msg)
		})
	}

	// The version an alias's capacity lands on cannot take its own.
	if err := put("live", 2); err != nil {
		t.Fatal(err)
	}
	checkAPIError(t, put("1", 1), 409, "ResourceConflictException", "Version is pointed by a Provisioned Concurrency alias")

	// Account concurrency: 1000, 100 kept unreserved; 1 + 2 are already requested.
	p.SetAccountConcurrency(1000, 100)
	checkAPIError(t, put("3", 898), 400, "InvalidParameterValueException", "Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].")
	if err := put("3", 897); err != nil {
		t.Fatalf("897 more fits the account: %v", err)
	}
	if p.StrictAnswers()[AnsweredCapacityRefused] < 7 {
		t.Errorf("refusals counted %d, want at least 7", p.StrictAnswers()[AnsweredCapacityRefused])
	}
}

func checkAPIError(t *testing.T, err error, status int, code, msg string) {
	t.Helper()
	var api smithy.APIError
	var resp *smithyhttp.ResponseError
	if !errors.As(err, &api) || !errors.As(err, &resp) {
		t.Fatalf("error %v, want HTTP %d %s", err, status, code)
	}
	if resp.HTTPStatusCode() != status || api.ErrorCode() != code || api.ErrorMessage() != msg {
		t.Fatalf("got HTTP %d %s %q, want HTTP %d %s %q", resp.HTTPStatusCode(), api.ErrorCode(), api.ErrorMessage(), status, code, msg)
	}
}

// A version told to spill has ProvisionedConcurrencySpilloverInvocations datapoints on
// the alias's ExecutedVersion, written before a metric read reaches moto.
func TestStrictSpillover(t *testing.T) {
	p, _ := strictLambda(t, Strict{})
	cw := cloudwatch.NewFromConfig(sdkConfig(p.URL()), cloudWatchQuery)
	fn := Function(t, "").Name
	p.SpillProvisioned(fn, "live", "2", 7)
	start := time.Now().Add(-5 * time.Minute)
	out, err := cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(start), EndTime: aws.Time(time.Now().Add(2 * time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{
			Id: aws.String("spill"),
			MetricStat: &cwtypes.MetricStat{Period: aws.Int32(60), Stat: aws.String("Sum"), Metric: &cwtypes.Metric{
				Namespace: aws.String("AWS/Lambda"), MetricName: aws.String("ProvisionedConcurrencySpilloverInvocations"),
				Dimensions: []cwtypes.Dimension{
					{Name: aws.String("FunctionName"), Value: aws.String(fn)},
					{Name: aws.String("Resource"), Value: aws.String(fn + ":live")},
					{Name: aws.String("ExecutedVersion"), Value: aws.String("2")},
				},
			}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, r := range out.MetricDataResults {
		for _, v := range r.Values {
			sum += v
		}
	}
	// One datapoint a minute since the switch: one, or two across a minute's turn.
	published := p.StrictAnswers()[PublishedSpillover]
	if published == 0 || sum != 7*float64(published) {
		t.Fatalf("spillover read %v from %d published datapoints, want 7 each", sum, published)
	}
	// A minute is published once: publishing again adds at most the minute that began since.
	if err := p.PublishSpillover(context.Background()); err != nil || p.StrictAnswers()[PublishedSpillover] > published+1 {
		t.Fatalf("PublishSpillover again: %v, published %d after %d", err, p.StrictAnswers()[PublishedSpillover], published)
	}
}

// Lambda's own weights on an alias with provisioned concurrency last while the new
// version's capacity is allocated, and stay (all traffic on the version left) once it
// FAILED, refusing provisioned-concurrency changes, until a write clears the routing.
func TestStrictCapacityHoldsWeights(t *testing.T) {
	p, lc := strictLambda(t, Strict{TransientWeightsFor: 100 * time.Millisecond, ProvisionedReadyAfter: time.Hour})
	ctx := context.Background()
	fn := pcFunction(t, 2).Name
	p.AddProvisionedConcurrency(fn, "live", 2)
	p.FailProvisionedInit(fn, "2", "")
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("2")}); err != nil {
		t.Fatal(err)
	}
	weights := func() map[string]float64 {
		a, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		if a.RoutingConfig == nil {
			return nil
		}
		return a.RoutingConfig.AdditionalVersionWeights
	}
	time.Sleep(300 * time.Millisecond) // past TransientWeightsFor; the allocation ends when the test says
	if w := weights(); w["1"] != 0.5 {
		t.Fatalf("during the allocation: weights %v, want Lambda's 1@0.5", w)
	}
	p.CompleteProvisioning()
	if got := getCapacity(t, lc, fn, "live"); got.Status != lambdatypes.ProvisionedConcurrencyStatusEnumFailed || aws.ToString(got.StatusReason) != DefaultInitFailureReason {
		t.Fatalf("after the allocation: %s %q, want FAILED %q", got.Status, aws.ToString(got.StatusReason), DefaultInitFailureReason)
	}
	if w := weights(); w["1"] != 1 {
		t.Fatalf("after the allocation failed: weights %v, want all traffic on 1", w)
	}
	_, err := lc.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("live"), ProvisionedConcurrentExecutions: aws.Int32(2)})
	checkAPIError(t, err, 400, "InvalidParameterValueException", "Alias with weights can not be used with Provisioned Concurrency")

	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		t.Fatal(err)
	}
	if w := weights(); len(w) != 0 {
		t.Fatalf("after update-alias --routing-config '{}': weights %v, want none", w)
	}
}
