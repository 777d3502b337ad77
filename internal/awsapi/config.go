// Package awsapi builds the AWS SDK clients the provider uses and adapts them to the
// release engine's interfaces (internal/shift). It holds no release logic.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwschemas "github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/middleware"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// DefaultMaxRetries matches the hashicorp/aws provider's default.
const DefaultMaxRetries = 25

// Settings is the provider configuration in plain values (SPEC section 2). Zero values
// mean "not set": the SDK's own chain (environment, shared files, IMDS) decides.
type Settings struct {
	Region                 string
	Profile                string
	SharedConfigFiles      []string
	SharedCredentialsFiles []string
	AccessKey              string
	SecretKey              string
	Token                  string
	MaxRetries             *int
	AssumeRole             *AssumeRole
	Endpoints              Endpoints
	// UserAgent is appended to every request, e.g. "terraform-provider-safelambda/1.2.3".
	UserAgentName    string
	UserAgentVersion string
}

// AssumeRole is the provider's assume_role block.
type AssumeRole struct {
	RoleARN     string
	SessionName string
	ExternalID  string
	Duration    time.Duration
}

// Endpoints overrides service endpoints (emulators, VPC endpoints). Empty means the SDK
// resolves it, which honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>.
type Endpoints struct {
	Lambda     string
	CloudWatch string
	STS        string
	Events     string // EventBridge
}

// Clients are the SDK clients built from Settings, shared by every resource.
type Clients struct {
	Lambda      *lambda.Client
	CloudWatch  *cloudwatch.Client
	EventBridge *eventbridge.Client
	Region      string
	// InvokeRetryer is the retryer hook invocations use: throttling only.
	InvokeRetryer aws.Retryer
	// Endpoints actually configured (for error messages); "" means AWS's default.
	LambdaEndpoint     string
	CloudWatchEndpoint string
	EventsEndpoint     string

	// forPlan are the same clients with reads bounded for Terraform's plan and refresh.
	forPlan *Clients
}

// Bounds on a read made while Terraform plans or refreshes: an endpoint that cannot be
// reached fails the plan in about half a minute with the message that says so, instead of
// the minutes a release's patient retries would take. Throttling keeps the full budget.
const (
	planConnectAttempts = 3
	planAttemptTimeout  = 8 * time.Second
)

// ForPlan returns the clients to read with while Terraform plans or refreshes.
func (c *Clients) ForPlan() *Clients {
	if c.forPlan == nil {
		return c
	}
	return c.forPlan
}

func (c *Clients) withPlanBounds() *Clients {
	httpClient := awshttp.NewBuildableClient().WithTimeout(planAttemptTimeout)
	p := *c
	p.Lambda = lambda.New(c.Lambda.Options(), func(o *lambda.Options) {
		o.HTTPClient = httpClient
		o.Retryer = planRetryer{o.Retryer}
	})
	p.CloudWatch = cloudwatch.New(c.CloudWatch.Options(), func(o *cloudwatch.Options) {
		o.HTTPClient = httpClient
		o.Retryer = planRetryer{o.Retryer}
	})
	return &p
}

// planRetryer gives up on an unreachable endpoint after planConnectAttempts attempts; any
// other error is retried as the wrapped retryer decides.
type planRetryer struct{ aws.Retryer }

func (r planRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	var netErr *net.OpError
	var dnsErr *net.DNSError
	var timeout interface{ Timeout() bool }
	unreachable := errors.As(err, &netErr) || errors.As(err, &dnsErr) || (errors.As(err, &timeout) && timeout.Timeout())
	if unreachable && attempt >= planConnectAttempts {
		return 0, &retry.MaxAttemptsError{Attempt: attempt, Err: err}
	}
	return r.Retryer.RetryDelay(attempt, err)
}

// explainedCredentials says where credentials are looked for when none can be had: the
// SDK's own message names only the last place it tried (often the EC2 metadata service).
type explainedCredentials struct{ aws.CredentialsProvider }

func (e explainedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	creds, err := e.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return creds, fmt.Errorf("no usable AWS credentials: %w. Credentials are looked for, in order, in the provider block "+
			"(access_key and secret_key, or assume_role), the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "+
			"AWS_PROFILE, AWS_WEB_IDENTITY_TOKEN_FILE), the shared files (shared_credentials_files and shared_config_files, "+
			"by default ~/.aws/credentials and ~/.aws/config, including SSO profiles) and the EC2 or ECS instance role: "+
			"set one of them", err)
	}
	return creds, nil
}

// NewClients loads the AWS configuration and builds the clients. It makes no AWS call:
// credentials are fetched (and any role assumed) on the first request.
func NewClients(ctx context.Context, s Settings) (*Clients, error) {
	maxRetries := DefaultMaxRetries
	if s.MaxRetries != nil {
		maxRetries = *s.MaxRetries
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return NewRetryer(maxRetries) }),
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if len(s.SharedConfigFiles) > 0 {
		opts = append(opts, config.WithSharedConfigFiles(expandHome(s.SharedConfigFiles)))
	}
	if len(s.SharedCredentialsFiles) > 0 {
		opts = append(opts, config.WithSharedCredentialsFiles(expandHome(s.SharedCredentialsFiles)))
	}
	if s.AccessKey != "" || s.SecretKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, s.Token)))
	}
	if s.UserAgentName != "" {
		opts = append(opts, config.WithAPIOptions([]func(*middleware.Stack) error{
			awsmiddleware.AddUserAgentKeyValue(s.UserAgentName, s.UserAgentVersion),
		}))
	}

	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Credentials != nil {
		cfg.Credentials = aws.NewCredentialsCache(explainedCredentials{cfg.Credentials})
	}
	if cfg.Region == "" {
		return nil, fmt.Errorf("no AWS region is configured: set region in the provider block, or AWS_REGION / AWS_DEFAULT_REGION, or a region in the shared config profile")
	}

	if s.AssumeRole != nil && s.AssumeRole.RoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if s.Endpoints.STS != "" {
				o.BaseEndpoint = aws.String(s.Endpoints.STS)
			}
		})
		ar := *s.AssumeRole
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient, ar.RoleARN,
			func(o *stscreds.AssumeRoleOptions) {
				if ar.SessionName != "" {
					o.RoleSessionName = ar.SessionName
				}
				if ar.ExternalID != "" {
					o.ExternalID = aws.String(ar.ExternalID)
				}
				if ar.Duration > 0 {
					o.Duration = ar.Duration
				}
			}))
	}

	c := &Clients{
		Region:             cfg.Region,
		InvokeRetryer:      NewInvokeRetryer(maxRetries),
		LambdaEndpoint:     firstNonEmpty(s.Endpoints.Lambda, serviceEndpointFromEnv("LAMBDA"), derefString(cfg.BaseEndpoint)),
		CloudWatchEndpoint: firstNonEmpty(s.Endpoints.CloudWatch, serviceEndpointFromEnv("CLOUDWATCH"), derefString(cfg.BaseEndpoint)),
		EventsEndpoint:     firstNonEmpty(s.Endpoints.Events, serviceEndpointFromEnv("EVENTBRIDGE"), derefString(cfg.BaseEndpoint)),
	}
	c.Lambda = lambda.NewFromConfig(cfg, func(o *lambda.Options) {
		if s.Endpoints.Lambda != "" {
			o.BaseEndpoint = aws.String(s.Endpoints.Lambda)
		}
	})
	c.CloudWatch = NewCloudWatch(cfg, s.Endpoints.CloudWatch)
	c.EventBridge = NewEventBridge(cfg, s.Endpoints.Events)
	c.forPlan = c.withPlanBounds()
	return c, nil
}

// NewCloudWatch builds a CloudWatch client that speaks the AWS query protocol.
//
// CloudWatch (API version 2010-08-01) has been served over the query protocol since
// 2010; every endpoint and every emulator answers it (moto does). The SDK defaults to
// Smithy RPC v2 CBOR since service/cloudwatch v1.53.0, whose CHANGELOG says "This release
// introduces two additional protocols AWS JSON 1.1 and Smithy RPC v2 CBOR, replacing the
// currently utilized one, AWSQuery"; the generated service schema
// (service/cloudwatch/schemas: GraniteServiceVersion20100801) still carries the
// awsQueryCompatible trait and the query XML namespace. moto does not answer CBOR, and
// which JSON version an endpoint serves depends on when it was updated, so the one
// protocol certain everywhere is chosen.
func NewCloudWatch(cfg aws.Config, endpoint string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		o.Protocol = awsquery.New(cwschemas.GraniteServiceVersion20100801)
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// NewRetryer is the SDK's adaptive retryer with maxRetries retries (attempts-1) on
// throttling, 5xx and connection errors. The client-side retry quota is switched off:
// a release is a long-lived sequence of calls and must not give up on a bad minute.
func NewRetryer(maxRetries int) aws.Retryer { return newRetryer(maxRetries, nil) }

// NewInvokeRetryer is NewRetryer for Invoke, retrying throttling only. A throttled
// invocation (429 TooManyRequestsException) never ran the function; a timeout, a reset
// connection or a 5xx may come after the function ran, and a hook must not run twice.
func NewInvokeRetryer(maxRetries int) aws.Retryer {
	return newRetryer(maxRetries, []retry.IsErrorRetryable{
		retry.NoRetryCanceledError{},
		retry.RetryableErrorCode{Codes: retry.DefaultThrottleErrorCodes},
	})
}

// newRetryer is the adaptive retryer; retryables, when set, replace the SDK's list of
// what is retried.
func newRetryer(maxRetries int, retryables []retry.IsErrorRetryable) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = maxRetries + 1
			so.RateLimiter = ratelimit.None
			so.MaxBackoff = 10 * time.Second
			if retryables != nil {
				so.Retryables = retryables
			}
		})
	})
}

func expandHome(paths []string) []string {
	home, err := os.UserHomeDir()
	out := make([]string, len(paths))
	for i, p := range paths {
		if err == nil && (p == "~" || strings.HasPrefix(p, "~/")) {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
		out[i] = p
	}
	return out
}

func serviceEndpointFromEnv(service string) string {
	return os.Getenv("AWS_ENDPOINT_URL_" + service)
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func derefString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
