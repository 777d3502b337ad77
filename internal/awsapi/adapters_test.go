package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// engineAWS builds the adapters exactly as the provider does, from the environment the
// harness points at moto.
func engineAWS(t *testing.T) shift.AWS {
	t.Helper()
	acctest.PreCheck(t)
	c, err := NewClients(context.Background(), Settings{UserAgentName: "terraform-provider-safelambda", UserAgentVersion: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return c.Engine()
}

func TestAdapters_functionsAndVersions(t *testing.T) {
	a := engineAWS(t)
	ctx := context.Background()
	fn := acctest.Function(t, "")

	got, err := a.Functions.GetFunction(ctx, fn.ARN)
	if err != nil || got.Name != fn.Name || got.ARN != fn.ARN {
		t.Fatalf("GetFunction by ARN = %+v, %v; want name %s, arn %s", got, err, fn.Name, fn.ARN)
	}
	if _, err := a.Functions.GetFunction(ctx, "no-such-function"); !errors.Is(err, shift.ErrNotFound) {
		t.Fatalf("missing function: want ErrNotFound, got %v", err)
	}

	v1, err := a.Functions.PublishVersion(ctx, fn.Name, fn.CodeSha256, "release 1")
	if err != nil || v1.Version != "1" || v1.CodeSha256 != fn.CodeSha256 || v1.Description != "release 1" {
		t.Fatalf("PublishVersion = %+v, %v", v1, err)
	}
	sha2 := acctest.UpdateCode(t, fn.Name, "v2")
	v2, err := a.Functions.PublishVersion(ctx, fn.Name, sha2, "")
	if err != nil || v2.Version != "2" || v2.CodeSha256 != sha2 {
		t.Fatalf("PublishVersion v2 = %+v, %v", v2, err)
	}
	got1, err := a.Functions.GetVersion(ctx, fn.Name, "1")
	if err != nil || got1.CodeSha256 != fn.CodeSha256 || !strings.HasSuffix(got1.ARN, ":"+fn.Name+":1") {
		t.Fatalf("GetVersion 1 = %+v, %v", got1, err)
	}
	if _, err := a.Functions.GetVersion(ctx, fn.Name, "9"); !errors.Is(err, shift.ErrNotFound) {
		t.Fatalf("missing version: want ErrNotFound, got %v", err)
	}
	for i := 3; i <= 11; i++ { // past 10, so ordering is numeric, not lexical
		acctest.UpdateCode(t, fn.Name, fmt.Sprintf("v%d", i))
		if _, err := a.Functions.PublishVersion(ctx, fn.Name, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	versions, err := a.Functions.ListVersions(ctx, fn.Name)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, v := range versions {
		order = append(order, v.Version)
	}
	if strings.Join(order, ",") != "1,2,3,4,5,6,7,8,9,10,11" {
		t.Fatalf("ListVersions order = %v, want 1..11 without $LATEST", order)
	}
	if err := a.Functions.DeleteVersion(ctx, fn.Name, "3"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Functions.GetVersion(ctx, fn.Name, "3"); !errors.Is(err, shift.ErrNotFound) {
		t.Fatalf("deleted version: want ErrNotFound, got %v", err)
	}
}

func TestAdapters_aliases(t *testing.T) {
	a := engineAWS(t)
	ctx := context.Background()
	fn := acctest.FunctionPublished(t, "")
	acctest.UpdateCode(t, fn.Name, "v2")
	acctest.Publish(t, fn.Name)

	if _, err := a.Aliases.GetAlias(ctx, fn.Name, "live"); !errors.Is(err, shift.ErrNotFound) {
		t.Fatalf("missing alias: want ErrNotFound, got %v", err)
	}
	created, err := a.Aliases.CreateAlias(ctx, fn.Name, "live", "1", "managed by safelambda")
	if err != nil || created.FunctionVersion != "1" || created.ARN != fn.ARN+":live" || created.RevisionID == "" {
		t.Fatalf("CreateAlias = %+v, %v", created, err)
	}
	split, err := a.Aliases.UpdateAlias(ctx, shift.AliasUpdate{
		Function: fn.Name, Alias: "live", FunctionVersion: "1",
		Weights: map[string]float64{"2": 0.1}, RevisionID: created.RevisionID,
	})
	if err != nil || split.FunctionVersion != "1" || split.Weights["2"] != 0.1 {
		t.Fatalf("UpdateAlias with weights = %+v, %v", split, err)
	}
	if live := acctest.GetAlias(t, fn.Name, "live"); live.Weights["2"] != 0.1 {
		t.Fatalf("weights not live: %+v", live)
	}
	// nil weights must clear the routing (moto, like AWS, keeps it when RoutingConfig is omitted).
	promoted, err := a.Aliases.UpdateAlias(ctx, shift.AliasUpdate{Function: fn.Name, Alias: "live", FunctionVersion: "2"})
	if err != nil || promoted.FunctionVersion != "2" || len(promoted.Weights) != 0 {
		t.Fatalf("UpdateAlias promote = %+v, %v", promoted, err)
	}
	if live := acctest.GetAlias(t, fn.Name, "live"); live.Version != "2" || live.Weights != nil {
		t.Fatalf("promotion not live: %+v", live)
	}
	acctest.CreateAlias(t, fn.Name, "canary", "1", nil)
	all, err := a.Aliases.ListAliases(ctx, fn.Name)
	if err != nil || len(all) != 2 {
		t.Fatalf("ListAliases = %+v, %v", all, err)
	}
	if err := a.Aliases.DeleteAlias(ctx, fn.Name, "live"); err != nil {
		t.Fatal(err)
	}
	if live := acctest.GetAlias(t, fn.Name, "live"); live.Exists {
		t.Fatal("alias still exists after DeleteAlias")
	}
}

func TestAdapters_invokeReturnsQueuedHookResults(t *testing.T) {
	a := engineAWS(t)
	hook := acctest.Function(t, "")
	acctest.QueueHookResults(t, `{"status":"Failed","reason":"smoke test failed"}`)
	res, err := a.Invoker.Invoke(context.Background(), hook.Name, []byte(`{"LifecycleEvent":"PreTraffic"}`))
	if err != nil {
		t.Fatal(err)
	}
	if res.FunctionError != "" || !strings.Contains(string(res.Payload), "smoke test failed") {
		t.Fatalf("Invoke = %q %q", res.FunctionError, res.Payload)
	}
}

// DescribeAlarms reads metric alarms by name in one call; unknown names are absent.
func TestAdapters_describeAlarms(t *testing.T) {
	a := engineAWS(t)
	names := make([]string, 0, shift.MaxAlarmsPerCall)
	for i := 0; i < shift.MaxAlarmsPerCall-1; i++ {
		name := acctest.RandName(fmt.Sprintf("tf-acc-alarm-%02d", i))
		acctest.Alarm(t, name)
		names = append(names, name)
	}
	acctest.SetAlarmState(t, names[7], "ALARM")
	names = append(names, "no-such-alarm")
	states, err := a.Alarms.DescribeAlarms(context.Background(), names)
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != shift.MaxAlarmsPerCall-1 {
		t.Fatalf("got %d alarm states, want %d (the missing one absent)", len(states), shift.MaxAlarmsPerCall-1)
	}
	for _, s := range states {
		want := "OK"
		if s.Name == names[7] {
			want = "ALARM"
		}
		if s.State != want && (want != "OK" || s.State != "INSUFFICIENT_DATA") {
			t.Fatalf("alarm %s is %s, want %s", s.Name, s.State, want)
		}
	}
}

// GetMetricData reads the alias's per-version Lambda metrics in one call, summing
// datapoints; a version with no datapoints reads as zero.
func TestAdapters_getMetricData(t *testing.T) {
	a := engineAWS(t)
	fn := acctest.RandName("tf-acc-metrics")
	acctest.PutLambdaMetric(t, fn, "live", "2", "Invocations", 40)
	acctest.PutLambdaMetric(t, fn, "live", "2", "Invocations", 60)
	acctest.PutLambdaMetric(t, fn, "live", "2", "Errors", 3)
	acctest.PutLambdaMetric(t, fn, "live", "1", "Invocations", 900)
	now := time.Now()
	data, err := a.Metrics.GetMetricData(context.Background(), shift.MetricQuery{
		Function: fn, Alias: "live", Versions: []string{"2", "1", "3"},
		Start: now.Add(-2 * time.Minute), End: now.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := data.ByVersion["2"]; got.Invocations != 100 || got.Errors != 3 {
		t.Fatalf("version 2 metrics = %+v, want 100 invocations, 3 errors", got)
	}
	if got := data.ByVersion["1"]; got.Invocations != 900 || got.Errors != 0 {
		t.Fatalf("version 1 metrics = %+v, want 900 invocations, 0 errors", got)
	}
	if got, ok := data.ByVersion["3"]; !ok || got.Invocations != 0 {
		t.Fatalf("version 3 (no data) = %+v, %v; want present with zero counts", got, ok)
	}
}

// The CloudWatch client speaks the query protocol (form-encoded Action=..., answered in
// XML), which AWS has served since 2010 and moto answers; the SDK's default CBOR would
// not be answered by moto.
func TestCloudWatchClientSpeaksQuery(t *testing.T) {
	acctest.PreCheck(t)
	cfg := acctest.Config(t)
	var seen atomic.Value
	cfg.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
	})
	inner := cfg.HTTPClient
	cfg.HTTPClient = clientFunc(func(r *http.Request) (*http.Response, error) {
		seen.Store(r.Header.Get("Content-Type") + " " + r.Header.Get("X-Amz-Target"))
		return inner.Do(r)
	})
	cw := NewCloudWatch(cfg, "")
	name := acctest.RandName("tf-acc-proto")
	acctest.Alarm(t, name)
	out, err := cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{name}, AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
	})
	if err != nil || len(out.MetricAlarms) != 1 || aws.ToString(out.MetricAlarms[0].AlarmName) != name {
		t.Fatalf("DescribeAlarms over the query protocol = %+v, %v", out, err)
	}
	if s, _ := seen.Load().(string); s != "application/x-www-form-urlencoded " {
		t.Fatalf("request Content-Type and X-Amz-Target %q, want a form-encoded query request with no target", s)
	}
}

type clientFunc func(*http.Request) (*http.Response, error)

func (f clientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }
