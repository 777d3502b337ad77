package shift

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// This file owns Restore: putting an alias back on a known-good version outside a release
// (an incident rollback), through the same guard and rollback loop a release uses.

// RestoreRequest asks Restore to put an alias back on a version.
type RestoreRequest struct {
	Function string // name or unqualified ARN
	Alias    string
	// Version is the version to put back; "" means the one it served before, by the rule
	// of PreviousOf: the primary version when the alias is split, else the version the
	// mark of the release that put the live one there records, else (no record) the
	// newest published version older than the live one. Restored.Previous says which.
	Version string
	// Alarms are checked once after the alias is restored, and reported; they change
	// nothing.
	Alarms []string
	// Timeout bounds the restore; zero means DefaultRollbackTimeout.
	Timeout time.Duration
}

// Restored is what a Restore did: the Result, and what a caller reporting progress shows.
type Restored struct {
	Result
	// WasVersion and WasWeights are the routing the alias had when the restore found it
	// (WasVersion is "" when the alias was not found).
	WasVersion string
	WasWeights map[string]float64
	// Previous is the version the restore went to and the rule that chose it (the zero
	// value when it stopped before choosing).
	Previous Previous
	// AlarmsRead is how many alarms were read after the restore (0: none configured, or
	// the restore failed before); Firing are those in ALARM; AlarmsErr says why they could
	// not be read.
	AlarmsRead int
	Firing     []AlarmState
	AlarmsErr  error
}

// Restore puts an alias back on a version with no weights, in guarded writes with the
// rollback's retries and budget, then checks the alarms once. A release in flight on the
// alias notices the write and stops without touching the alias again; its lease is
// cleared. The Result says what is live; Status is RolledBack, NoChange (it served the
// version already) or Failed, and the error, when not nil, is a *ReleaseError.
func (e *Engine) Restore(ctx context.Context, req RestoreRequest) (Restored, error) {
	x := e.newRun(ctx, Release{Function: req.Function, Alias: req.Alias, Alarms: req.Alarms, RollbackTimeout: req.Timeout})
	x.ending, x.undoing = true, true // a restore leaves no lease
	f := x.restore(req.Version)
	res, err := x.finishRestore(f)
	out := Restored{Result: res, Previous: x.restoreRule, AlarmsRead: x.restoreAlarms.read, Firing: x.restoreAlarms.firing, AlarmsErr: x.restoreAlarms.err}
	if found := x.guard.found; found != nil {
		out.WasVersion, out.WasWeights = found.FunctionVersion, nonZero(found.Weights)
	}
	return out, err
}

// restoreAlarms is what checkAlarmsOnce read.
type restoreAlarms struct {
	read   int
	firing []AlarmState
	err    error
}

// note is what the alarm check adds to a restore's message ("" when no alarm was read).
func (a restoreAlarms) note() string {
	switch {
	case a.read == 0:
		return ""
	case len(a.firing) > 0:
		return fmt.Sprintf("; %s (they may still be catching up)", quoteAlarms(names(a.firing), "is in ALARM", "are in ALARM"))
	case a.err != nil:
		return fmt.Sprintf("; alarm states could not be read (%v)", a.err)
	}
	return "; no alarm is in ALARM"
}

func (x *run) restore(version string) *failure {
	if x.e.AWS.Aliases == nil || x.e.AWS.Functions == nil {
		return &failure{cause: "the engine has no Functions or Aliases client"}
	}
	exists, err := x.guard.find(x.ctx)
	if err != nil {
		return x.apiFailure(err, "read alias "+x.r.Alias)
	}
	if !exists {
		return &failure{
			cause: fmt.Sprintf("alias %s of function %s does not exist; nothing to restore", x.r.Alias, x.r.Function),
			next:  "Check the function and alias names, and the provider's region.",
			err:   ErrNotFound,
		}
	}
	x.res.AliasARN = x.guard.found.ARN
	prev, f := x.restoreTarget(version)
	if f != nil {
		return f
	}
	x.restoreRule = prev
	home := prev.Version
	if prev.Rule == PreviousStay {
		x.record(EventPreflight, "staying on version %s: %s", home, prev.Why)
	} else {
		x.record(EventPreflight, "going back to version %s, %s", home, prev.Why)
	}
	v, err := x.e.AWS.Functions.GetVersion(x.ctx, x.r.Function, home)
	if errors.Is(err, ErrNotFound) {
		next := "Name a published version to restore."
		if prev.Rule != PreviousAsked {
			next = "Name a published version to restore (to_version)."
		}
		return &failure{
			cause: fmt.Sprintf("version %s of function %s is not published (chosen as %s); nothing was changed", home, x.r.Function, prev.Why),
			next:  next,
			err:   err,
		}
	}
	if err != nil {
		return x.apiFailure(err, "read version "+home)
	}
	x.target = v
	x.res.TargetVersion = home
	if l, ok := x.otherLease(); ok {
		x.record(EventWarning, "release %s (run by %s) holds the alias until %s; restoring over it stops that release",
			l.ReleaseID, l.Holder, l.Until.UTC().Format(time.RFC3339))
	}
	if (aliasShape{version: home}).matches(*x.guard.found) {
		x.phase = phaseUnchanged
		x.checkAlarmsOnce()
		return nil
	}
	x.restoredFrom = x.guard.found.FunctionVersion
	if w := nonZero(x.guard.found.Weights); len(w) == 1 {
		for v := range w {
			x.restoredFrom = v // the version being tried is the one taken off
		}
	}
	out := x.rollbackTo(home)
	switch {
	case out.drift != nil:
		return &failure{
			cause: "the restore stopped: " + out.drift.describe(x.r.Alias),
			next:  "Someone else moved the alias while it was restored; read what it serves (terraform plan) and restore again if needed.",
			err:   ErrConflict,
		}
	case !out.done:
		return &failure{
			cause: fmt.Sprintf("could not restore alias %s to version %s: %v", x.r.Alias, home, out.err),
			next: fmt.Sprintf("Try again, or: aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config '{}'",
				x.r.Function, x.r.Alias, home),
			err: out.err,
		}
	}
	x.advance(phasePromoted)
	x.checkAlarmsOnce()
	return nil
}

// restoreTarget is the version to restore: the one asked for, or the one the alias served
// before (PreviousOf), or by the fallback rule when the alias records none.
func (x *run) restoreTarget(version string) (Previous, *failure) {
	if version != "" {
		return Previous{Version: version, Rule: PreviousAsked, Why: "the version asked for (to_version)"}, nil
	}
	found := *x.guard.found
	p, noRecord, ok := PreviousOf(found)
	if ok {
		return p, nil
	}
	if _, err := strconv.Atoi(found.FunctionVersion); err != nil {
		return Previous{}, &failure{
			cause: fmt.Sprintf("alias %s serves %s, which has no previous version; nothing was changed", x.r.Alias, found.FunctionVersion),
			next:  "Name the version to restore.",
		}
	}
	versions, err := x.e.AWS.Functions.ListVersions(x.ctx, x.r.Function)
	if err != nil {
		return Previous{}, x.apiFailure(err, "list the versions of "+x.r.Function)
	}
	older, ok := olderThan(found.FunctionVersion, versions)
	if !ok {
		return Previous{}, &failure{
			cause: fmt.Sprintf("alias %s serves version %s, %s, and no older version is published; nothing was changed", x.r.Alias, found.FunctionVersion, noRecord),
			next:  "Name the version to restore.",
		}
	}
	return Previous{Version: older, Rule: PreviousOlder,
		Why: fmt.Sprintf("the newest published version older than %s, by the fallback rule: %s", found.FunctionVersion, noRecord)}, nil
}

// checkAlarmsOnce reads the alarms after a restore and says which are in ALARM; it
// changes nothing.
func (x *run) checkAlarmsOnce() {
	if len(x.r.Alarms) == 0 || x.e.AWS.Alarms == nil {
		return
	}
	ctx, cancel := x.detached(readBackTimeout)
	defer cancel()
	g := alarmGate{alarms: x.e.AWS.Alarms, names: x.r.Alarms}
	states, err := g.states(ctx)
	firing := g.firing(states)
	x.restoreAlarms = restoreAlarms{read: len(x.r.Alarms), firing: firing, err: err}
	if len(firing) > 0 {
		x.record(EventWarning, "%s after the restore: %s", quoteAlarms(names(firing), "is in ALARM", "are in ALARM"), reasons(firing))
		return
	}
	if err != nil {
		x.record(EventWarning, "could not read alarm states after the restore: %v", err)
		return
	}
	x.record(EventPoll, "%s OK or INSUFFICIENT_DATA after the restore", alarmCount(len(x.r.Alarms)))
}

func (x *run) finishRestore(f *failure) (Result, error) {
	x.res.PreviousVersion = x.previous()
	var rerr *ReleaseError
	switch {
	case f != nil:
		x.res.Status = StatusFailed
		if !x.tripRecorded {
			x.record(EventTrip, "%s", f.cause)
		}
		rerr = &ReleaseError{Cause: f.cause, Reason: f.reason, Next: f.next, Err: f.err, Start: x.res.StartedAt}
	case x.phase == phaseUnchanged:
		x.res.Status = StatusNoChange
	default:
		x.res.Status = StatusRolledBack
	}
	readErr := x.readBack()
	switch {
	case rerr != nil:
		rerr.Live = x.liveText(readErr, "")
		x.res.Message = rerr.Cause + "\n" + rerr.Live
	case x.res.Status == StatusNoChange && x.restoreRule.Rule == PreviousStay:
		x.res.Message = fmt.Sprintf("alias %s already serves version %s with no weights: %s%s", x.r.Alias, x.target.Version, x.restoreRule.Why, x.restoreAlarms.note())
	case x.res.Status == StatusNoChange:
		x.res.Message = fmt.Sprintf("alias %s already serves version %s with no weights%s", x.r.Alias, x.target.Version, x.restoreAlarms.note())
	default:
		x.res.Message = fmt.Sprintf("restored alias %s to version %s with no weights (it served %s)%s",
			x.r.Alias, x.target.Version, shapeOf(*x.guard.found), x.restoreAlarms.note())
	}
	return x.done(rerr)
}
