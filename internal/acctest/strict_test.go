package acctest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// strictLambda is a strict proxy in front of the harness and a no-retry Lambda client
// through it.
func strictLambda(t *testing.T, s Strict) (*Proxy, *lambda.Client) {
	t.Helper()
	requireMoto(t)
	p := StartProxy(t)
	p.SetStrict(s)
	return p, lambda.NewFromConfig(sdkConfig(p.URL()))
}

// waitFor polls check every 50ms until it holds or within has passed: the strict
// behaviours run on the wall clock, as AWS's do.
func waitFor(t *testing.T, within time.Duration, what string, check func() bool) {
	t.Helper()
	for deadline := time.Now().Add(within); !check(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A RevisionId names one content of the alias: a write with an older one is refused with
// 412 PreconditionFailedException, including after a write that went around the proxy.
func TestStrictRevisionIDs(t *testing.T) {
	_, lc := strictLambda(t, Strict{RevisionIDs: true})
	ctx := context.Background()
	fn := FunctionPublished(t, "")
	UpdateCode(t, fn.Name, "v2")
	Publish(t, fn.Name)
	created, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("1")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live")})
	if err != nil || aws.ToString(got.RevisionId) != aws.ToString(created.RevisionId) {
		t.Fatalf("GetAlias RevisionId %v (%v), want CreateAlias's %s", aws.ToString(got.RevisionId), err, aws.ToString(created.RevisionId))
	}
	split, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{
		FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("1"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.1}},
		RevisionId:    created.RevisionId,
	})
	if err != nil || aws.ToString(split.RevisionId) == aws.ToString(created.RevisionId) {
		t.Fatalf("UpdateAlias with the current RevisionId: %v, revision %s (was %s); want accepted with a new one", err, aws.ToString(split.RevisionId), aws.ToString(created.RevisionId))
	}
	_, err = lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("2"), RevisionId: created.RevisionId})
	var pf *lambdatypes.PreconditionFailedException
	if !errors.As(err, &pf) || !strings.Contains(pf.ErrorMessage(), "The Revision Id provided does not match the latest Revision Id") {
		t.Fatalf("UpdateAlias with a stale RevisionId: %v; want 412 PreconditionFailedException", err)
	}
	// Another writer, straight to moto: the revision this client holds is stale now.
	SetAlias(t, fn.Name, "live", "2", nil)
	_, err = lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("1"), RevisionId: split.RevisionId})
	if !errors.As(err, &pf) {
		t.Fatalf("UpdateAlias after another writer: %v; want 412 PreconditionFailedException", err)
	}
	if live := GetAlias(t, fn.Name, "live"); live.Version != "2" {
		t.Fatalf("the refused write changed the alias: %+v", live)
	}
}

// PublishVersion with a CodeSha256 that is not $LATEST's is refused with 400
// InvalidParameterValueException in Lambda's words; CreateAlias on an existing alias is
// 409 ResourceConflictException.
func TestStrictPublishPreconditionAndAliasConflict(t *testing.T) {
	_, lc := strictLambda(t, Strict{CodeSha256: true, AliasConflict: true})
	ctx := context.Background()
	fn := Function(t, "")
	_, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name), CodeSha256: aws.String("c29tZXRoaW5nIGVsc2U=")})
	var ipv *lambdatypes.InvalidParameterValueException
	want := "CodeSHA256 (c29tZXRoaW5nIGVsc2U=) is different from current CodeSHA256 in $LATEST (" + fn.CodeSha256 + "). Please try again with the CodeSHA256 in $LATEST."
	if !errors.As(err, &ipv) || ipv.ErrorMessage() != want {
		t.Fatalf("PublishVersion with another hash: %v; want InvalidParameterValueException %q", err, want)
	}
	if _, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name), CodeSha256: aws.String(fn.CodeSha256)}); err != nil {
		t.Fatalf("PublishVersion with $LATEST's hash: %v", err)
	}
	in := &lambda.CreateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("1")}
	if _, err := lc.CreateAlias(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err = lc.CreateAlias(ctx, in)
	var rc *lambdatypes.ResourceConflictException
	if !errors.As(err, &rc) || rc.ErrorMessage() != "Alias already exists: "+fn.ARN+":live" {
		t.Fatalf("CreateAlias twice: %v; want ResourceConflictException \"Alias already exists: %s:live\"", err, fn.ARN)
	}
}

// After a code update the function is InProgress for a while and PublishVersion is
// refused with 409; the SDK's waiters see it finish, and the new version go from Pending
// to Active.
func TestStrictUpdateInProgressAndPendingVersion(t *testing.T) {
	_, lc := strictLambda(t, Strict{UpdateFor: time.Second, PendingFor: time.Second})
	ctx := context.Background()
	fn := Function(t, "")
	if _, err := lc.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn.Name), ZipFile: HandlerZip("v2")}); err != nil {
		t.Fatal(err)
	}
	cfg, err := lc.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name)})
	if err != nil || cfg.LastUpdateStatus != lambdatypes.LastUpdateStatusInProgress {
		t.Fatalf("after UpdateFunctionCode: LastUpdateStatus %s (%v), want InProgress", cfg.LastUpdateStatus, err)
	}
	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name)})
	var rc *lambdatypes.ResourceConflictException
	if !errors.As(err, &rc) || rc.ErrorMessage() != "The operation cannot be performed at this time. An update is in progress for resource: "+fn.ARN {
		t.Fatalf("PublishVersion during the update: %v; want 409 ResourceConflictException", err)
	}
	waiter := lambda.NewFunctionUpdatedWaiter(lc, func(o *lambda.FunctionUpdatedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 200*time.Millisecond
	})
	if err := waiter.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name)}, 10*time.Second); err != nil {
		t.Fatalf("FunctionUpdated waiter: %v", err)
	}
	v, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name)})
	if err != nil || v.State != lambdatypes.StatePending {
		t.Fatalf("PublishVersion after the update: state %s (%v), want Pending", v.State, err)
	}
	active := lambda.NewPublishedVersionActiveWaiter(lc, func(o *lambda.PublishedVersionActiveWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 200*time.Millisecond
	})
	if err := active.Wait(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name), Qualifier: v.Version}, 10*time.Second); err != nil {
		t.Fatalf("PublishedVersionActive waiter: %v", err)
	}
}

// Weighted routing between versions with different roles or dead-letter queues, or with
// $LATEST, is refused as Lambda refuses it; equal versions route.
func TestStrictRoutingConstraints(t *testing.T) {
	p, lc := strictLambda(t, Strict{RoutingConstraints: true})
	ctx := context.Background()
	fn := FunctionPublished(t, "") // 1
	UpdateCode(t, fn.Name, "v2")
	Publish(t, fn.Name) // 2, same role
	SetRole(t, fn.Name, "arn:aws:iam::123456789012:role/other")
	UpdateCode(t, fn.Name, "v3")
	Publish(t, fn.Name) // 3, another role
	CreateAlias(t, fn.Name, "live", "1", nil)
	weights := func(primary, canary string) error {
		_, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{
			FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String(primary),
			RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{canary: 0.1}},
		})
		return err
	}
	if err := weights("1", "2"); err != nil {
		t.Fatalf("weights between versions alike: %v", err)
	}
	for _, tc := range []struct{ primary, canary, msg string }{
		{"1", "3", "Specified versions must be associated with the same execution role."},
		{"$LATEST", "1", "$LATEST is not supported for an alias pointing to more than 1 version"},
	} {
		err := weights(tc.primary, tc.canary)
		var ipv *lambdatypes.InvalidParameterValueException
		if !errors.As(err, &ipv) || ipv.ErrorMessage() != tc.msg {
			t.Errorf("weights %s + %s: %v; want InvalidParameterValueException %q", tc.primary, tc.canary, err, tc.msg)
		}
	}
	p.SetDeadLetterTarget(fn.Name, "2", "arn:aws:sqs:us-east-1:123456789012:dlq")
	var ipv *lambdatypes.InvalidParameterValueException
	if err := weights("1", "2"); !errors.As(err, &ipv) || !strings.Contains(ipv.ErrorMessage(), "same dead-letter queue configuration") {
		t.Errorf("weights between different dead-letter queues: %v", err)
	}
	if live := GetAlias(t, fn.Name, "live"); live.Version != "1" || live.Weights["2"] != 0.1 || len(live.Weights) != 1 {
		t.Errorf("a refused write changed the alias: %+v", live)
	}
}

// An alias with provisioned concurrency shows weights on the version it left for a
// while after it moved, then none; the configuration is listed.
func TestStrictTransientWeights(t *testing.T) {
	p, lc := strictLambda(t, Strict{TransientWeightsFor: time.Second})
	ctx := context.Background()
	fn := FunctionPublished(t, "")
	UpdateCode(t, fn.Name, "v2")
	Publish(t, fn.Name)
	CreateAlias(t, fn.Name, "live", "1", nil)
	p.AddProvisionedConcurrency(fn.Name, "live", 5)
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("2"),
		RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}}}); err != nil {
		t.Fatal(err)
	}
	got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live")})
	if err != nil || aws.ToString(got.FunctionVersion) != "2" || got.RoutingConfig == nil || got.RoutingConfig.AdditionalVersionWeights["1"] != 0.5 {
		t.Fatalf("alias right after the move: %+v (%v); want version 2 with Lambda's weight on 1", got, err)
	}
	waitFor(t, 10*time.Second, "the transient weights clearing", func() bool {
		a, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live")})
		return err == nil && (a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0)
	})
	pc, err := lc.ListProvisionedConcurrencyConfigs(ctx, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(fn.Name)})
	if err != nil || len(pc.ProvisionedConcurrencyConfigs) != 1 || aws.ToString(pc.ProvisionedConcurrencyConfigs[0].FunctionArn) != fn.ARN+":live" {
		t.Fatalf("ListProvisionedConcurrencyConfigs = %+v, %v", pc, err)
	}
}

// Without anything recorded, the harness answers ListProvisionedConcurrencyConfigs with
// none, as AWS does for a function without provisioned concurrency (moto cannot).
func TestHarnessListsNoProvisionedConcurrency(t *testing.T) {
	requireMoto(t)
	fn := Function(t, "")
	out, err := Lambda(t).ListProvisionedConcurrencyConfigs(t.Context(), &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(fn.Name)})
	if err != nil || len(out.ProvisionedConcurrencyConfigs) != 0 {
		t.Fatalf("ListProvisionedConcurrencyConfigs = %+v, %v; want none", out, err)
	}
}

// Event source mappings are listed per qualified function ARN, as Lambda filters them.
func TestStrictEventSourceMappings(t *testing.T) {
	p, lc := strictLambda(t, Strict{})
	fn := FunctionPublished(t, "")
	id := p.AddEventSourceMapping(fn.ARN+":1", "arn:aws:sqs:us-east-1:123456789012:orders")
	for q, want := range map[string]int{"1": 1, "2": 0} {
		out, err := lc.ListEventSourceMappings(context.Background(), &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(fn.ARN + ":" + q)})
		if err != nil || len(out.EventSourceMappings) != want || (want == 1 && aws.ToString(out.EventSourceMappings[0].UUID) != id) {
			t.Errorf("mappings of version %s = %+v, %v; want %d", q, out, err, want)
		}
	}
}

// A version can be made to read Inactive or Failed, with Lambda's reason code.
func TestStrictVersionStates(t *testing.T) {
	p, lc := strictLambda(t, Strict{})
	fn := FunctionPublished(t, "")
	p.SetVersionState(fn.Name, "1", "Inactive", "Idle")
	cfg, err := lc.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("1")})
	if err != nil || cfg.State != lambdatypes.StateInactive || cfg.StateReasonCode != lambdatypes.StateReasonCodeIdle {
		t.Fatalf("version 1: state %s (%s), %v; want Inactive (Idle)", cfg.State, cfg.StateReasonCode, err)
	}
	vs, err := lc.ListVersionsByFunction(context.Background(), &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn.Name)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs.Versions {
		if aws.ToString(v.Version) == "1" && v.State != lambdatypes.StateInactive {
			t.Errorf("ListVersionsByFunction shows version 1 %s", v.State)
		}
	}
	p.SetVersionState(fn.Name, "1", "", "")
	cfg, err = lc.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("1")})
	if err != nil || cfg.State == lambdatypes.StateInactive {
		t.Fatalf("after clearing: state %s, %v", cfg.State, err)
	}
}

// A lost answer is forwarded (the function ran, its queued result is used up) and the
// connection reset; scripted throttles answer 429 without forwarding.
func TestFailNext(t *testing.T) {
	p, lc := strictLambda(t, Strict{})
	ctx := context.Background()
	hook := Function(t, "")
	QueueHookResults(t, `{"status":"Succeeded","n":1}`, `{"status":"Succeeded","n":2}`)
	p.FailNext("Lambda.Invoke", 1, LostAnswer)
	if _, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(hook.Name)}); err == nil {
		t.Fatal("Invoke with a lost answer succeeded")
	}
	out, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(hook.Name)})
	if err != nil || !strings.Contains(string(out.Payload), `"n":2`) {
		t.Fatalf("second Invoke = %s, %v; want the second queued result (the first ran)", out.Payload, err)
	}
	p.FailNext("Lambda.GetFunction", 2, Throttle429)
	var tm *lambdatypes.TooManyRequestsException
	for i := range 2 {
		if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(hook.Name)}); !errors.As(err, &tm) {
			t.Fatalf("GetFunction %d: %v; want TooManyRequestsException", i+1, err)
		}
	}
	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(hook.Name)}); err != nil {
		t.Fatalf("GetFunction after the scripted throttles: %v", err)
	}
	if f := p.InjectedFaults(); f[LostAnswer] != 1 || f[Throttle429] != 2 {
		t.Errorf("InjectedFaults = %v", f)
	}
}
