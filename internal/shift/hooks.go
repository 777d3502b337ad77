package shift

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// This file owns the lifecycle hooks: the payload a hook receives, invoking it exactly
// once, and reading its verdict.

// A throttled Invoke (429) never ran the function, so it is tried again, up to
// hookThrottleRetries times, backing off from hookFirstBackoff. Nothing else is retried: a
// hook may not be idempotent, and an Invoke whose answer was lost may have run it.
const (
	hookThrottleRetries = 4
	hookFirstBackoff    = 2 * time.Second
)

// How long a hook invocation may last, for the lease that covers it: the hook function's
// own timeout (Lambda ends a run there; 15 minutes at most) plus hookStartAllowance for
// what comes before the run starts: throttled attempts retried inside the SDK (the
// provider's max_retries, each waiting up to 10s), the init phase, the network.
const (
	maxInvocation      = 15 * time.Minute
	hookStartAllowance = 5 * time.Minute
)

// hookBound is how long the hook function may take, once invoked; 0 for no hook.
func (x *run) hookBound(function string) time.Duration {
	if function == "" {
		return 0
	}
	t := x.hookTimeouts[function]
	if t <= 0 || t > maxInvocation {
		t = maxInvocation
	}
	return t + hookStartAllowance
}

// maxHookText bounds a hook's reason and output in messages, the timeline and state: a
// hook may answer with megabytes.
const maxHookText = 300

// hookKind is one of the two lifecycle hooks.
type hookKind struct {
	attr  string // the HCL attribute: pre_traffic, post_traffic
	event string // LifecycleEvent in the payload
}

var (
	preTraffic  = hookKind{attr: "pre_traffic", event: "PreTraffic"}
	postTraffic = hookKind{attr: "post_traffic", event: "PostTraffic"}
)

// HookPayload is the JSON a hook function receives.
type HookPayload struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
	LifecycleEvent                string `json:"LifecycleEvent"` // PreTraffic or PostTraffic
	FunctionName                  string `json:"FunctionName"`
	Alias                         string `json:"Alias"`
	CurrentVersion                string `json:"CurrentVersion"` // "" on a first release
	TargetVersion                 string `json:"TargetVersion"`
	TargetVersionARN              string `json:"TargetVersionArn"`
	// Members lists every member of a group release of several aliases (the fields
	// above are its first member's); absent for a release of one alias.
	Members []HookMember `json:"Members,omitempty"`
}

// HookMember is one member of a group release in a hook's payload.
type HookMember struct {
	Key              string `json:"Key"`
	FunctionName     string `json:"FunctionName"`
	Alias            string `json:"Alias"`
	CurrentVersion   string `json:"CurrentVersion"`
	TargetVersion    string `json:"TargetVersion"`
	TargetVersionARN string `json:"TargetVersionArn"`
}

// hookMembers lists a group's members for the hook payload (nil outside a group).
func (x *run) hookMembers() []HookMember {
	if x.group == nil || len(x.group.members) == 1 {
		return nil // a release of one alias sends the payload it always did
	}
	var out []HookMember
	for _, m := range x.group.members {
		out = append(out, HookMember{Key: m.key, FunctionName: m.fn.Name, Alias: m.r.Alias,
			CurrentVersion: m.previous(), TargetVersion: m.target.Version, TargetVersionARN: m.target.ARN})
	}
	return out
}

// runHook invokes a hook synchronously; "" is no hook. where says where the release is,
// for the error.
func (x *run) runHook(k hookKind, function, where string) *failure {
	if function == "" {
		return nil
	}
	payload, err := json.Marshal(HookPayload{
		DeploymentID:                  x.res.DeploymentID,
		LifecycleEventHookExecutionID: x.res.DeploymentID + "-" + k.event,
		LifecycleEvent:                k.event,
		FunctionName:                  x.fn.Name,
		Alias:                         x.r.Alias,
		CurrentVersion:                x.previous(),
		TargetVersion:                 x.target.Version,
		TargetVersionARN:              x.target.ARN,
		Members:                       x.hookMembers(),
	})
	if err != nil {
		return &failure{cause: fmt.Sprintf("could not encode the %s hook payload: %v", k.attr, err), err: err}
	}
	x.record(EventHook, "%s %s invoked", k.attr, function)
	res, err := x.invokeOnce(function, payload)
	var renewal *renewalError
	if errors.As(err, &renewal) {
		return renewal.f
	}
	if err != nil {
		if cerr := x.ctx.Err(); cerr != nil {
			return x.interrupted(cerr, fmt.Sprintf("the %s hook %s", k.attr, function))
		}
		msg := clip(err.Error(), maxHookText)
		if errors.Is(err, ErrOutcomeUnknown) {
			x.record(EventTrip, "%s hook %s: its answer was lost (%s); it may have run", k.attr, function, msg)
			return &failure{
				cause: fmt.Sprintf("%s hook %q gave no answer %s: %s; the hook may have run, and it is not invoked twice", k.attr, function, where, msg),
				next:  "Check the hook's logs in CloudWatch Logs to see whether it ran and what it found, then run terraform apply again.",
				err:   err,
			}
		}
		x.record(EventTrip, "%s hook %s could not be invoked: %s", k.attr, function, msg)
		next := "Check that the provider may call lambda:InvokeFunction on the hook, then run terraform apply again."
		if errors.Is(err, ErrThrottled) {
			next = "Lambda kept throttling the hook's invocations (it never ran); raise its concurrency or run terraform apply again later."
		}
		return &failure{
			cause: fmt.Sprintf("%s hook %q could not be invoked %s: %s", k.attr, function, where, msg),
			next:  next,
			err:   err,
		}
	}
	if reason, failed := hookVerdict(res); failed {
		reason = clip(reason, maxHookText)
		x.record(EventTrip, "%s hook %s failed: %s", k.attr, function, reason)
		return &failure{
			cause: fmt.Sprintf("%s hook %q failed %s: %s", k.attr, function, where, reason),
			next:  "Fix what the hook reported (its logs are in CloudWatch Logs), then run terraform apply again.",
		}
	}
	x.record(EventHook, "%s %s passed", k.attr, function)
	return nil
}

// hookVerdict says whether a hook's invocation failed, and why: a function error, or a
// JSON object answer whose status is Failed. Anything else passes.
func hookVerdict(res InvokeResult) (reason string, failed bool) {
	var obj map[string]any
	isObj := json.Unmarshal(res.Payload, &obj) == nil && obj != nil
	if res.FunctionError != "" {
		reason = "function error (" + res.FunctionError + ")"
		if isObj {
			typ, _ := obj["errorType"].(string)
			msg, _ := obj["errorMessage"].(string)
			switch {
			case typ != "" && msg != "":
				return reason + ": " + typ + ": " + msg, true
			case msg != "" || typ != "":
				return reason + ": " + typ + msg, true
			}
		}
		if p := strings.TrimSpace(string(res.Payload)); p != "" {
			reason += ": " + p
		}
		return reason, true
	}
	if !isObj {
		return "", false
	}
	status, _ := obj["status"].(string)
	if !strings.EqualFold(status, "Failed") {
		return "", false
	}
	for _, key := range []string{"reason", "message"} {
		if s, ok := obj[key].(string); ok && s != "" {
			return "status Failed: " + s, true
		}
	}
	return "status Failed (no reason or message given)", true
}

// renewalError carries the failure of a lease renewal between two attempts at a hook.
type renewalError struct{ f *failure }

func (e *renewalError) Error() string { return e.f.cause }

// invokeOnce invokes a hook, trying again only while Lambda throttles (a throttled
// request never ran). The write before the hook leased the alias for one invocation
// (hookBound); before each attempt after that, the lease is renewed to cover another, so
// that retries cannot outlast it.
func (x *run) invokeOnce(function string, payload []byte) (InvokeResult, error) {
	backoff := hookFirstBackoff
	for retry := 0; ; retry++ {
		if f := x.renewLease(x.hookBound(function), "renew the lease before invoking "+function+" again"); f != nil {
			return InvokeResult{}, &renewalError{f}
		}
		res, err := x.e.AWS.Invoker.Invoke(x.ctx, function, payload)
		if !errors.Is(err, ErrThrottled) || errors.Is(err, ErrOutcomeUnknown) || retry == hookThrottleRetries {
			return res, err
		}
		x.record(EventHook, "%s throttled; invoking it again in %s", function, backoff)
		if perr := pause(x.ctx, x.clock, backoff); perr != nil {
			return res, err
		}
		backoff *= 2
	}
}

// clip cuts s to about n bytes (on a character boundary) and says how much was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes cut)", s[:cut], len(s)-cut)
}
