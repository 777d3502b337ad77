package shift

import (
	"encoding/json"
	"fmt"
	"strings"
)

// hookKind is one of the two lifecycle hooks.
type hookKind struct {
	attr  string // the HCL attribute: pre_traffic, post_traffic
	event string // LifecycleEvent in the payload
}

var (
	preTraffic  = hookKind{attr: "pre_traffic", event: "PreTraffic"}
	postTraffic = hookKind{attr: "post_traffic", event: "PostTraffic"}
)

// HookPayload is the JSON a hook function receives (SPEC 3.2).
type HookPayload struct {
	DeploymentID                  string `json:"DeploymentId"`
	LifecycleEventHookExecutionID string `json:"LifecycleEventHookExecutionId"`
	LifecycleEvent                string `json:"LifecycleEvent"` // PreTraffic or PostTraffic
	FunctionName                  string `json:"FunctionName"`
	Alias                         string `json:"Alias"`
	CurrentVersion                string `json:"CurrentVersion"` // "" on a first release
	TargetVersion                 string `json:"TargetVersion"`
	TargetVersionARN              string `json:"TargetVersionArn"`
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
		CurrentVersion:                x.previous,
		TargetVersion:                 x.target.Version,
		TargetVersionARN:              x.target.ARN,
	})
	if err != nil {
		return &failure{cause: fmt.Sprintf("could not encode the %s hook payload: %v", k.attr, err), err: err}
	}
	x.record(EventHook, "%s %s invoked", k.attr, function)
	res, err := x.e.AWS.Invoker.Invoke(x.ctx, function, payload)
	if err != nil {
		if cerr := x.ctx.Err(); cerr != nil {
			return x.interrupted(cerr, fmt.Sprintf("the %s hook %s", k.attr, function))
		}
		x.record(EventTrip, "%s hook %s could not be invoked: %v", k.attr, function, err)
		return &failure{
			cause: fmt.Sprintf("%s hook %q could not be invoked %s: %v", k.attr, function, where, err),
			next:  "Check that the provider may call lambda:InvokeFunction on the hook, then run terraform apply again.",
			err:   err,
		}
	}
	if reason, failed := hookVerdict(res); failed {
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
			reason += ": " + truncate(p, 300)
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

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
