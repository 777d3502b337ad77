package shift

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file owns the approval check: a Lambda function asked before traffic increases
// and/or before promotion, that answers Approved, Rejected or Waiting; the bounded wait
// while it says Waiting, on the engine's clock; the lease renewed while the release
// waits; its rules at plan time and its words in the schedule.
//
// It is Flagger's confirm-traffic-increase and confirm-promotion webhooks as a Lambda
// function, with the hooks' payload conventions. Each ask is one invocation (the hooks'
// invokeOnce: throttling is tried again, nothing else). A rejection, a failed check, an
// answer that cannot be read and a wait that outlasts its timeout all stop the release,
// which then rolls back when traffic has moved, as a failed hook does.

const (
	// DefaultApprovalPollInterval is how often the approval function is asked while it
	// answers Waiting, when approval.poll_interval is unset.
	DefaultApprovalPollInterval = 30 * time.Second
	// DefaultApprovalTimeout bounds one wait for approval when approval.timeout is unset.
	DefaultApprovalTimeout = 30 * time.Minute
)

// EventApproval marks the approval check in the timeline: asked, approved.
const EventApproval EventKind = "approval"

// Approval is the approval check of a release.
type Approval struct {
	Function string // name or ARN, invoked at $LATEST
	// BeforeTrafficIncrease asks before each weighted step; BeforePromotion before the
	// alias moves all traffic to the new version.
	BeforeTrafficIncrease bool
	BeforePromotion       bool
	PollInterval          time.Duration // 0: DefaultApprovalPollInterval
	Timeout               time.Duration // the longest one wait lasts; 0: DefaultApprovalTimeout
}

func (a *Approval) pollInterval() time.Duration {
	if a.PollInterval > 0 {
		return a.PollInterval
	}
	return DefaultApprovalPollInterval
}

func (a *Approval) timeout() time.Duration {
	if a.Timeout > 0 {
		return a.Timeout
	}
	return DefaultApprovalTimeout
}

// approvalPoint is where a release asks: its name in the configuration and in the payload.
type approvalPoint struct {
	config  string // approval.before: traffic_increase, promotion
	payload string // Before in the payload: TrafficIncrease, Promotion
}

var (
	beforeTrafficIncrease = approvalPoint{config: "traffic_increase", payload: "TrafficIncrease"}
	beforePromotion       = approvalPoint{config: "promotion", payload: "Promotion"}
)

func (a *Approval) asks(p approvalPoint) bool {
	if a == nil || a.Function == "" {
		return false
	}
	if p == beforeTrafficIncrease {
		return a.BeforeTrafficIncrease
	}
	return a.BeforePromotion
}

// asksIn is how many times a fresh release of schedule s asks (a first release, which
// creates the alias on the target, asks nothing).
func (a *Approval) asksIn(s Schedule) int {
	n := 0
	if a.asks(beforeTrafficIncrease) {
		n += len(s.Steps)
	}
	if a.asks(beforePromotion) {
		n++
	}
	return n
}

// ApprovalPayload is the JSON the approval function receives: a hook's payload with
// LifecycleEvent "Approval", plus where the release stands and what comes next. Every ask
// of one wait carries the same LifecycleEventHookExecutionId, so a function can key what
// it keeps (the chat message it posted, the load test it started) on it.
type ApprovalPayload struct {
	HookPayload
	Before         string  `json:"Before"`         // TrafficIncrease or Promotion
	Step           int     `json:"Step,omitempty"` // the weighted step that comes next (1-based); 0 before promotion
	Steps          int     `json:"Steps"`          // weighted steps in the schedule
	CurrentPercent float64 `json:"CurrentPercent"` // traffic on the target now
	NextPercent    float64 `json:"NextPercent"`    // traffic on the target once approved
	Attempt        int     `json:"Attempt"`        // 1 for the first ask of this wait
	WaitingSince   string  `json:"WaitingSince"`   // RFC 3339: when this wait began
}

// Answers of an approval function ({"status": …}), compared without regard to case.
const (
	approvalApproved = "Approved"
	approvalRejected = "Rejected"
	approvalWaiting  = "Waiting"
)

// approvalAnswer is one answer: a status above, or "" when it could not be read (reason
// then says what came back).
type approvalAnswer struct {
	status string
	reason string
}

// readApproval reads an approval function's answer. A function error and an answer that
// is not {"status": "Approved" | "Rejected" | "Waiting"} cannot be read: the check fails
// closed, so a broken function never approves.
func readApproval(res InvokeResult) approvalAnswer {
	if res.FunctionError != "" {
		reason, _ := hookVerdict(res)
		return approvalAnswer{reason: reason}
	}
	var obj map[string]any
	if json.Unmarshal(res.Payload, &obj) != nil || obj == nil {
		return approvalAnswer{reason: "answered " + strings.TrimSpace(string(res.Payload))}
	}
	status, _ := obj["status"].(string)
	reason := ""
	for _, key := range []string{"reason", "message"} {
		if s, ok := obj[key].(string); ok && s != "" {
			reason = s
			break
		}
	}
	for _, s := range []string{approvalApproved, approvalRejected, approvalWaiting} {
		if strings.EqualFold(status, s) {
			return approvalAnswer{status: s, reason: reason}
		}
	}
	return approvalAnswer{reason: "answered " + strings.TrimSpace(string(res.Payload))}
}

func (a approvalAnswer) String() string {
	if a.reason == "" {
		return a.status
	}
	return a.status + ": " + a.reason
}

// approve asks the approval function before the traffic change at p, and waits while it
// answers Waiting, asking again every poll interval up to the approval timeout. step is
// the weighted step that comes next (0 before promotion), next the traffic on the target
// once approved. It returns nil when approved (or when nothing is asked at p).
func (x *run) approve(p approvalPoint, step int, next float64) *failure {
	a := x.r.Approval
	if !a.asks(p) {
		return nil
	}
	where := fmt.Sprintf("before promotion (100%% on version %s)", x.target.Version)
	if p == beforeTrafficIncrease {
		where = fmt.Sprintf("before step %d of %d (%s%% on version %s)", step, len(x.r.Schedule.Steps), FormatPercent(next), x.target.Version)
	}
	g := x.guard
	bound := x.hookBound(a.Function) // how long one ask may take
	if !g.wrote {
		// Asked before the release's first write: the lease says the alias is taken
		// while the release waits.
		if f := x.write(g.left.version, g.left.weights, bound, "record the release on alias "+x.r.Alias); f != nil {
			return f
		}
		x.advance(phasePrepared)
	}

	since := x.clock.Now()
	x.record(EventApproval, "%s asked %s", a.Function, where)
	attempt := 0
	var last approvalAnswer
	var stop *failure
	decided := false
	ask := func() {
		attempt++
		ans, f := x.askApproval(p, step, next, attempt, since, where)
		switch {
		case f != nil:
			stop, decided = f, true
		case ans.status == approvalApproved:
			x.record(EventApproval, "%s approved %s after %s (%d %s)%s", a.Function, where,
				formatOffset(x.clock.Now().Sub(since)), attempt, plural(attempt, "ask", "asks"), reasonSuffix(ans.reason))
			decided = true
		case ans.status == approvalRejected:
			reason := clip(ans.reason, maxHookText)
			if reason == "" {
				reason = "no reason given"
			}
			x.record(EventTrip, "approval %s rejected the release %s: %s", a.Function, where, reason)
			stop, decided = &failure{
				cause: fmt.Sprintf("approval %q rejected the release %s: %s", a.Function, where, reason),
				next:  "The approval function said no: find out why (its reason above, its logs in CloudWatch Logs), then run terraform apply again to release again.",
			}, true
		default:
			last = ans
			x.record(EventPoll, "approval %s: %s (ask %d)", a.Function, clip(ans.String(), maxHookText), attempt)
		}
	}

	if ask(); decided {
		return stop
	}
	// Two clocks run while the release waits: the next ask, every poll interval, and the
	// moment the lease would no longer cover one more ask and half the slack, when
	// renewLease (the one renewal rule, also applied before every ask) writes it again.
	deadline := since.Add(a.timeout())
	nextAsk := since.Add(a.pollInterval())
	renews := true // false once a renewal is not this release's to write (renewLease)
	for {
		wake := earliest(nextAsk, deadline)
		if renews {
			wake = earliest(wake, x.guard.leaseUntil.Add(-bound-x.e.leaseSlack()/2))
		}
		if err := pause(x.ctx, x.clock, wake.Sub(x.clock.Now())); err != nil {
			return x.interrupted(err, "waiting for approval "+a.Function+" "+where)
		}
		now := x.clock.Now()
		if f := x.renewLease(bound, "renew the lease on alias "+x.r.Alias+" while waiting for approval "+where); f != nil {
			return f
		}
		renews = x.guard.leaseUntil.Add(-bound - x.e.leaseSlack()/2).After(now)
		if !now.Before(nextAsk) || !now.Before(deadline) {
			if ask(); decided {
				return stop
			}
			nextAsk = x.clock.Now().Add(a.pollInterval())
		}
		if !x.clock.Now().Before(deadline) {
			break
		}
	}
	lastText := "no answer could be read"
	if last.status != "" {
		lastText = clip(last.String(), maxHookText)
	}
	x.record(EventTrip, "approval %s gave no decision within %s %s", a.Function, a.timeout(), where)
	return &failure{
		cause: fmt.Sprintf("approval %q gave no decision within approval.timeout (%s) %s; its last answer: %s; a wait that runs out counts as a rejection",
			a.Function, a.timeout(), where, lastText),
		next: "Approve sooner, or raise approval.timeout (and the create/update timeouts with it), then run terraform apply again to release again.",
	}
}

// askApproval invokes the approval function once (throttling aside). An answer it cannot
// get (throttled throughout, or lost on the way back) is Waiting: the function is asked
// again at the next poll. Anything else that stops the check is a failure.
func (x *run) askApproval(p approvalPoint, step int, next float64, attempt int, since time.Time, where string) (approvalAnswer, *failure) {
	a := x.r.Approval
	payload, err := json.Marshal(ApprovalPayload{
		HookPayload: HookPayload{
			DeploymentID:                  x.res.DeploymentID,
			LifecycleEventHookExecutionID: fmt.Sprintf("%s-Approval-%s-%d", x.res.DeploymentID, p.payload, step),
			LifecycleEvent:                "Approval",
			FunctionName:                  x.fn.Name,
			Alias:                         x.r.Alias,
			CurrentVersion:                x.previous(),
			TargetVersion:                 x.target.Version,
			TargetVersionARN:              x.target.ARN,
		},
		Before:         p.payload,
		Step:           step,
		Steps:          len(x.r.Schedule.Steps),
		CurrentPercent: x.percent(),
		NextPercent:    roundPercent(next),
		Attempt:        attempt,
		WaitingSince:   since.UTC().Format(time.RFC3339),
	})
	if err != nil {
		return approvalAnswer{}, &failure{cause: fmt.Sprintf("could not encode the approval payload: %v", err), err: err}
	}
	res, err := x.invokeOnce(a.Function, payload)
	var renewal *renewalError
	if errors.As(err, &renewal) {
		return approvalAnswer{}, renewal.f // the lease could not be renewed: the alias moved
	}
	if err != nil {
		if cerr := x.ctx.Err(); cerr != nil {
			return approvalAnswer{}, x.interrupted(cerr, "waiting for approval "+a.Function+" "+where)
		}
		msg := clip(err.Error(), maxHookText)
		if errors.Is(err, ErrOutcomeUnknown) || errors.Is(err, ErrThrottled) {
			x.record(EventWarning, "approval %s gave no answer (%s); asking again in %s", a.Function, msg, a.pollInterval())
			return approvalAnswer{status: approvalWaiting, reason: "no answer: " + msg}, nil
		}
		x.record(EventTrip, "approval %s could not be invoked: %s", a.Function, msg)
		return approvalAnswer{}, &failure{
			cause: fmt.Sprintf("approval %q could not be invoked %s: %s", a.Function, where, msg),
			next:  "Check that the provider may call lambda:InvokeFunction on the approval function, then run terraform apply again.",
			err:   err,
		}
	}
	ans := readApproval(res)
	if ans.status == "" {
		reason := clip(ans.reason, maxHookText)
		x.record(EventTrip, "approval %s failed: %s", a.Function, reason)
		return ans, &failure{
			cause: fmt.Sprintf("approval %q failed %s: %s; an approval check that fails counts as a rejection "+
				`(an approval function answers {"status": "Approved" | "Rejected" | "Waiting", "reason": "…"})`, a.Function, where, reason),
			next: "Fix the approval function (its logs are in CloudWatch Logs), then run terraform apply again.",
		}
	}
	return ans, nil
}

// preflightApproval checks that the approval function exists before anything changes.
func (x *run) preflightApproval() *failure {
	a := x.r.Approval
	if a == nil || a.Function == "" {
		return nil
	}
	if x.e.AWS.Invoker == nil {
		return &failure{cause: "an approval is configured but the engine has no Invoker client; nothing was changed"}
	}
	if _, err := x.e.AWS.Functions.GetFunction(x.ctx, a.Function); errors.Is(err, ErrNotFound) {
		return &failure{
			cause: fmt.Sprintf("approval function %q does not exist; nothing was changed", a.Function),
			next:  "Check approval.function: it takes a function name or ARN in the provider's region.",
			err:   err,
		}
	} else if err != nil {
		return x.apiFailure(err, "read approval function "+a.Function)
	}
	return nil
}

func earliest(t time.Time, more ...time.Time) time.Time {
	for _, u := range more {
		if u.Before(t) {
			t = u
		}
	}
	return t
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + clip(reason, maxHookText)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// describeApproval is the schedule text's approval part, "" without one: "approval before
// 2 traffic increases and promotion, polled every 30s, each wait up to 30m0s".
func describeApproval(r Release) string {
	a := r.Approval
	if a == nil || a.Function == "" {
		return ""
	}
	var before []string
	if n := len(r.Schedule.Steps); a.BeforeTrafficIncrease && n > 0 {
		before = append(before, fmt.Sprintf("%d %s", n, plural(n, "traffic increase", "traffic increases")))
	}
	if a.BeforePromotion {
		before = append(before, "promotion")
	}
	if len(before) == 0 {
		return "approval never asked (no weighted step)"
	}
	return fmt.Sprintf("approval before %s, polled every %s, each wait up to %s", strings.Join(before, " and "), a.pollInterval(), a.timeout())
}

// ApprovalConfig is approval as written; nil fields are unset.
type ApprovalConfig struct {
	Function     *string
	Before       []string // nil when unset
	BeforeSet    bool     // before = [] is not unset
	PollInterval *string
	Timeout      *string
}

// resolveApproval turns approval into an Approval. complete is false while any part of it
// is unknown. steps says whether the schedule has weighted steps (nil: not known yet).
func resolveApproval(c *ApprovalConfig, steps *bool, unknown func([]any) bool) (*Approval, bool, []FieldError) {
	root := []any{"approval"}
	if unknown(root) {
		return nil, false, nil
	}
	at := func(name string) []any { return withPath(root, name) }
	var errs []FieldError
	out := &Approval{}
	complete := true

	switch {
	case unknown(at("function")):
		// Unknown until apply (another resource's output): the schedule does not name it.
		out.Function = "(known after apply)"
	case c.Function == nil:
		errs = append(errs, FieldError{Path: at("function"), Summary: "Missing approval function",
			Detail: "approval.function must name the Lambda function to ask: write its name or ARN"})
	default:
		if e, bad := checkFunction(*c.Function); bad {
			e.Path = at("function")
			e.Detail = strings.ReplaceAll(e.Detail, "function_name", "approval.function")
			e.Detail = strings.Replace(e.Detail, "and put the alias in alias", "(the approval function is invoked at $LATEST; give the function alone)", 1)
			errs = append(errs, e)
		}
		out.Function = *c.Function
	}

	switch {
	case unknown(at("before")):
		complete = false
	case !c.BeforeSet:
		out.BeforeTrafficIncrease, out.BeforePromotion = true, true
	case len(c.Before) == 0:
		errs = append(errs, FieldError{Path: at("before"), Summary: "Empty approval.before",
			Detail: `approval.before names when to ask: write ["traffic_increase", "promotion"] (the default when omitted), or omit approval for none`})
	default:
		for _, b := range c.Before {
			switch b {
			case beforeTrafficIncrease.config:
				out.BeforeTrafficIncrease = true
			case beforePromotion.config:
				out.BeforePromotion = true
			default:
				errs = append(errs, FieldError{Path: at("before"), Summary: "Unknown approval point",
					Detail: fmt.Sprintf(`approval.before takes "traffic_increase" (before each weighted step) and "promotion" (before the alias moves all traffic), got %q`, b)})
			}
		}
		if out.BeforeTrafficIncrease && !out.BeforePromotion && steps != nil && !*steps {
			errs = append(errs, FieldError{Path: at("before"), Summary: "Approval never asked",
				Detail: `approval.before = ["traffic_increase"] asks before each weighted step, but the traffic shift is AllAtOnce and has none, so the approval would never be asked: ` +
					`add "promotion", or give traffic_shift steps`})
		}
	}

	for _, d := range []struct {
		name, example string
		v             *string
		into          *time.Duration
	}{{"poll_interval", "30s", c.PollInterval, &out.PollInterval}, {"timeout", "30m", c.Timeout, &out.Timeout}} {
		if d.v == nil {
			continue
		}
		if unknown(at(d.name)) {
			complete = false
			continue
		}
		v, e, bad := parseDuration(at(d.name), *d.v, d.example)
		if bad {
			errs = append(errs, e)
			continue
		}
		*d.into = v
	}
	if len(errs) == 0 && complete && out.pollInterval() > out.timeout() {
		errs = append(errs, FieldError{Path: at("poll_interval"), Summary: "Approval poll interval longer than its timeout",
			Detail: fmt.Sprintf("approval.poll_interval (%s) is longer than approval.timeout (%s), so a Waiting answer could never be asked again: "+
				"shorten poll_interval or raise timeout", out.pollInterval(), out.timeout())})
	}
	return out, complete, errs
}

// checkApprovalTimeout refuses create/update timeouts that cannot hold the schedule and
// one full approval wait: such a wait could only end by the apply's timeout, not by the
// approval's own. (Every wait of a release in full may exceed them: most approvals
// answer sooner; the schedule text says how many waits there can be.)
func checkApprovalTimeout(c Config, out Resolved) *FieldError {
	r := out.Release
	a := r.Approval
	if a == nil || a.asksIn(r.Schedule) == 0 {
		return nil
	}
	need := MinReleaseDuration(r) + pollInterval(r) + a.timeout()
	for _, t := range []struct {
		name  string
		limit time.Duration
	}{{"create", out.CreateTimeout}, {"update", out.UpdateTimeout}} {
		if need < t.limit {
			continue
		}
		at := []any{"approval"}
		if c.Approval != nil && c.Approval.Timeout != nil {
			at = []any{"approval", "timeout"}
		}
		return &FieldError{Path: at, Summary: "Approval wait longer than its timeout",
			Detail: fmt.Sprintf("a release waits up to approval.timeout (%s) for approval, on top of the traffic shift's %s and one more alarm poll (%s), but timeouts.%s is %s, "+
				"so a wait for approval could only end by the apply timing out: shorten approval.timeout or write timeouts = { %s = %q }",
				a.timeout(), MinReleaseDuration(r), pollInterval(r), t.name, t.limit, t.name, suggestTimeout(need))}
	}
	return nil
}

// validateApproval checks a hand-built Approval (Config.Resolve checks what was written).
func validateApproval(a *Approval) []FieldError {
	if a == nil {
		return nil
	}
	var errs []FieldError
	at := func(name string) []any { return []any{"approval", name} }
	if strings.TrimSpace(a.Function) == "" {
		errs = append(errs, FieldError{Path: at("function"), Summary: "Missing approval function",
			Detail: "approval.function must name the Lambda function to ask: write its name or ARN"})
	}
	if !a.BeforeTrafficIncrease && !a.BeforePromotion {
		errs = append(errs, FieldError{Path: at("before"), Summary: "Approval never asked",
			Detail: "an approval needs BeforeTrafficIncrease, BeforePromotion or both"})
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"poll_interval", a.PollInterval}, {"timeout", a.Timeout}} {
		if d.v != 0 && d.v < MinDurationUnit {
			errs = append(errs, FieldError{Path: at(d.name), Summary: "Invalid duration",
				Detail: fmt.Sprintf("approval.%s must be at least 1s, got %s", d.name, d.v)})
		}
	}
	return errs
}
