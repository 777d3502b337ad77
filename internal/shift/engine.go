package shift

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Engine runs releases. AWS is required; the rest have defaults: Clock RealClock, no
// Observer, NewID a random "d-" + 12 hex digits.
type Engine struct {
	AWS      AWS
	Clock    Clock
	Observer Observer
	NewID    func() string
}

// readBackTimeout bounds the reads that fill in Result after a release, which run
// detached from the caller's context so an interrupted release still reports the truth.
const readBackTimeout = 30 * time.Second

// run is the state of one release in progress.
type run struct {
	e     *Engine
	ctx   context.Context
	r     Release
	clock Clock
	res   *Result

	fn       Function
	target   Version
	previous string // what the alias served before; rollback goes back to it

	exists  bool       // the alias existed when the release started
	left    aliasShape // the alias as this release found it or last left it
	wrote   bool       // this release has written the alias
	created bool       // this release created the alias (rollback deletes it)
	shifted bool       // the target has taken traffic through this release (or the one it resumes)
	// pending is a write whose outcome is unknown: UpdateAlias failed, but the write may
	// have landed (a timeout after AWS applied it). The rollback accepts either shape.
	pending       *aliasShape
	rollbackWrote bool    // the rollback had to write (else the alias was already home)
	percent       float64 // traffic on the target now

	gates     []gate
	interval  time.Duration
	stepStart time.Time // when the current hold began
	// ignoredReads counts gate reads that failed and were let pass (ignore_poll_alarm_failure),
	// by what was read ("alarm states", "metrics").
	ignoredReads map[string]int
	metricsSeen  string // what the metric gates last saw, for the success message
	tripRecorded bool   // the timeline already says what stopped the release

	// lastSeen is the alias as last read, for messages when a rollback cannot finish;
	// lastSeenGone says the last read found no alias.
	lastSeen     *Alias
	lastSeenGone bool
}

// aliasShape is what the guard compares: the primary version and the weights.
type aliasShape struct {
	version string
	weights map[string]float64
}

func shapeOf(a Alias) aliasShape { return aliasShape{version: a.FunctionVersion, weights: a.Weights} }

func (s aliasShape) matches(a Alias) bool {
	if s.version != a.FunctionVersion || len(nonZero(s.weights)) != len(nonZero(a.Weights)) {
		return false
	}
	for k, w := range nonZero(s.weights) {
		if math.Abs(a.Weights[k]-w) > 1e-9 {
			return false
		}
	}
	return true
}

func (s aliasShape) String() string { return aliasState(s.version, nonZero(s.weights)) }

// nonZero drops zero weights, which AWS treats as no routing to that version.
func nonZero(w map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(w))
	for k, v := range w {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func (e *Engine) clock() Clock {
	if e.Clock != nil {
		return e.Clock
	}
	return RealClock{}
}

func (e *Engine) newID() string {
	if e.NewID != nil {
		return e.NewID()
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "d-" + hex.EncodeToString(b)
}

// Run performs one release (SPEC 3.2): preflight, publish or reuse the version, the
// pre_traffic hook, each weighted step held while gates are polled, promotion, a last
// gate check, the post_traffic hook, then version retention. Anything that trips rolls
// the alias back on a context detached from ctx. Result is filled in on every outcome;
// the error, when not nil, is a *ReleaseError.
func (e *Engine) Run(ctx context.Context, r Release) (Result, error) {
	x := &run{e: e, ctx: ctx, r: r, clock: e.clock()}
	x.res = &Result{DeploymentID: e.newID(), StartedAt: x.clock.Now()}
	x.interval = pollInterval(r)
	return x.finish(x.release())
}

func (x *run) release() *failure {
	if f := x.validate(); f != nil {
		return f
	}
	if f := x.preflight(); f != nil {
		return f
	}
	if x.exists && len(nonZero(x.left.weights)) > 0 {
		if f := x.handleSplit(); f != nil {
			return f
		}
	}
	if x.exists && x.left.version == x.target.Version && len(nonZero(x.left.weights)) == 0 {
		x.res.Status = StatusNoChange
		return nil
	}

	if f := x.runHook(preTraffic, x.r.PreTrafficHook, "before traffic moved"); f != nil {
		return f
	}

	if !x.exists {
		return x.firstRelease()
	}

	steps := x.r.Schedule.Steps
	for i, s := range steps {
		if s.Percent < x.percent-1e-9 {
			continue // resumed past this step
		}
		where := fmt.Sprintf("at step %d of %d (%s%% on version %s)", i+1, len(steps), FormatPercent(s.Percent), x.target.Version)
		if s.Percent > x.percent+1e-9 {
			weights := map[string]float64{x.target.Version: roundPercent(s.Percent) / 100}
			if f := x.write(x.previous, weights, "shift "+where); f != nil {
				return f
			}
			x.shifted = true
			x.percent = s.Percent
			x.record(EventShift, "%s%% → %s (step %d of %d, hold %s)", FormatPercent(s.Percent), x.target.Version, i+1, len(steps), s.Hold)
		} else {
			// Resumed at this very step: how long it was held before the interruption is
			// unknown, so it is held in full again before traffic moves on.
			x.record(EventShift, "%s%% → %s already (step %d of %d): holding it again for %s", FormatPercent(s.Percent), x.target.Version, i+1, len(steps), s.Hold)
		}
		if f := x.hold(s.Hold, where); f != nil {
			return f
		}
	}
	if n := len(steps); n > 0 && x.percent > steps[n-1].Percent+1e-9 && x.percent < 100 {
		// Resumed above every step of this schedule (it changed since): hold what is live
		// as long as the last step before promoting.
		last := steps[n-1]
		where := fmt.Sprintf("at %s%% on version %s (resumed above the last step)", FormatPercent(x.percent), x.target.Version)
		x.record(EventShift, "%s%% → %s already, above the last step: holding it for %s", FormatPercent(x.percent), x.target.Version, last.Hold)
		if f := x.hold(last.Hold, where); f != nil {
			return f
		}
	}

	where := fmt.Sprintf("after promotion (100%% on version %s)", x.target.Version)
	if f := x.write(x.target.Version, nil, "promote "+x.target.Version); f != nil {
		return f
	}
	x.shifted = true
	x.percent = 100
	x.record(EventPromote, "100%% → %s (was %s)", x.target.Version, x.previous)
	if f := x.checkGates(where); f != nil {
		return f
	}
	return x.runHook(postTraffic, x.r.PostTrafficHook, where)
}

// firstRelease creates the alias on the target: with no previous version there is
// nothing to shift from. Hooks and gates still run; rollback deletes the alias.
func (x *run) firstRelease() *failure {
	a, err := x.e.AWS.Aliases.CreateAlias(x.ctx, x.r.Function, x.r.Alias, x.target.Version, "")
	if errors.Is(err, ErrConflict) {
		return &failure{
			cause: fmt.Sprintf("alias %s was created outside this release while it ran", x.r.Alias),
			drift: fmt.Sprintf("alias %s did not exist at preflight but exists now; it was created outside this release, which stopped without touching it.", x.r.Alias),
			next:  nextDrift,
			err:   err,
		}
	}
	if err != nil {
		return x.apiFailure(err, "create alias "+x.r.Alias+" on version "+x.target.Version)
	}
	x.created, x.shifted, x.wrote = true, true, true
	x.left = aliasShape{version: x.target.Version}
	x.percent = 100
	if a.ARN != "" {
		x.res.AliasARN = a.ARN
	}
	x.record(EventPromote, "created alias %s on %s (first release: nothing to shift from)", x.r.Alias, x.target.Version)
	where := fmt.Sprintf("after creating the alias (100%% on version %s)", x.target.Version)
	if f := x.checkGates(where); f != nil {
		return f
	}
	return x.runHook(postTraffic, x.r.PostTrafficHook, where)
}

// handleSplit deals with an alias left split by an earlier, interrupted release
// (SPEC 3.3): resume when the weighted version is the target, else restore the primary.
func (x *run) handleSplit() *failure {
	w := nonZero(x.left.weights)
	if tw, ok := w[x.target.Version]; ok && len(w) == 1 {
		x.previous = x.left.version
		x.res.PreviousVersion = x.previous
		x.percent = roundPercent(tw * 100)
		x.shifted = true
		x.record(EventShift, "resuming: alias %s was left split at %s; continuing from %s%% on %s with %s as the previous version",
			x.r.Alias, x.left, FormatPercent(x.percent), x.target.Version, x.previous)
		return nil
	}
	found := x.left.String()
	if f := x.write(x.left.version, nil, "restore the primary version "+x.left.version); f != nil {
		return f
	}
	x.previous = x.left.version
	x.res.PreviousVersion = x.previous
	x.record(EventRollback, "alias %s was left split at %s; restored %s with no weights before releasing %s",
		x.r.Alias, found, x.previous, x.target.Version)
	return nil
}

// write is a guarded alias write (SPEC 3.3) on the caller's context.
func (x *run) write(version string, weights map[string]float64, doing string) *failure {
	err := x.guardedUpdate(x.ctx, version, weights)
	var d *driftError
	if errors.As(err, &d) {
		return x.driftFailure(d)
	}
	if err != nil {
		return x.apiFailure(err, doing)
	}
	return nil
}

// driftError says the alias is no longer as this release left it.
type driftError struct {
	found    *Alias // nil when the alias is gone or could not be read again
	conflict bool   // UpdateAlias refused the RevisionId
	left     aliasShape
	wrote    bool
}

func (d *driftError) Error() string { return d.describe("") }

func (d *driftError) describe(alias string) string {
	now := "no longer exists"
	if d.found != nil {
		now = "now serves " + shapeOf(*d.found).String()
	} else if d.conflict {
		now = "was written by someone else (its RevisionId changed)"
	}
	verb := "left it at"
	if !d.wrote {
		verb = "found it at"
	}
	return fmt.Sprintf("alias %s %s; this release %s %s; it was changed outside this release, which stopped without touching it",
		alias, now, verb, d.left)
}

// guardedUpdate reads the alias, checks it is as this release left it, and writes it with
// the RevisionId just read. It returns a *driftError when someone else moved it.
func (x *run) guardedUpdate(ctx context.Context, version string, weights map[string]float64) error {
	aliases := x.e.AWS.Aliases
	cur, err := aliases.GetAlias(ctx, x.r.Function, x.r.Alias)
	if errors.Is(err, ErrNotFound) {
		x.lastSeen, x.lastSeenGone = nil, true
		return &driftError{left: x.left, wrote: x.wrote}
	}
	if err != nil {
		return err
	}
	x.see(cur)
	if !x.left.matches(cur) {
		return &driftError{found: &cur, left: x.left, wrote: x.wrote}
	}
	want := aliasShape{version: version, weights: copyWeights(weights)}
	x.pending = &want
	_, err = aliases.UpdateAlias(ctx, AliasUpdate{
		Function:        x.r.Function,
		Alias:           x.r.Alias,
		FunctionVersion: version,
		Weights:         weights,
		RevisionID:      cur.RevisionID,
	})
	if errors.Is(err, ErrConflict) {
		x.pending = nil // refused: it did not land
		d := &driftError{conflict: true, left: x.left, wrote: x.wrote}
		if now, rerr := aliases.GetAlias(ctx, x.r.Function, x.r.Alias); rerr == nil {
			x.see(now)
			if !x.left.matches(now) {
				d.found = &now
			}
		}
		return d
	}
	if err != nil {
		return err
	}
	x.wrote = true
	x.left, x.pending = want, nil
	x.see(Alias{FunctionVersion: version, Weights: copyWeights(weights)})
	return nil
}

func (x *run) see(a Alias) {
	x.lastSeen, x.lastSeenGone = &a, false
}

func copyWeights(w map[string]float64) map[string]float64 {
	if len(w) == 0 {
		return nil
	}
	out := make(map[string]float64, len(w))
	for k, v := range w {
		out[k] = v
	}
	return out
}

func (x *run) driftFailure(d *driftError) *failure {
	return &failure{
		cause: fmt.Sprintf("alias %s was changed outside this release", x.r.Alias),
		drift: d.describe(x.r.Alias) + ".",
		next:  nextDrift,
		err:   ErrConflict,
	}
}

// apiFailure turns an AWS error into a failure, or into an interruption when the caller's
// context ended (the SDK reports that as an error of the call in flight).
func (x *run) apiFailure(err error, doing string) *failure {
	if cerr := x.ctx.Err(); cerr != nil {
		return x.interrupted(cerr, doing)
	}
	next := nextApplyAgain
	if errors.Is(err, ErrThrottled) {
		next = "AWS kept throttling the requests; run terraform apply again later, or raise max_retries in the provider block."
	}
	return &failure{cause: fmt.Sprintf("could not %s: %v", doing, err), next: next, err: err}
}

func (x *run) interrupted(cause error, doing string) *failure {
	why := "it was cancelled"
	if errors.Is(cause, context.DeadlineExceeded) {
		why = "its timeout expired"
	}
	return &failure{
		cause:       fmt.Sprintf("the release was interrupted (%s) during: %s", why, doing),
		next:        "Run terraform apply again to release again; raise the create/update timeouts if the schedule needs longer.",
		err:         cause,
		interrupted: true,
	}
}

// finish turns the outcome into a Result and an error, rolling back when traffic moved.
func (x *run) finish(f *failure) (Result, error) {
	var rerr *ReleaseError
	liveNote := ""
	if f == nil {
		if x.res.Status == "" {
			x.res.Status = StatusSucceeded
		}
		if x.res.Status == StatusSucceeded {
			x.retain()
		}
	} else {
		if !x.tripRecorded {
			x.record(EventTrip, "%s", f.cause)
		}
		rerr = &ReleaseError{Cause: f.cause, Reason: f.reason, Next: f.next, Err: f.err, Start: x.res.StartedAt}
		switch {
		case f.drift != "":
			x.res.Status = StatusFailed
			rerr.Live = "The " + f.drift
		case x.shifted || x.created || x.pending != nil:
			out := x.rollback()
			switch {
			case out.done && (x.shifted || x.created || x.rollbackWrote):
				x.res.Status = StatusRolledBack
				liveNote = "rolled back"
			case out.done: // the failed write had not landed: nothing moved
				x.res.Status = StatusFailed
				liveNote = "unchanged"
			case out.drift != nil:
				x.res.Status = StatusFailed
				rerr.Live = "The rollback stopped: " + out.drift.describe(x.r.Alias) + "."
				rerr.Next = nextDrift
			default:
				x.res.Status = StatusFailed
				rerr.Live = x.rollbackFailedText(out.err)
				rerr.Next = x.finishRollbackText()
			}
		default:
			x.res.Status = StatusFailed
			liveNote = "unchanged"
			if x.wrote {
				liveNote = "traffic never moved to " + x.target.Version
			}
		}
	}

	readErr := x.readBack()
	if rerr != nil && rerr.Live == "" {
		rerr.Live = x.liveText(readErr, liveNote)
	}

	x.res.Message = x.message(rerr)
	x.res.FinishedAt = x.clock.Now()
	x.record(EventDone, "%s: %s", x.res.Status, firstLine(x.res.Message))
	if rerr == nil {
		return *x.res, nil
	}
	rerr.Status = x.res.Status
	rerr.Timeline = x.res.Timeline
	return *x.res, rerr
}

func (x *run) message(rerr *ReleaseError) string {
	switch {
	case rerr != nil:
		return rerr.Cause + "\n" + rerr.Live
	case x.res.Status == StatusNoChange:
		return fmt.Sprintf("alias %s already serves version %s; nothing to release", x.r.Alias, x.target.Version)
	}
	how := x.r.Schedule.Name
	if how == "" {
		how = allAtOnce
	}
	from := "created the alias"
	if x.previous != "" {
		from = "previous version " + x.previous
	}
	msg := fmt.Sprintf("released version %s to alias %s (%s, %s) in %s", x.target.Version, x.r.Alias, how, from,
		formatOffset(x.clock.Now().Sub(x.res.StartedAt)))
	if x.r.IgnoreAlarms && len(x.r.Alarms) > 0 {
		msg += "; alarms were ignored (ignore_alarms)"
	}
	if x.metricsSeen != "" {
		msg += "; metric gates passed, last read " + x.metricsSeen
	}
	for _, what := range []string{alarmGate{}.reads(), metricGate{}.reads()} {
		if n := x.ignoredReads[what]; n > 0 {
			msg += fmt.Sprintf("; %s could not be read %d times and the release went on (ignore_poll_alarm_failure)", what, n)
		}
	}
	return msg
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// readBack fills in what is live now, detached from the caller's context so that an
// interrupted release still records the truth.
func (x *run) readBack() error {
	if x.e.AWS.Aliases == nil || x.r.Function == "" || x.r.Alias == "" {
		return errors.New("nothing to read")
	}
	if (x.res.Status == StatusSucceeded || x.res.Status == StatusNoChange) && x.res.AliasARN != "" && x.left.version == x.target.Version {
		// What is live is what this release's last write left (or, for NoChange, what
		// preflight just read): every write was guarded, so a read would only repeat it.
		x.res.AliasExists = true
		x.res.LiveVersion = x.left.version
		x.res.LiveWeights = copyWeights(nonZero(x.left.weights))
		x.res.LiveCodeSha256 = x.target.CodeSha256
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.ctx), readBackTimeout)
	defer cancel()
	a, err := x.e.AWS.Aliases.GetAlias(ctx, x.r.Function, x.r.Alias)
	if errors.Is(err, ErrNotFound) {
		x.res.AliasExists = false
		x.res.AliasARN, x.res.LiveVersion, x.res.LiveWeights, x.res.LiveCodeSha256 = "", "", nil, ""
		x.lastSeen, x.lastSeenGone = nil, true
		return nil
	}
	if err != nil {
		return err
	}
	x.see(a)
	x.res.AliasExists = true
	x.res.AliasARN = a.ARN
	x.res.LiveVersion = a.FunctionVersion
	x.res.LiveWeights = copyWeights(nonZero(a.Weights))
	switch {
	case a.FunctionVersion == x.target.Version && x.target.CodeSha256 != "":
		// The usual case after a release: preflight read the target's hash already, and a
		// version's code never changes, so asking again would only cost a call.
		x.res.LiveCodeSha256 = x.target.CodeSha256
	case x.e.AWS.Functions != nil:
		if v, err := x.e.AWS.Functions.GetVersion(ctx, x.r.Function, a.FunctionVersion); err == nil {
			x.res.LiveCodeSha256 = v.CodeSha256
		}
	}
	return nil
}

func (x *run) liveText(readErr error, note string) string {
	if note != "" {
		note = " (" + note + ")"
	}
	switch {
	case readErr != nil:
		return fmt.Sprintf("What alias %s serves now could not be read back (%v); run terraform plan to see it.", x.r.Alias, readErr)
	case !x.res.AliasExists && x.created:
		return fmt.Sprintf("The alias %s no longer exists: the first release created it and the rollback deleted it.", x.r.Alias)
	case !x.res.AliasExists:
		return fmt.Sprintf("The alias %s does not exist%s.", x.r.Alias, note)
	}
	return fmt.Sprintf("The alias %s now serves version %s%s.", x.r.Alias, aliasState(x.res.LiveVersion, x.res.LiveWeights), note)
}
