package shift

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Restore asks for an alias to be put back on a version outside a release: the incident
// button. The alias moves through the same guarded rollback a failed release uses.
type Restore struct {
	Function string
	Alias    string
	// ToVersion is the version to serve; "" means the one the alias served before its
	// current version (see RestoreTarget).
	ToVersion string
	// Alarms are checked once after the move; a firing alarm is reported, not undone.
	Alarms []string
	// Timeout bounds the move, retries included. Zero means DefaultRollbackTimeout.
	Timeout time.Duration
}

// Restored says what Restore did.
type Restored struct {
	Function string // the plain function name
	AliasARN string
	// Was is the alias as found: "5 with no weights", "4 with 10% on 5".
	Was        string
	WasVersion string
	WasWeights map[string]float64
	// To is the version the alias serves now, with no weights.
	To string
	// Moved is false when the alias already served To with no weights.
	Moved bool
	// Alarms is the alarm check after the move: nil when no alarms were given.
	Alarms *AlarmCheck
	// Timeline holds the events of the move, as a release's does.
	Timeline []Event
}

// AlarmCheck is one read of the alarms after a restore.
type AlarmCheck struct {
	Firing  []AlarmState // in ALARM
	Summary string       // "2 OK", "1 OK, 1 INSUFFICIENT_DATA"
	Err     error        // the alarms could not be read (or one no longer exists)
}

// RestoreTarget picks the version a restore goes back to when none is given: for an alias
// split between versions, its primary (the weighted version is the one being tried); for
// an alias on one version, the newest published version older than it. Versions deleted
// since are skipped, so this is the version served before the current one as long as
// releases went up one version at a time; otherwise name the version.
func RestoreTarget(a Alias, versions []Version) (string, error) {
	if len(nonZero(a.Weights)) > 0 {
		return a.FunctionVersion, nil
	}
	cur, err := strconv.Atoi(a.FunctionVersion)
	if err != nil {
		return "", fmt.Errorf("alias %s serves %s, not a published version: name the version to go back to", a.Name, a.FunctionVersion)
	}
	best := 0
	for _, v := range versions {
		if n, err := strconv.Atoi(v.Version); err == nil && n < cur && n > best {
			best = n
		}
	}
	if best == 0 {
		return "", fmt.Errorf("alias %s serves version %d and no older published version exists: nothing to go back to", a.Name, cur)
	}
	return strconv.Itoa(best), nil
}

// Restore puts the alias back on a version with no weights, through the guarded rollback
// (read, compare with what was found, write with the RevisionId just read, read back),
// detached from ctx with its own deadline so that an interrupt cannot leave it half done.
// Then it reads the alarms once. A missing function, alias or version is an error
// wrapping ErrNotFound; an alias moved by someone else meanwhile is left alone and
// reported.
func (e *Engine) Restore(ctx context.Context, req Restore) (Restored, error) {
	aliases := e.AWS.Aliases
	cur, err := aliases.GetAlias(ctx, req.Function, req.Alias)
	if errors.Is(err, ErrNotFound) {
		return Restored{}, fmt.Errorf("alias %s of function %s: %w", req.Alias, req.Function, ErrNotFound)
	}
	if err != nil {
		return Restored{}, fmt.Errorf("read alias %s of function %s: %w", req.Alias, req.Function, err)
	}
	out := Restored{
		Function:   functionOf(Version{ARN: cur.ARN}).Name,
		AliasARN:   cur.ARN,
		Was:        shapeOf(cur).String(),
		WasVersion: cur.FunctionVersion,
		WasWeights: copyWeights(nonZero(cur.Weights)),
	}
	if out.Function == "" {
		out.Function = req.Function
	}

	target := req.ToVersion
	if target == "" {
		var versions []Version
		if len(nonZero(cur.Weights)) == 0 {
			if versions, err = e.AWS.Functions.ListVersions(ctx, req.Function); err != nil {
				return out, fmt.Errorf("list the versions of function %s: %w", req.Function, err)
			}
		}
		if target, err = RestoreTarget(cur, versions); err != nil {
			return out, err
		}
	} else if _, err := e.AWS.Functions.GetVersion(ctx, req.Function, target); err != nil {
		return out, fmt.Errorf("version %s of function %s: %w", target, req.Function, err)
	}
	out.To = target

	x := &run{
		e: e, ctx: ctx, clock: e.clock(),
		r:        Release{Function: req.Function, Alias: req.Alias, Version: target, RollbackTimeout: req.Timeout},
		res:      &Result{DeploymentID: e.newID(), StartedAt: e.clock().Now()},
		target:   Version{Version: target},
		previous: target,
		exists:   true,
		left:     shapeOf(cur),
	}
	if x.left.version == target && len(nonZero(cur.Weights)) == 0 {
		x.record(EventDone, "alias %s already serves %s with no weights", req.Alias, target)
	} else {
		o := x.rollback()
		out.Timeline = x.res.Timeline
		switch {
		case o.drift != nil:
			return out, fmt.Errorf("%s. Nothing was written; check who moved it, then invoke the action again", o.drift.describe(req.Alias))
		case !o.done:
			return out, fmt.Errorf("%s %s", x.rollbackFailedText(o.err), restoreByHandText(req.Function, req.Alias, target))
		}
		out.Moved = x.rollbackWrote
	}

	if len(req.Alarms) > 0 {
		out.Alarms = &AlarmCheck{}
		v, err := alarmGate{alarms: e.AWS.Alarms, names: req.Alarms}.check(ctx, checkpoint{where: "after the move to " + target, now: x.clock.Now()})
		switch {
		case err != nil:
			out.Alarms.Err = err
			x.record(EventWarning, "alarm states could not be read after the move: %v", err)
		case v.tripped:
			states, _ := alarmGate{alarms: e.AWS.Alarms, names: req.Alarms}.states(ctx)
			out.Alarms.Firing = alarmGate{names: req.Alarms}.firing(states)
			x.record(EventWarning, "%s", v.cause)
		default:
			out.Alarms.Summary = v.detail
			x.record(EventDone, "%s", v.detail)
		}
	}
	out.Timeline = x.res.Timeline
	return out, nil
}

// restoreByHandText says how to finish a restore that could not complete.
func restoreByHandText(function, alias, version string) string {
	return fmt.Sprintf("Invoke the action again, or: aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config '{}'",
		function, alias, version)
}
