package shift

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// This file owns preflight: everything checked before anything changes, and finding or
// publishing the version to release (publishing comes last: it is the first change).

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

// preflight checks everything that can be checked before anything changes, then finds or
// publishes the version to release.
func (x *run) preflight() *failure {
	r, aws := x.r, x.e.AWS
	fns := aws.Functions

	if r.Version != "" {
		// The version's configuration names its function: one call proves both exist.
		// The function is read on its own only to tell the user which one is missing.
		v, err := fns.GetVersion(x.ctx, r.Function, r.Version)
		if err == nil {
			x.fn = functionOf(v)
		} else if f := x.readFunction(); f != nil {
			return f
		} else if v, f = x.publishedVersion(r.Version); f != nil {
			return f
		}
		x.setTarget(v)
	} else if f := x.readFunction(); f != nil {
		return f
	}

	// The alias is read before anything is judged: a split an interrupted release left is
	// this release's to finish or undo, and from here on a failure rolls it back.
	exists, err := x.guard.find(x.ctx)
	if err != nil {
		return x.apiFailure(err, "read alias "+r.Alias)
	}
	if exists {
		x.res.AliasARN = x.guard.found.ARN
	}
	if f := x.checkLease(); f != nil {
		return f
	}
	if f := x.settleFound(); f != nil {
		return f
	}
	x.adoptSplit()

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
		hook, err := fns.GetFunction(x.ctx, h.name)
		if errors.Is(err, ErrNotFound) {
			return &failure{
				cause: fmt.Sprintf("%s hook function %q does not exist; nothing was changed", h.kind.attr, h.name),
				next:  fmt.Sprintf("Check hooks.%s: it takes a function name or ARN in the provider's region.", h.kind.attr),
				err:   err,
			}
		} else if err != nil {
			return x.apiFailure(err, fmt.Sprintf("read %s hook function %s", h.kind.attr, h.name))
		}
		if x.hookTimeouts == nil {
			x.hookTimeouts = map[string]time.Duration{}
		}
		x.hookTimeouts[h.name] = hook.Timeout
	}

	if f := x.preflightApproval(); f != nil {
		return f
	}
	if f := x.preflightGates(); f != nil {
		return f
	}
	if f := x.checkWiring(); f != nil {
		return f
	}

	if r.CodeSha256 != "" {
		if f := x.resolveByHash(); f != nil {
			return f
		}
	} else if f := x.routable(x.target); f != nil {
		return f
	}
	if f := x.waitActive(); f != nil {
		return f
	}
	x.checkFlipFlop()

	alias := "does not exist yet (first release)"
	if exists {
		alias = "serves " + x.guard.left.String()
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

// publishedVersion reads a version to release in version mode.
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

// usable says a version can take traffic now or soon (Inactive and Failed ones cannot).
func usable(v Version) bool {
	s := versionState(v)
	return s == stateActive || s == statePending
}

// resolveByHash finds the version to release in code_sha256 mode: the live version when
// everything released matches (so nothing moves), else the newest usable published
// version that matches, else a new version published from $LATEST with the hash as
// precondition. What "matches" means: the code hash, and with ReleaseConfiguration also
// $LATEST's configuration (configuration.go); $LATEST is read first for it.
//
// A version with the hash that is Inactive (Lambda deactivates versions left idle for
// weeks) or Failed is not reused: a new version is published from $LATEST when it has the
// hash, which needs no invocation of the user's code. Lambda publishes nothing new when
// neither code nor configuration changed since the newest version; if that newest version
// is the Inactive one, waitActive says how to wake it (invoke it once) or what to change.
func (x *run) resolveByHash() *failure {
	r, fns := x.r, x.e.AWS.Functions
	g := x.guard

	latest, err := waitFunctionUpdated(x.ctx, x.clock, fns, r.Function)
	if err != nil {
		return x.waitFailure(err, "wait for the function's last update to finish before publishing")
	}
	// The configuration counts only where it can be released: $LATEST is what Lambda
	// publishes, so with other code there it cannot come along.
	withConfig := r.ReleaseConfiguration && latest.CodeSha256 == r.CodeSha256
	matches := func(v Version) bool {
		return v.CodeSha256 == r.CodeSha256 && (!withConfig || len(ConfigurationDiff(v.Configuration, latest.Configuration)) == 0)
	}

	if g.exists() && len(nonZero(g.left.weights)) == 0 {
		v, err := x.previousVersion()
		if err == nil && matches(v) && v.Version != "$LATEST" && usable(v) {
			x.setTarget(v)
			x.noteConfiguration(v, latest)
			return nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return x.apiFailure(err, "read version "+g.left.version)
		}
	}

	versions, err := fns.ListVersions(x.ctx, r.Function)
	if err != nil {
		return x.apiFailure(err, "list the versions of "+x.fn.Name)
	}
	var unusable []string
	for _, v := range sortedVersions(versions) {
		if !matches(v) {
			continue
		}
		if !usable(v) {
			unusable = append(unusable, fmt.Sprintf("%s (%s)", v.Version, v.State))
			continue
		}
		if f := x.routable(v); f != nil {
			return f
		}
		x.setTarget(v)
		what := "code_sha256 " + r.CodeSha256
		if withConfig {
			what += " and $LATEST's configuration"
		}
		x.record(EventPublished, "version %s reused: it already has %s", v.Version, what)
		x.noteConfiguration(v, latest)
		return nil
	}

	if latest.CodeSha256 != r.CodeSha256 {
		return &failure{
			cause: fmt.Sprintf("code_sha256 %s matches no published version of %s, and $LATEST has code_sha256 %s; nothing was changed",
				r.CodeSha256, x.fn.Name, latest.CodeSha256),
			next: codeSha256Mismatch(r.CodeSha256, latest.CodeSha256),
		}
	}
	if f := x.routable(latest); f != nil {
		return f
	}
	if len(unusable) > 0 {
		x.record(EventWarning, "versions with code_sha256 %s cannot take traffic: %s; publishing $LATEST anew", r.CodeSha256, strings.Join(unusable, ", "))
	}
	v, f := x.publish()
	if f != nil {
		return f
	}
	if v.CodeSha256 != r.CodeSha256 {
		return &failure{
			cause: fmt.Sprintf("$LATEST changed under the release: published version %s has code_sha256 %s, not %s; version %s is left unused and nothing else was changed",
				v.Version, v.CodeSha256, r.CodeSha256, v.Version),
			next: "Someone or something updated the function's code during the apply; run terraform plan and apply again.",
		}
	}
	x.setTarget(v)
	detail := fmt.Sprintf("version %s from $LATEST (code_sha256 %s)", v.Version, v.CodeSha256)
	if changed := x.configurationChange(latest); withConfig && len(changed) > 0 {
		detail += fmt.Sprintf("; configuration released: %s", settingList(changed))
	}
	x.record(EventPublished, "%s", detail)
	return nil
}

// configurationChange names the settings in which $LATEST differs from the version the
// alias serves (nil when the alias serves none yet or it cannot be read).
func (x *run) configurationChange(latest Version) []string {
	if x.previous() == "" {
		return nil
	}
	prev, err := x.previousVersion()
	if err != nil {
		return nil
	}
	return ConfigurationDiff(prev.Configuration, latest.Configuration)
}

// noteConfiguration warns when the version chosen for its code does not carry $LATEST's
// configuration: in code-only mode (the line to change is release_configuration), or
// when $LATEST holds other code, so its configuration cannot be published with this code.
// Names of settings only: their values may be secrets.
func (x *run) noteConfiguration(v, latest Version) {
	diff := ConfigurationDiff(v.Configuration, latest.Configuration)
	if len(diff) == 0 {
		return
	}
	if latest.CodeSha256 == x.r.CodeSha256 {
		x.record(EventWarning, "version %s is released for its code (release_configuration = false): its configuration differs from $LATEST's in %s, "+
			"which this release does not carry; set release_configuration = true to release configuration changes", v.Version, settingList(diff))
		return
	}
	x.record(EventWarning, "version %s has code_sha256 %s but $LATEST holds other code (%s), so $LATEST's configuration cannot be released with it: "+
		"version %s keeps its own, which differs from $LATEST's in %s", v.Version, x.r.CodeSha256, latest.CodeSha256, v.Version, settingList(diff))
}

// Backoff between PublishVersion attempts refused because the function is being updated.
const (
	publishFirstBackoff = time.Second
	publishMaxBackoff   = 16 * time.Second
)

// publish publishes $LATEST with the hash as precondition. A function being updated
// refuses it (409 "An update is in progress"): the update is waited for and the publish
// tried again, backing off, within lambdaWaitLimit.
func (x *run) publish() (Version, *failure) {
	r, fns := x.r, x.e.AWS.Functions
	deadline := waitDeadline(x.ctx, x.clock)
	backoff := publishFirstBackoff
	for {
		v, err := fns.PublishVersion(x.ctx, r.Function, r.CodeSha256, r.Description)
		switch {
		case err == nil:
			return v, nil
		case errors.Is(err, ErrInvalidParameter) || errors.Is(err, ErrConflict):
			// $LATEST had the hash a moment ago (it was just read); AWS refusing the
			// precondition now means its code changed in between.
			return Version{}, &failure{
				cause: fmt.Sprintf("$LATEST changed under the release: AWS refused to publish it because its code no longer has code_sha256 %s (%v); nothing was changed", r.CodeSha256, err),
				next:  "Someone or something updated the function's code during the apply; run terraform plan and apply again.",
				err:   err,
			}
		case !errors.Is(err, ErrUpdateInProgress):
			return Version{}, x.apiFailure(err, "publish $LATEST of "+x.fn.Name)
		}
		if !x.clock.Now().Add(backoff).Before(deadline) {
			return Version{}, &failure{
				cause: fmt.Sprintf("could not publish $LATEST of %s: the function was still being updated after %s (%v); nothing was changed", x.fn.Name, lambdaWaitLimit, err),
				next:  "Wait for the function's update to finish (its LastUpdateStatus in the Lambda console), then run terraform apply again.",
				err:   err,
			}
		}
		x.record(EventPublished, "the function is being updated; publishing again in %s", backoff)
		if err := pause(x.ctx, x.clock, backoff); err != nil {
			return Version{}, x.interrupted(err, "waiting to publish $LATEST")
		}
		if _, err := waitFunctionUpdated(x.ctx, x.clock, fns, r.Function); err != nil {
			return Version{}, x.waitFailure(err, "wait for the function's last update to finish before publishing")
		}
		backoff = min(2*backoff, publishMaxBackoff)
	}
}

// waitFailure turns an error of a wait for Lambda into a failure.
func (x *run) waitFailure(err error, doing string) *failure {
	if cerr := x.ctx.Err(); cerr != nil {
		return x.interrupted(cerr, doing)
	}
	if errors.Is(err, errWaitTimedOut) {
		return &failure{
			cause: fmt.Sprintf("could not %s: %v; nothing was changed", doing, err),
			next:  "Look at the function's state and last update status in the Lambda console, then run terraform apply again.",
		}
	}
	return x.apiFailure(err, doing)
}

// previousVersion reads the version the alias serves (once per release).
func (x *run) previousVersion() (Version, error) {
	if x.prev != nil {
		return *x.prev, nil
	}
	v, err := findVersion(x.ctx, x.e.AWS.Functions, x.r.Function, x.previous())
	if err == nil {
		x.prev = &v
	}
	return v, err
}

// routable refuses a gradual release Lambda would refuse: weights route traffic only
// between versions with the same execution role and dead-letter configuration, and never
// to or from $LATEST (Lambda developer guide, "Alias routing configuration";
// InvalidParameterValueException otherwise). It is checked before anything changes.
// candidate is the version to release, or $LATEST about to be published as it.
func (x *run) routable(candidate Version) *failure {
	prev := x.previous()
	if len(x.r.Schedule.Steps) == 0 || prev == "" || prev == candidate.Version {
		return nil // AllAtOnce, first release, or nothing moves
	}
	allAtOnce := "A release AllAtOnce (leave traffic_shift out) moves the alias in one write and works; later releases between versions that match can shift gradually."
	if prev == "$LATEST" {
		return &failure{
			cause: fmt.Sprintf("alias %s serves $LATEST, and Lambda cannot route weighted traffic between $LATEST and a version, so a gradual release cannot start; nothing was changed", x.r.Alias),
			next:  allAtOnce,
		}
	}
	pv, err := x.previousVersion()
	if err != nil {
		return x.apiFailure(err, "read version "+prev+", which alias "+x.r.Alias+" serves")
	}
	name := "version " + candidate.Version
	if candidate.Version == "$LATEST" {
		name = "$LATEST (the version to publish)"
	}
	var diffs []string
	if pv.Role != candidate.Role {
		diffs = append(diffs, fmt.Sprintf("execution role %s, not %s", orNone(candidate.Role), orNone(pv.Role)))
	}
	if pv.DeadLetterTarget != candidate.DeadLetterTarget {
		diffs = append(diffs, fmt.Sprintf("dead-letter target %s, not %s", orNone(candidate.DeadLetterTarget), orNone(pv.DeadLetterTarget)))
	}
	if len(diffs) == 0 {
		return nil
	}
	return &failure{
		cause: fmt.Sprintf("%s has %s as version %s (live on alias %s) has; Lambda routes weighted traffic only between versions with the same execution role and dead-letter configuration, so a gradual release cannot start; nothing was changed",
			name, strings.Join(diffs, " and "), prev, x.r.Alias),
		next: allAtOnce + " Or give the new code the same role and dead-letter configuration as version " + prev + ".",
	}
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// waitActive makes sure the target can take traffic, waiting a while for a Pending one.
func (x *run) waitActive() *failure {
	v, err := waitVersionActive(x.ctx, x.clock, x.e.AWS.Functions, x.r.Function, x.target)
	if err != nil {
		if errors.Is(err, errWaitTimedOut) {
			return &failure{
				cause: fmt.Sprintf("%v; nothing was changed", err),
				next:  "Look at the version's state reason in the Lambda console, then run terraform apply again.",
			}
		}
		return x.waitFailure(err, "wait for version "+x.target.Version+" to become Active")
	}
	x.setTarget(v)
	switch versionState(v) {
	case stateActive:
		return nil
	case stateInactive:
		return &failure{
			cause: fmt.Sprintf("version %s is Inactive, not Active (Lambda deactivates versions left idle for weeks); nothing was changed", v.Version),
			next: fmt.Sprintf("Invoke it once to make Lambda reactivate it (aws lambda invoke --function-name %s:%s out.json), wait for its state to be Active, then run terraform apply again; or release new code.",
				x.fn.Name, v.Version),
		}
	default:
		return &failure{
			cause: fmt.Sprintf("version %s is %s, not Active; nothing was changed", v.Version, v.State),
			next:  "A Failed version cannot take traffic: see its state reason in the Lambda console, fix the cause, and release a new version.",
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
	} else if missing := g.missing(states); len(missing) > 0 {
		return &failure{
			cause: fmt.Sprintf("%s; nothing was changed", quoteAlarms(missing, "does not exist", "do not exist")),
			next:  "Check the alarm names in alarms (and the provider's region), or remove the ones that are gone.",
			err:   ErrNotFound,
		}
	}
	// The alarms that could be read still gate, whatever could not be read.
	if firing := g.firing(states); len(firing) > 0 {
		if !r.IgnoreAlarms && x.split != nil {
			return x.firingOverSplit(firing)
		}
		if !r.IgnoreAlarms {
			return &failure{
				cause:  fmt.Sprintf("%s before the release started; nothing was changed", quoteAlarms(names(firing), "is already in ALARM", "are already in ALARM")),
				reason: reasons(firing),
				next:   "Wait for the alarms to return to OK, or set ignore_alarms = true to ship a hotfix regardless.",
			}
		}
		x.record(EventWarning, "%s; ignored (ignore_alarms)", quoteAlarms(names(firing), "is in ALARM", "are in ALARM"))
	}

	if r.IgnoreAlarms {
		x.record(EventWarning, "alarms ignored (ignore_alarms): %s not gated", alarmCount(len(r.Alarms)))
		return nil
	}
	x.gates = append(x.gates, g)
	return nil
}

// quoteAlarms says `alarm "a" does not exist` or `alarms "a", "b" do not exist`.
func quoteAlarms(items []string, one, many string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	if len(items) == 1 {
		return fmt.Sprintf("alarm %s %s", q[0], one)
	}
	return fmt.Sprintf("alarms %s %s", strings.Join(q, ", "), many)
}

// adoptSplit takes over an alias left split by a release that was interrupted (its lease
// ran out, its holder is gone, or it left none; a live lease of another release refused
// the release before this). Nobody watches that split any more: from here on any failure,
// in preflight too, rolls it back to its primary, and it is resumed only when every check
// passes (see handleSplit).
func (x *run) adoptSplit() {
	g := x.guard
	if !g.exists() {
		return
	}
	if len(nonZero(g.left.weights)) == 0 {
		x.adoptPromoted()
		return
	}
	split := aliasShape{version: g.left.version, weights: copyWeights(nonZero(g.left.weights))}
	x.split = &split
	x.advance(phaseShifting)
}

// adoptPromoted takes over an alias an interrupted release already promoted: it serves
// one version with that release's lease on it, which records a different version as the
// one served before (From). Its post_traffic hook and last checks never ran, so it is part
// of that release like the members it left split: resumed, it counts as promoted; restored
// or rolled back, it goes back to From with the others. A lease without From (written
// before it was recorded) cannot tell a promoted alias from one only prepared: it is
// treated as unchanged, with a warning.
func (x *run) adoptPromoted() {
	g := x.guard
	if x.interruptedBy == "" || g.found == nil {
		return
	}
	l, ok := ParseLease(g.found.Description)
	if !ok || l.ReleaseID == x.res.DeploymentID {
		return
	}
	if l.From == "" {
		x.record(EventWarning, "%salias %s serves %s under the lease of interrupted release %s, which records no previous version (written by an older provider): "+
			"if that release promoted it, it stays on %s whatever this release does; check it by hand", x.memberLabel(), x.r.Alias, g.left.version, l.ReleaseID, g.left.version)
		return
	}
	if l.From == g.left.version {
		return // the lease of a release that had not moved traffic yet
	}
	x.promotedFrom = l.From
	split := g.left
	x.split = &split
	x.advance(phaseShifting)
	x.record(EventWarning, "%salias %s was promoted onto %s (from %s) by %s, which was interrupted before it finished: it is part of that release, resumed or restored with it",
		x.memberLabel(), x.r.Alias, g.left.version, l.From, x.interruptedRelease())
}

// memberLabel names a group's member ("member api: "), "" in a release of one alias.
func (x *run) memberLabel() string {
	if x.key == "" || x.key == x.r.Function+":"+x.r.Alias {
		return ""
	}
	return "member " + x.key + ": "
}

// interrupted names the release that left the split this release adopted.
func (x *run) interruptedRelease() string {
	if x.interruptedBy != "" {
		return x.interruptedBy
	}
	return "an earlier release"
}

// firingOverSplit is the failure of a release that finds alarms in ALARM over a split an
// interrupted release left: the canary took traffic while nobody watched it and the
// alarms fired. The split is rolled back (finish rolls back an adopted split) and the
// release stops; ignore_alarms is not offered: it would ship the failing version.
func (x *run) firingOverSplit(firing []AlarmState) *failure {
	s := *x.split
	var canary []string
	for v, w := range s.weights {
		canary = append(canary, fmt.Sprintf("%s%% on version %s", FormatPercent(w*100), v))
	}
	sort.Strings(canary)
	left, undone := "split at "+s.String(), "split"
	if x.promotedFrom != "" {
		undone = "promotion"
		canary = []string{"100% on version " + s.version}
		left = fmt.Sprintf("promoted on %s (from %s)", s.version, x.promotedFrom)
	}
	why := ""
	if x.interruptedWhy != "" {
		why = " (" + x.interruptedWhy + ")"
	}
	return &failure{
		cause: fmt.Sprintf("%s, and alias %s was left %s by %s, which was interrupted%s: "+
			"the %s is rolled back to version %s before anything else, and the release stops",
			quoteAlarms(names(firing), "is in ALARM", "are in ALARM"), x.r.Alias, left, x.interruptedRelease(), why, undone, x.previous()),
		reason: reasons(firing),
		next: fmt.Sprintf("%s took traffic while no release watched it, and the alarms fired: find out why (the alarm's history, "+
			"the function's logs) and fix it, then run terraform apply again once the alarms are back to OK.", strings.Join(canary, " and ")),
	}
}
