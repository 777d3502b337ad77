package acctest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// Config is the SDK configuration tests use: the default chain, which Main pointed at
// moto through the environment (or the caller's real AWS setup with
// SAFELAMBDA_REAL_AWS=1). Region falls back to us-east-1. Like PreCheck, it skips or
// fails when there is no harness, so no test reaches real AWS by accident.
func Config(t testing.TB) aws.Config {
	t.Helper()
	requireHarness(t)
	cfg, err := loadConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func loadConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS SDK config for tests: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = Region
	}
	return cfg, nil
}

// Lambda is a Lambda client for tests.
func Lambda(t testing.TB) *lambda.Client {
	t.Helper()
	return lambda.NewFromConfig(Config(t))
}

// CloudWatch is a CloudWatch client for tests, speaking the query protocol as the
// provider does (see awsapi.NewCloudWatch): recent SDK releases default to CBOR (rpcv2),
// which moto 5.2.1 does not answer, and real CloudWatch has answered query since 2010.
func CloudWatch(t testing.TB) *cloudwatch.Client {
	t.Helper()
	return cloudwatch.NewFromConfig(Config(t), cloudWatchQuery)
}

func cloudWatchQuery(o *cloudwatch.Options) {
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}

// IAM is an IAM client for tests.
func IAM(t testing.TB) *iam.Client {
	t.Helper()
	return iam.NewFromConfig(Config(t))
}

// STS is an STS client for tests.
func STS(t testing.TB) *sts.Client {
	t.Helper()
	return sts.NewFromConfig(Config(t))
}

// cleanupTimeout bounds each cleanup; cleanups run after the test's context is gone.
const cleanupTimeout = 2 * time.Minute

// binaryCleanups undo fixtures shared by the whole test binary (the role, the drain
// function). Main runs them after m.Run; they matter on real AWS, where leftovers cost.
var binaryCleanups struct {
	mu  sync.Mutex
	fns []func(context.Context)
}

func onBinaryExit(fn func(context.Context)) {
	binaryCleanups.mu.Lock()
	defer binaryCleanups.mu.Unlock()
	binaryCleanups.fns = append(binaryCleanups.fns, fn)
}

func runBinaryCleanups() {
	binaryCleanups.mu.Lock()
	fns := binaryCleanups.fns
	binaryCleanups.fns = nil
	binaryCleanups.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
	defer cancel()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i](ctx)
	}
}
