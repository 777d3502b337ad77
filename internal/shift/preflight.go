package shift

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Waiting for a freshly published version to become Active (Lambda builds VPC and
// SnapStart versions asynchronously).
const (
	activePollInterval = 2 * time.Second
	activeWaitLimit    = 5 * time.Minute
)

// validate refuses a Release the provider should have refused at plan time, so that a
// hand-built Release cannot reach AWS.
func (x *run) validate() *failure {
	errs := append(ValidateRelease(x.r), validateSchedule(x.r.Schedule)...)
	aws := x.e.AWS
	if aws.Functions == nil || aws.Aliases == nil {
		errs = append(errs, FieldError{Summary: "Engine not configured", Detail: "the engine has no Functions or Aliases client"})
	}
	if len(errs) == 0 {
		return nil
	}
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return &failure{
		cause:  "the release is invalid; nothing was changed",
		reason: strings.Join(lines, "; "),
		next:   "Fix the configuration and run terraform apply again.",
	}
}

// preflight checks everything that can be checked before anything changes (SPEC 3.2
// step 1), then finds or publishes the version to release. Publishing comes last: it is
// the first change.
func (x *run) preflight() *failure {
	r, aws := x.r, x.e.AWS
	fns := aws.Functions

	if r.Version != "" {
		// The version's configuration names its function: one call proves both exist.
		// The function is read on its own only to tell the user which one is missing.
		v, err := fns.GetVersion(x.ctx, r.Function, r.Version)
		if err == nil {
			x.fn = functionOf(v)
			x.setTarget(v)
		} else if f := x.readFunction(); f != nil {
			return f
		} else if v, f := x.publishedVersion(r.Version); f != nil {
			return f
		} else {
			x.setTarget(v)
		}
	} else if f := x.readFunction(); f != nil {
		return f
	}

	for _, h := range []struct {
		kind hookKind
		name string
	}{{preTraffic, r.PreTrafficHook}, {postTraffic, r.PostTrafficHook}} {
		if h.name == "" {
			continue
		}
		if aws.Invoker == nil {
			return &failure{cause: "hooks are configured but the engine has no Invoker client; nothing was changed"}
		}
		if _, err := fns.GetFunction(x.ctx, h.name); errors.Is(err, ErrNotFound) {
			return &failure{
				cause: fmt.Sprintf("%s hook function %q does not exist; nothing was changed", h.kind.attr, h.name),
				next:  fmt.Sprintf("Check hooks.%s: it takes a function name or ARN in the provider's region.", h.kind.attr),
				err:   err,
			}
		} else if err != nil {
			return x.apiFailure(err, fmt.Sprintf("read %s hook function %s", h.kind.attr, h.name))
		}
	}

	if f := x.preflightGates(); f != nil {
		return f
	}

	cur, err := aws.Aliases.GetAlias(x.ctx, r.Function, r.Alias)
	switch {
	case errors.Is(err, ErrNotFound):
		x.exists = false
		x.lastSeenGone = true
	case err != nil:
		return x.apiFailure(err, "read alias "+r.Alias)
	default:
		x.exists = true
		x.see(cur)
		x.left = aliasShape{version: cur.FunctionVersion, weights: copyWeights(nonZero(cur.Weights))}
		x.previous = cur.FunctionVersion
		x.res.PreviousVersion = cur.FunctionVersion
		x.res.AliasARN = cur.ARN
	}

	if r.CodeSha256 != "" {
		if f := x.resolveByHash(); f != nil {
			return f
		}
	}
	if f := x.waitActive(); f != nil {
		return f
	}

	alias := "does not exist yet (first release)"
	if x.exists {
		alias = "serves " + x.left.String()
	}
	x.record(EventPreflight, "ok: function %s, version %s, alias %s %s", x.fn.Name, x.target.Version, r.Alias, alias)
	return nil
}

func (x *run) setTarget(v Version) {
	if v.ARN == "" && x.fn.ARN != "" {
		v.ARN = x.fn.ARN + ":" + v.Version
	}
	x.target = v
	x.res.TargetVersion = v.Version
}

// publishedVersion reads a version to release in version mode.
// readFunction checks the function exists and records its name and ARN.
func (x *run) readFunction() *failure {
	fn, err := x.e.AWS.Functions.GetFunction(x.ctx, x.r.Function)
	if errors.Is(err, ErrNotFound) {
		return &failure{
			cause: fmt.Sprintf("function %q does not exist; nothing was changed", x.r.Function),
			next:  "Check function_name, and that the provider's region and account are the function's.",
			err:   err,
		}
	}
	if err != nil {
		return x.apiFailure(err, "read function "+x.r.Function)
	}
	x.fn = fn
	return nil
}

// functionOf is the function a published version belongs to, from its qualified ARN
// (arn:<partition>:lambda:<region>:<account>:function:<name>:<version>).
func functionOf(v Version) Function {
	parts := strings.Split(v.ARN, ":")
	if len(parts) != 8 {
		return Function{}
	}
	return Function{Name: parts[6], ARN: strings.Join(parts[:7], ":")}
}

func (x *run) publishedVersion(version string) (Version, *failure) {
	v, err := x.e.AWS.Functions.GetVersion(x.ctx, x.r.Function, version)
	if errors.Is(err, ErrNotFound) {
		return Version{}, &failure{
			cause: fmt.Sprintf("version %s of function %s is not published; nothing was changed", version, x.fn.Name),
			next:  "Set version to a published version (publish = true on aws_lambda_function gives one), or use code_sha256 to publish $LATEST.",
			err:   err,
		}
	}
	if err != nil {
		return Version{}, x.apiFailure(err, "read version "+version)
	}
	return v, nil
}

// resolveByHash finds the version to release in code_sha256 mode: the live version when
// its hash matches (so nothing moves), else the newest published version with the hash,
// else a new version published from $LATEST with the hash as precondition.
func (x *run) resolveByHash() *failure {
	r, fns := x.r, x.e.AWS.Functions

	if x.exists && len(nonZero(x.left.weights)) == 0 {
		v, err := fns.GetVersion(x.ctx, r.Function, x.left.version)
		if err == nil && v.CodeSha256 == r.CodeSha256 && v.Version != "$LATEST" {
			x.setTarget(v)
			return nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return x.apiFailure(err, "read version "+x.left.version)
		}
	}

	versions, err := fns.ListVersions(x.ctx, r.Function)
	if err != nil {
		return x.apiFailure(err, "list the versions of "+x.fn.Name)
	}
	for _, v := range sortedVersions(versions) {
		if v.CodeSha256 == r.CodeSha256 {
			x.setTarget(v)
			x.record(EventPublished, "reusing version %s: it already has code_sha256 %s", v.Version, r.CodeSha256)
			return nil
		}
	}

	v, err := fns.PublishVersion(x.ctx, r.Function, r.CodeSha256, r.Description)
	if errors.Is(err, ErrConflict) {
		return &failure{
			cause: fmt.Sprintf("$LATEST changed under the release: AWS refused to publish it because its code no longer has code_sha256 %s; nothing was changed", r.CodeSha256),
			next:  "Someone or something updated the function's code during the apply; run terraform plan and apply again.",
			err:   err,
		}
	}
	if err != nil {
		return x.apiFailure(err, "publish $LATEST of "+x.fn.Name)
	}
	if v.CodeSha256 != r.CodeSha256 {
		return &failure{
			cause: fmt.Sprintf("$LATEST changed under the release: published version %s has code_sha256 %s, not %s; version %s is left unused and nothing else was changed",
				v.Version, v.CodeSha256, r.CodeSha256, v.Version),
			next: "Someone or something updated the function's code during the apply; run terraform plan and apply again.",
		}
	}
	x.setTarget(v)
	x.record(EventPublished, "published version %s from $LATEST (code_sha256 %s)", v.Version, v.CodeSha256)
	return nil
}

// waitActive makes sure the target is Active, waiting a while for a Pending one.
func (x *run) waitActive() *failure {
	deadline := x.clock.Now().Add(activeWaitLimit)
	for {
		v := x.target
		switch v.State {
		case "", "Active":
			return nil
		case "Pending":
			if x.clock.Now().After(deadline) {
				return &failure{
					cause: fmt.Sprintf("version %s is still Pending after %s; nothing was changed", v.Version, activeWaitLimit),
					next:  "Look at the function's state reason in the Lambda console, then run terraform apply again.",
				}
			}
			select {
			case <-x.ctx.Done():
				return x.interrupted(x.ctx.Err(), "waiting for version "+v.Version+" to become Active")
			case <-x.clock.After(activePollInterval):
			}
			nv, err := x.e.AWS.Functions.GetVersion(x.ctx, x.r.Function, v.Version)
			if err != nil {
				return x.apiFailure(err, "read version "+v.Version)
			}
			x.setTarget(nv)
		default:
			return &failure{
				cause: fmt.Sprintf("version %s is %s, not Active; nothing was changed", v.Version, v.State),
				next:  "An Inactive version becomes Active when invoked; a Failed one needs a new version. Then run terraform apply again.",
			}
		}
	}
}

// preflightGates sets up the gates and checks the alarms once before anything changes:
// every alarm exists and none is in ALARM (unless ignore_alarms). Metric gates have
// nothing to check yet: no traffic has reached the target.
func (x *run) preflightGates() *failure {
	if f := x.preflightAlarms(); f != nil {
		return f
	}
	r, aws := x.r, x.e.AWS
	if r.MetricGates == nil || !r.MetricGates.checksAnything() {
		return nil // metric_gates = {} sets no gate: nothing to read
	}
	if aws.Metrics == nil {
		return &failure{
			cause: "metric gates are configured but the engine has no Metrics client to read them; nothing was changed",
			next:  "Remove the metric gates, or configure the provider with CloudWatch access.",
		}
	}
	x.gates = append(x.gates, metricGate{metrics: aws.Metrics, function: x.fn.Name, alias: r.Alias, limits: *r.MetricGates})
	return nil
}

func (x *run) preflightAlarms() *failure {
	r, aws := x.r, x.e.AWS
	if len(r.Alarms) == 0 {
		return nil
	}
	if aws.Alarms == nil {
		return &failure{cause: "alarms are configured but the engine has no Alarms client; nothing was changed"}
	}
	g := alarmGate{alarms: aws.Alarms, names: r.Alarms}
	states, err := g.states(x.ctx)
	if err != nil {
		if x.ctx.Err() != nil {
			return x.interrupted(x.ctx.Err(), "reading alarm states in preflight")
		}
		if !r.IgnorePollAlarmFailure {
			return &failure{
				cause: fmt.Sprintf("could not read the states of %s in preflight: %v; nothing was changed", alarmCount(len(r.Alarms)), err),
				next:  "Check the provider's cloudwatch:DescribeAlarms permission, or set ignore_poll_alarm_failure = true to go on when alarm states cannot be read.",
				err:   err,
			}
		}
		x.ignoreRead(g.reads())
		x.record(EventWarning, "could not read alarm states in preflight (%v); going on (ignore_poll_alarm_failure)", err)
	} else {
		if missing := g.missing(states); len(missing) > 0 {
			return &failure{
				cause: fmt.Sprintf("%s; nothing was changed", quoteList("alarm", missing, "does not exist", "do not exist")),
				next:  "Check the alarm names in alarms (and the provider's region), or remove the ones that are gone.",
				err:   ErrNotFound,
			}
		}
		if firing := g.firing(states); len(firing) > 0 {
			if !r.IgnoreAlarms {
				return &failure{
					cause:  fmt.Sprintf("%s before the release started; nothing was changed", quoteList("alarm", names(firing), "is already in ALARM", "are already in ALARM")),
					reason: reasons(firing),
					next:   "Wait for the alarms to return to OK, or set ignore_alarms = true to ship a hotfix regardless.",
				}
			}
			x.record(EventWarning, "%s; ignored (ignore_alarms)", quoteList("alarm", names(firing), "is in ALARM", "are in ALARM"))
		}
	}

	if r.IgnoreAlarms {
		x.record(EventWarning, "alarms ignored (ignore_alarms): %s not gated", alarmCount(len(r.Alarms)))
		return nil
	}
	x.gates = append(x.gates, g)
	return nil
}

// quoteList says `alarm "a" does not exist` or `alarms "a", "b" do not exist`.
func quoteList(noun string, items []string, one, many string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(items) == 1 {
		return fmt.Sprintf("%s %s %s", noun, q[0], one)
	}
	return fmt.Sprintf("%ss %s %s", noun, strings.Join(q, ", "), many)
}
