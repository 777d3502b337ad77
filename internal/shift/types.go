package shift

import "time"

// This file owns the values the engine is given and gives back: Release, Schedule,
// Result, the timeline's Event and Live.

// Release is everything one release needs: plain values the provider builds from HCL.
type Release struct {
	Function string // name or unqualified ARN
	Alias    string

	// Exactly one of CodeSha256 (publish $LATEST guarded by this hash, or reuse the newest
	// published version with it) and Version (release an already published version).
	CodeSha256  string
	Version     string
	Description string // for the version it publishes

	// ReleaseConfiguration, in CodeSha256 mode, releases $LATEST's configuration with the
	// code: a published version is reused only when its configuration matches $LATEST's
	// too (SAM's AutoPublishAliasAllProperties). False keys releases on code alone.
	ReleaseConfiguration bool

	Schedule Schedule // the resolved steps; empty Steps means AllAtOnce

	Alarms                 []string // names (ARNs already reduced to names)
	AlarmPollInterval      time.Duration
	IgnoreAlarms           bool
	IgnorePollAlarmFailure bool

	PreTrafficHook  string // function name or ARN; "" for none
	PostTrafficHook string

	Approval *Approval // nil for none; see approval.go

	MetricGates *MetricGates // nil for none
	// TrafficArrivesVia is ArrivesViaTriggers ("" too) or ArrivesViaDirectInvoke; see wiring.go.
	TrafficArrivesVia string
	KeepVersions      int // 0: keep every version

	// LastDeploymentID is the id of this configuration's last release (from state), so a
	// release can tell when another configuration released onto the same alias since.
	LastDeploymentID string
	// LastReleasedID is the id of this configuration's last release that succeeded, when
	// it differs from LastDeploymentID (a release failed since, and the alias still
	// carries the mark of the one before): its mark is this configuration's own too.
	LastReleasedID string

	// EventBus names the event bus (name or ARN) the release puts its events on; "" for
	// none. See events.go.
	EventBus string

	// RollbackTimeout bounds the rollback, which runs detached from the caller's context.
	// Zero means DefaultRollbackTimeout.
	RollbackTimeout time.Duration

	// Members, when set, makes this a group release: every member's alias moves in
	// lockstep under the settings above, and any trip rolls every member back (group.go).
	// Function, Alias, CodeSha256, Version and Description are then unused.
	Members []Member
	// WritesPerSecond paces a group's alias writes; zero means DefaultWritesPerSecond.
	WritesPerSecond float64
}

// DefaultRollbackTimeout bounds a rollback when Release.RollbackTimeout is zero.
const DefaultRollbackTimeout = 2 * time.Minute

// Step is one traffic step: Percent (0 < p < 100) of traffic on the target, held for Hold.
type Step struct {
	Percent float64
	Hold    time.Duration
}

// Schedule is a resolved traffic-shift plan: the weighted steps before the final 100%.
type Schedule struct {
	Name  string // the preset or kind it came from, e.g. "Canary10Percent5Minutes", "linear"
	Steps []Step
}

// MetricGates are checks on the alias's own Lambda metrics, split by ExecutedVersion.
type MetricGates struct {
	MaxErrorRate      *float64       // canary Errors/Invocations over the step so far
	MaxP99Duration    *time.Duration // canary p99 Duration
	CompareToBaseline bool           // canary error rate not significantly worse than baseline
	Confidence        float64        // for the comparison; default 0.95
	MinInvocations    int            // fewer canary invocations by the end of a hold fails; 0 disables
	// ArrivalDelay is how long after its minute ends a Lambda metric is taken to have
	// arrived in CloudWatch; nil means DefaultMetricArrivalDelay. See gate_metrics.go.
	ArrivalDelay *time.Duration
}

// Status is how a release ended.
type Status string

const (
	StatusSucceeded  Status = "Succeeded"
	StatusRolledBack Status = "RolledBack"
	StatusFailed     Status = "Failed"
	StatusNoChange   Status = "NoChange"
)

// Result is what a release did and what is live now. It is filled in on every outcome,
// failures included, so the caller can record the truth.
type Result struct {
	DeploymentID    string
	Status          Status
	TargetVersion   string
	PreviousVersion string // what the alias served before ("" on a first release)

	// What the alias serves now, read back after the release or its rollback.
	// AliasExists is false when a first release failed and its alias was deleted.
	AliasExists    bool
	AliasARN       string
	LiveVersion    string
	LiveWeights    map[string]float64
	LiveCodeSha256 string // of LiveVersion

	StartedAt       time.Time
	FinishedAt      time.Time
	Message         string
	Timeline        []Event
	DeletedVersions []string // by KeepVersions
	// KeptVersions are versions KeepVersions would have deleted but kept because an event
	// source mapping or provisioned concurrency uses them.
	KeptVersions []KeptVersion
	// Members is what a group release did on each member, in the order given; the fields
	// above then describe the first member, and Status the group.
	Members []MemberResult
}

// Event is one line of a release's timeline.
type Event struct {
	Time    time.Time
	Kind    EventKind
	Percent float64 // traffic on the target at that moment
	Detail  string
	Target  string // the version being released, once known
}

// EventKind names what happened.
type EventKind string

const (
	EventPreflight EventKind = "preflight"
	EventPublished EventKind = "published"
	EventHook      EventKind = "hook"
	EventShift     EventKind = "shift"
	EventPoll      EventKind = "poll"
	EventPromote   EventKind = "promote"
	EventTrip      EventKind = "trip"
	EventRollback  EventKind = "rollback"
	EventDone      EventKind = "done"
	EventRetention EventKind = "retention"
)

// Observer receives every timeline event as it happens (for progress logging).
// It must not block.
type Observer func(Event)

// Live is what an alias serves now, as Read reports it.
type Live struct {
	AliasARN   string
	Version    string             // primary version
	Weights    map[string]float64 // non-empty when the alias is split
	CodeSha256 string             // of Version
	// Writer is the safelambda release whose lease or mark the alias carries ("" when
	// none): it changes whenever a release, a rollback or a restore writes the alias.
	Writer string
	// PromotedFrom is, when the alias serves one version under a release's lease that
	// records another as served before (a release killed during its promotion, or one in
	// flight), that earlier version: the release is not finished ("" otherwise).
	PromotedFrom string
	// Configuration is Version's configuration (nil when neither read nor known).
	Configuration Configuration
	// With Known.Latest: $LATEST's code hash ("" when it could not be read), and the
	// settings in which its configuration differs from Version's when their code is the
	// same (names only).
	LatestCodeSha256   string
	ConfigurationDrift []string
}
