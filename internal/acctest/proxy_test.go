package acctest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// sdkConfig is an SDK config aimed at endpoint with no retries, so each call is one
// request the proxy sees.
func sdkConfig(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// upstreamOK is a fake AWS that answers every request with an empty success in its
// protocol (query XML or JSON) and counts what reaches it.
func upstreamOK(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if err := r.ParseForm(); err == nil && r.PostForm.Get("Action") != "" {
			action := r.PostForm.Get("Action")
			w.Header().Set("Content-Type", "text/xml")
			fmt.Fprintf(w, "<%sResponse><%sResult></%sResult></%sResponse>", action, action, action, action)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func newTestProxy(t *testing.T, upstream string) *Proxy {
	t.Helper()
	p, err := NewProxy(upstream)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// Operations are named from the wire: Lambda REST routes, CloudWatch query actions,
// STS query actions; only mutating ones count as writes.
func TestProxyCountsOperations(t *testing.T) {
	requireMoto(t)
	p := newTestProxy(t, Endpoint())
	cfg := sdkConfig(p.URL())
	ctx := context.Background()
	lc := lambda.NewFromConfig(cfg)
	fn := Function(t, "") // directly on moto: not counted

	if _, err := lc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(fn.Name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn.Name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String(fn.Name), Name: aws.String("live"), FunctionVersion: aws.String("1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := cloudwatch.NewFromConfig(cfg, cloudWatchQuery).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/x"), RoleSessionName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}

	want := map[string]int{
		"Lambda.GetFunction": 1, "Lambda.PublishVersion": 1, "Lambda.CreateAlias": 1,
		"Lambda.GetAlias": 2, "Lambda.UpdateAlias": 1, "CloudWatch.DescribeAlarms": 1,
		"STS.GetCallerIdentity": 1, "STS.AssumeRole": 1,
	}
	got := p.Calls()
	if len(got) != len(want) {
		t.Errorf("Calls() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Calls()[%q] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if w := p.WriteCalls(); w != 3 {
		t.Errorf("WriteCalls() = %d, want 3 (PublishVersion, CreateAlias, UpdateAlias)", w)
	}
	p.Reset()
	if len(p.Calls()) != 0 || p.WriteCalls() != 0 {
		t.Errorf("after Reset: %v, %d writes", p.Calls(), p.WriteCalls())
	}
}

// Each fault kind reaches the SDK as the error AWS would give, and is counted.
func TestProxyFaultKinds(t *testing.T) {
	up, reached := upstreamOK(t)
	ctx := context.Background()
	for _, tc := range []struct {
		kind  FaultKind
		check func(t *testing.T, lambdaErr, cwErr error, took time.Duration)
	}{
		{Throttle429, func(t *testing.T, le, ce error, _ time.Duration) {
			var tm *lambdatypes.TooManyRequestsException
			if !errors.As(le, &tm) {
				t.Errorf("Lambda error = %v, want TooManyRequestsException", le)
			}
			var api smithy.APIError
			if !errors.As(ce, &api) || api.ErrorCode() != "Throttling" {
				t.Errorf("CloudWatch error = %v, want Throttling", ce)
			}
		}},
		{Server500, func(t *testing.T, le, ce error, _ time.Duration) {
			var se *lambdatypes.ServiceException
			if !errors.As(le, &se) {
				t.Errorf("Lambda error = %v, want ServiceException", le)
			}
			if ce == nil || !strings.Contains(ce.Error(), "500") {
				t.Errorf("CloudWatch error = %v, want an HTTP 500", ce)
			}
		}},
		{ConnReset, func(t *testing.T, le, ce error, _ time.Duration) {
			for _, err := range []error{le, ce} {
				if err == nil || (!strings.Contains(err.Error(), "connection reset") && !strings.Contains(err.Error(), "EOF")) {
					t.Errorf("error = %v, want a connection reset", err)
				}
			}
		}},
		{Latency, func(t *testing.T, le, ce error, took time.Duration) {
			if le != nil || ce != nil {
				t.Errorf("latency must not fail calls: %v, %v", le, ce)
			}
			if took < 2*200*time.Millisecond {
				t.Errorf("two calls took %s, want at least 400ms of injected latency", took)
			}
		}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			p := newTestProxy(t, up.URL)
			p.SetFaults(Faults{Rate: 1, Kinds: []FaultKind{tc.kind}, Latency: 200 * time.Millisecond})
			cfg := sdkConfig(p.URL())
			before := reached.Load()
			start := time.Now()
			_, le := lambda.NewFromConfig(cfg).GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("a")})
			_, ce := cloudwatch.NewFromConfig(cfg, cloudWatchQuery).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			tc.check(t, le, ce, time.Since(start))
			if got := p.InjectedFaults()[tc.kind]; got != 2 {
				t.Errorf("InjectedFaults()[%s] = %d, want 2", tc.kind, got)
			}
			wantReached := int64(0)
			if tc.kind == Latency {
				wantReached = 2
			}
			if n := reached.Load() - before; n != wantReached {
				t.Errorf("%d requests reached upstream, want %d", n, wantReached)
			}
		})
	}
}

// Rate 0.3 over Lambda only: about 30% of Lambda calls fail, CloudWatch never does, and
// the same seed gives the same draw.
func TestProxyFaultRateAndServices(t *testing.T) {
	up, _ := upstreamOK(t)
	run := func() (int, int) {
		p := newTestProxy(t, up.URL)
		p.SetFaults(Faults{Rate: 0.3, Kinds: []FaultKind{Server500}, Services: []string{"Lambda"}, Seed: 42})
		cfg := sdkConfig(p.URL())
		lc, cw := lambda.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg, cloudWatchQuery)
		lambdaFails, cwFails := 0, 0
		for range 200 {
			if _, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("a")}); err != nil {
				lambdaFails++
			}
			if _, err := cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{}); err != nil {
				cwFails++
			}
		}
		if got := p.InjectedFaults()[Server500]; got != lambdaFails {
			t.Errorf("InjectedFaults = %d, Lambda saw %d failures", got, lambdaFails)
		}
		return lambdaFails, cwFails
	}
	l1, c1 := run()
	l2, _ := run()
	if l1 < 35 || l1 > 85 || c1 != 0 {
		t.Errorf("Lambda failed %d/200 (want ~60), CloudWatch %d (want 0)", l1, c1)
	}
	if l1 != l2 {
		t.Errorf("same seed, different draws: %d and %d failures", l1, l2)
	}
}

// 15 rps with a burst of 5: over 1s of hammering, about 20 calls pass and the rest are
// throttled the way Lambda throttles.
func TestProxyRateLimit(t *testing.T) {
	up, reached := upstreamOK(t)
	p := newTestProxy(t, up.URL)
	p.SetRateLimit("Lambda", 15, 5)
	lc := lambda.NewFromConfig(sdkConfig(p.URL()))
	cw := cloudwatch.NewFromConfig(sdkConfig(p.URL()), cloudWatchQuery)
	passed, throttled := 0, 0
	for start := time.Now(); time.Since(start) < time.Second; {
		_, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("a")})
		var tm *lambdatypes.TooManyRequestsException
		switch {
		case err == nil:
			passed++
		case errors.As(err, &tm):
			throttled++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if passed < 15 || passed > 23 || throttled == 0 {
		t.Errorf("in 1s at 15 rps burst 5: %d passed, %d throttled", passed, throttled)
	}
	if int(reached.Load()) != passed {
		t.Errorf("upstream saw %d, %d passed", reached.Load(), passed)
	}
	if p.InjectedFaults()[RateLimited] != throttled {
		t.Errorf("InjectedFaults = %v, throttled %d", p.InjectedFaults(), throttled)
	}
	if _, err := cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{}); err != nil {
		t.Errorf("CloudWatch is not rate limited: %v", err)
	}
	p.SetRateLimit("Lambda", 0, 0)
	if _, err := lc.GetAlias(context.Background(), &lambda.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("a")}); err != nil {
		t.Errorf("after removing the limit: %v", err)
	}
}

// An outage drops the service's connections; OnRequest can start one at a chosen call,
// which then fails itself.
func TestProxyOutageAndOnRequest(t *testing.T) {
	up, _ := upstreamOK(t)
	p := newTestProxy(t, up.URL)
	var seen []string
	p.OnRequest(func(op string) {
		seen = append(seen, op)
		if op == "Lambda.UpdateAlias" {
			p.SetOutage("Lambda", true)
		}
	})
	cfg := sdkConfig(p.URL())
	lc, cw := lambda.NewFromConfig(cfg), cloudwatch.NewFromConfig(cfg, cloudWatchQuery)
	ctx := context.Background()
	get := func() error {
		_, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("f"), Name: aws.String("a")})
		return err
	}
	if err := get(); err != nil {
		t.Fatal(err)
	}
	_, err := lc.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: aws.String("f"), Name: aws.String("a")})
	if err == nil {
		t.Error("the call that started the outage succeeded")
	}
	if err := get(); err == nil {
		t.Error("a call during the outage succeeded")
	}
	if _, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{}); err != nil {
		t.Errorf("CloudWatch is not down: %v", err)
	}
	p.SetOutage("Lambda", false)
	if err := get(); err != nil {
		t.Errorf("after the outage: %v", err)
	}
	want := "Lambda.GetAlias Lambda.UpdateAlias Lambda.GetAlias CloudWatch.DescribeAlarms Lambda.GetAlias"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("OnRequest saw %q, want %q", got, want)
	}
	if p.InjectedFaults()[Outage] != 2 {
		t.Errorf("InjectedFaults = %v, want 2 outage drops", p.InjectedFaults())
	}
}
