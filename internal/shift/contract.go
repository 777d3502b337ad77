// Package shift is the release engine of terraform-provider-safelambda: it turns a
// Release (what to publish, how to shift traffic, what to watch) into a Result, moving a
// Lambda alias step by step and rolling it back when any check trips.
//
// It knows nothing of Terraform. It talks to AWS through the small interfaces below, which
// internal/awsapi satisfies, and it tells time through a Clock so that tests move time
// instead of sleeping.
package shift

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned (wrapped) by the interfaces below when the function, version,
// alias or alarm asked for does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned (wrapped) by alias writes when the RevisionId precondition
// failed: someone else wrote the alias since it was read.
var ErrConflict = errors.New("revision conflict")

// ErrThrottled is returned (wrapped) when AWS kept throttling after the client's own
// retries; callers may retry later. A throttled request never ran (429).
var ErrThrottled = errors.New("throttled")

// ErrAlreadyExists is returned (wrapped) by CreateAlias when the alias exists already
// (Lambda: 409 ResourceConflictException "Alias already exists: ...").
var ErrAlreadyExists = errors.New("already exists")

// ErrUpdateInProgress is returned (wrapped) when Lambda refuses a call because the function
// is being updated (Lambda: 409 ResourceConflictException "The operation cannot be
// performed at this time. An update is in progress for resource: ..."). Retry after the
// function's LastUpdateStatus leaves InProgress.
var ErrUpdateInProgress = errors.New("update in progress")

// ErrInvalidParameter is returned (wrapped) when Lambda refuses a request as invalid
// (400 InvalidParameterValueException): a CodeSha256 that differs from $LATEST's, routing
// between versions with different execution roles, and the like. The wrapped message
// keeps AWS's own words.
var ErrInvalidParameter = errors.New("invalid parameter")

// ErrOutcomeUnknown is returned (wrapped) when a request may have reached AWS but its
// answer was lost (a timeout after sending, a connection reset, a 5xx). For an Invoke it
// means the function may have run.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// Function is what the engine needs to know about a Lambda function.
type Function struct {
	Name string // the plain function name, even when the caller passed an ARN
	ARN  string // the unqualified function ARN
	// Timeout is how long one invocation of $LATEST may run (0 when unknown).
	Timeout time.Duration
}

// Version is one published version of a function (or $LATEST).
type Version struct {
	Version     string // "1", "2", … or "$LATEST"
	ARN         string // the qualified ARN
	CodeSha256  string
	Description string
	State       string // Active, Pending, Inactive, Failed ("" is treated as Active)
	// LastUpdateStatus is InProgress, Successful or Failed ("" is treated as Successful).
	LastUpdateStatus string
	// Role and DeadLetterTarget must be the same on two versions for Lambda to route
	// weighted traffic between them.
	Role             string
	DeadLetterTarget string
	// Configuration is what the version froze besides its code (see configuration.go);
	// nil when not read.
	Configuration Configuration
}

// Alias is the live state of an alias. Weights holds AdditionalVersionWeights: the share
// (0..1) of traffic routed to another version; the primary gets the rest.
type Alias struct {
	Name            string
	ARN             string
	FunctionVersion string
	Weights         map[string]float64
	RevisionID      string
	Description     string
}

// AliasUpdate is one guarded alias write. Weights nil or empty clears the routing config.
// RevisionID, when set, makes AWS refuse the write if the alias changed since it was read.
type AliasUpdate struct {
	Function        string
	Alias           string
	FunctionVersion string
	Weights         map[string]float64
	RevisionID      string
	// Description, when not nil, replaces the alias's description in the same write.
	Description *string
}

// InvokeResult is the outcome of one synchronous (RequestResponse) invocation.
// FunctionError is non-empty ("Unhandled", "Handled") when the function failed.
type InvokeResult struct {
	FunctionError string
	Payload       []byte
}

// AlarmState is the state of one CloudWatch alarm: OK, ALARM or INSUFFICIENT_DATA.
type AlarmState struct {
	Name   string
	State  string
	Reason string
}

// Functions reads and publishes function versions.
type Functions interface {
	GetFunction(ctx context.Context, function string) (Function, error)
	GetVersion(ctx context.Context, function, version string) (Version, error)
	// ListVersions returns every published version (not $LATEST), oldest first.
	ListVersions(ctx context.Context, function string) ([]Version, error)
	// PublishVersion publishes $LATEST; codeSha256, when set, is passed as the
	// precondition AWS checks.
	PublishVersion(ctx context.Context, function, codeSha256, description string) (Version, error)
	DeleteVersion(ctx context.Context, function, version string) error
}

// Aliases reads and writes aliases.
type Aliases interface {
	GetAlias(ctx context.Context, function, alias string) (Alias, error)
	ListAliases(ctx context.Context, function string) ([]Alias, error)
	CreateAlias(ctx context.Context, function, alias, version, description string) (Alias, error)
	UpdateAlias(ctx context.Context, u AliasUpdate) (Alias, error)
	DeleteAlias(ctx context.Context, function, alias string) error
}

// Invoker runs a hook function synchronously.
type Invoker interface {
	Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error)
}

// Alarms reads alarm states. names holds at most MaxAlarmsPerCall names; the engine
// batches. Alarms that do not exist are simply absent from the answer.
type Alarms interface {
	DescribeAlarms(ctx context.Context, names []string) ([]AlarmState, error)
}

// MaxAlarmsPerCall is DescribeAlarms' limit on AlarmNames.
const MaxAlarmsPerCall = 100

// Clock tells time and waits. Production code uses RealClock; tests use a fake that
// moves time by itself, so nothing sleeps.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time                         { return time.Now() }
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AWS bundles what the engine talks to. One value of internal/awsapi satisfies every
// interface; tests pass fakes.
type AWS struct {
	Functions Functions
	Aliases   Aliases
	Invoker   Invoker
	Alarms    Alarms
	Metrics   Metrics // nil when no metric gates are configured
	// Consumers guards keep_versions; nil (engine tests only) means no version has any.
	Consumers Consumers
	// Events puts release events on Release.EventBus; nil puts none.
	Events EventBus
	// Triggers reads where the function's traffic enters (wiring.go); nil skips the check.
	Triggers Triggers
}

// Metrics reads CloudWatch metric data (one GetMetricData call per poll). Used by
// metric gates; see gate_metrics.go.
type Metrics interface {
	GetMetricData(ctx context.Context, q MetricQuery) (MetricData, error)
}

// MetricQuery asks for the Lambda metrics of one alias split by ExecutedVersion,
// aggregated over [Start, End).
type MetricQuery struct {
	Function string
	Alias    string
	Versions []string // the versions to read (canary, baseline)
	Start    time.Time
	End      time.Time
	// P99 asks for the p99 Duration too. Only asked when a gate needs it: percentiles cost
	// more than sums, and some emulators cannot compute them at all.
	P99 bool
}

// MetricData is the answer to a MetricQuery, keyed by version. Missing datapoints are
// zero counts.
type MetricData struct {
	ByVersion map[string]VersionMetrics
}

// VersionMetrics holds the sums (and p99) of one version over the queried window.
type VersionMetrics struct {
	Invocations float64
	Errors      float64
	P99Duration time.Duration // 0 when unknown (no datapoint)
	HasP99      bool
}
