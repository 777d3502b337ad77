package shift

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file owns one release from start to end: its phases in order, its outcome and
// the Result it reports.

// Engine runs releases. AWS is required; the rest have defaults: Clock RealClock, no
// Observer, NewID a random "d-" + 12 hex digits, Holder NewHolder("").
type Engine struct {
	AWS      AWS
	Clock    Clock
	Observer Observer
	NewID    func() string
	// Holder names who runs the releases, in the lease other releases see: NewHolder with
	// the pipeline run the caller knows of. Its process part (see NewHolder) is what a
	// reader checks to tell a killed release from a live one.
	Holder string
	// HolderGone tells whether the process named by another release's lease has ended
	// (nil: holderGone, which concludes it only about a process this one can see).
	HolderGone func(holder string) bool
	// LeaseSlack is how long a lease lasts beyond the hold that follows each write; zero
	// means DefaultLeaseSlack.
	LeaseSlack time.Duration
}

// readBackTimeout bounds the reads that fill in Result after a release, which run
// detached from the caller's context so an interrupted release still reports the truth.
const readBackTimeout = 30 * time.Second

// phase is how far a release got. The outcome (rollback or not, Result.Status) is
// derived from it and from the rollback's outcome.
type phase int

const (
	// phaseChecking: preflight; nothing live changed (a version may have been published).
	phaseChecking phase = iota
	// phasePrepared: the release wrote the alias (its lease, or a split left by another
	// release restored to its primary) but the target has taken no traffic.
	phasePrepared
	// phaseShifting: the target takes part of the traffic (a step), or an interrupted
	// release's split was taken over (adoptSplit): a failure rolls back.
	phaseShifting
	// phasePromoted: the target takes all the traffic (promoted, or the alias created on it).
	phasePromoted
	// phaseUnchanged: the alias served the target already; nothing was done.
	phaseUnchanged
)

// trafficMoved says the target has taken traffic through this release (or the one it
// resumes): a failure from here on rolls back.
func (p phase) trafficMoved() bool { return p == phaseShifting || p == phasePromoted }

// run is the state of one release in progress.
type run struct {
	e      *Engine
	ctx    context.Context
	r      Release
	clock  Clock
	res    *Result
	holder string

	fn     Function
	target Version
	prev   *Version // the version the alias served, once read
	guard  *aliasGuard
	phase  phase
	// ending makes the next write clear the lease: nothing that could roll back follows.
	ending bool
	// undoing says the writes undo the release (rollback, restore): they leave no mark.
	undoing  bool
	flipFlop string // the alias served another configuration's release (see checkFlipFlop)
	// split is the alias as an interrupted release left it split, once this release took
	// it over (adoptSplit); interruptedBy names that release when its lease said.
	split          *aliasShape
	interruptedBy  string
	interruptedWhy string // how it is known to be interrupted: "its lease ran out at …"
	// hookTimeouts are the hook functions' own timeouts, read in preflight (hookBound).
	hookTimeouts map[string]time.Duration
	// restoredFrom is the version a restore takes traffic off, for the mark it leaves.
	restoredFrom string
	// promotedFrom is the version an interrupted release's lease records the alias served
	// before that release promoted it (adoptPromoted): this release's previous version.
	promotedFrom string

	gates    []gate
	interval time.Duration
	// ignoredReads counts gate reads that failed and were let pass (ignore_poll_alarm_failure),
	// by what was read ("alarm states", "metrics").
	ignoredReads  map[string]int
	metricsSeen   string        // what the metric gates last saw, for the success message
	tripRecorded  bool          // the timeline already says what stopped the release
	restoreAlarms restoreAlarms // what a restore's alarm check read, for its caller
	restoreRule   Previous      // where a restore went and why, for its caller
	events        *eventSender  // nil when the release puts no events
	// key is this alias's member label in a group release; group is set on a group's
	// lead member (it runs the group's hooks).
	key   string
	group *group
}

func (e *Engine) newRun(ctx context.Context, r Release) *run {
	x := &run{e: e, ctx: ctx, r: r, clock: e.clock(), holder: e.holder(), phase: phaseChecking}
	x.res = &Result{DeploymentID: e.newID(), StartedAt: x.clock.Now()}
	x.interval = pollInterval(r)
	x.guard = newGuard(e.AWS, x.clock, r.Function, r.Alias)
	x.events = e.eventSender(r)
	return x
}

// previous is what the alias served when the release found it ("" when it did not exist):
// what a rollback goes back to.
func (x *run) previous() string {
	if x.promotedFrom != "" {
		return x.promotedFrom
	}
	if x.guard.found == nil {
		return ""
	}
	return x.guard.found.FunctionVersion
}

// percent is the traffic on the target now, from the alias as this release left it.
func (x *run) percent() float64 {
	l := x.guard.left
	switch {
	case x.target.Version == "" || l.version == "":
		return 0
	case l.version == x.target.Version:
		return 100
	}
	return roundPercent(nonZero(l.weights)[x.target.Version] * 100)
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

// Run performs one release of one alias or of a group of them (Release.Members; see
// group.go): preflight, publish or reuse each version, the pre_traffic hook, each
// weighted step (every member at the step's weight before its hold) held while gates are
// polled, promotion, a last gate check, the post_traffic hook, then version retention.
// Anything that trips rolls back every alias that moved, on a context detached from ctx.
// Result is filled in on every outcome, failures included; the error, when not nil, is a
// *ReleaseError. A release of one alias is a group of one: the same path.
func (e *Engine) Run(ctx context.Context, r Release) (Result, error) {
	return e.runGroup(ctx, r.Group())
}

// advance moves the release to phase p; it never goes back.
func (x *run) advance(p phase) {
	if p > x.phase {
		x.phase = p
	}
}

// handleSplit deals with an alias left split by an earlier, interrupted release: resume
// when the weighted version is the target, else restore the primary.
func (x *run) handleSplit() *failure {
	if !x.resumable() {
		return x.restoreAdopted()
	}
	left := x.guard.left
	if x.promotedFrom != "" {
		x.advance(phaseShifting)
		x.record(EventShift, "resuming: alias %s was left promoted on %s by %s (from %s); it counts as promoted and is promoted with the others",
			x.r.Alias, left, x.interruptedRelease(), x.promotedFrom)
		return nil
	}
	x.advance(phaseShifting)
	x.record(EventShift, "resuming: alias %s was left split at %s; continuing from %s%% on %s with %s as the previous version",
		x.r.Alias, left, FormatPercent(x.percent()), x.target.Version, x.previous())
	return nil
}

// resumable says whether the alias an interrupted release left (split, or promoted: see
// adoptPromoted) moves toward this release's target: only its weighted version, or the
// version it was promoted onto, is the target.
func (x *run) resumable() bool {
	left := x.guard.left
	if x.promotedFrom != "" {
		return left.version == x.target.Version
	}
	w := nonZero(left.weights)
	_, ok := w[x.target.Version]
	return ok && len(w) == 1
}

// restoreAdopted puts an alias an interrupted release left (split, or promoted) back on
// the version it served before that release, with no weights, before this release moves
// it: the group's members of that release are restored together.
func (x *run) restoreAdopted() *failure {
	left := x.guard.left
	home := left.version
	if x.promotedFrom != "" {
		home = x.promotedFrom
	}
	if f := x.write(home, nil, x.hookBound(x.r.PreTrafficHook), "restore the primary version "+home); f != nil {
		return f
	}
	x.advance(phasePrepared)
	what := "split at"
	if x.promotedFrom != "" {
		what = "promoted on"
	}
	x.record(EventRollback, "alias %s was left %s %s; restored %s with no weights before releasing %s",
		x.r.Alias, what, left, home, x.target.Version)
	x.announceRollback(fmt.Sprintf("alias %s was left %s %s by an earlier release", x.r.Alias, what, left))
	return nil
}

// write is a guarded alias write on the caller's context; next is how long the alias
// stays so (for the lease).
func (x *run) write(version string, weights map[string]float64, next time.Duration, doing string) *failure {
	err := x.guard.write(x.ctx, version, weights, x.markFor(version, next))
	var d *driftError
	if errors.As(err, &d) {
		return x.driftFailure(d)
	}
	if errors.Is(err, ErrInvalidParameter) && len(weights) > 0 && x.ctx.Err() == nil {
		// Lambda refuses weights between versions it cannot route together; preflight
		// checks role and dead-letter target, this is Lambda's own word on the rest.
		return &failure{
			cause: fmt.Sprintf("Lambda refused to route traffic between version %s and version %s (%s): %v",
				version, x.target.Version, doing, err),
			next: "A release AllAtOnce (leave traffic_shift out) moves the alias in one write and works; later releases between versions that match can shift gradually.",
			err:  err,
		}
	}
	if err != nil {
		return x.apiFailure(err, doing)
	}
	return nil
}

func (x *run) driftFailure(d *driftError) *failure {
	f := &failure{
		cause: fmt.Sprintf("alias %s was changed outside this release", x.r.Alias),
		drift: d.describe(x.r.Alias) + ".",
		next:  nextDrift,
		err:   ErrConflict,
	}
	if d.found != nil {
		if l, ok := ParseLease(d.found.Description); ok && l.ReleaseID != x.res.DeploymentID {
			// Two configurations release onto one alias and take turns undoing each other.
			f.cause = fmt.Sprintf("alias %s was taken by release %s (run by %s) while this release ran", x.r.Alias, l.ReleaseID, l.Holder)
			f.next = "Two releases are moving this alias: give each safelambda_deployment (and each pipeline) its own alias, then run terraform apply again."
		}
	}
	return f
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
		cause: fmt.Sprintf("the release was interrupted (%s) during: %s", why, doing),
		next:  "Run terraform apply again to release again; raise the create/update timeouts if the schedule needs longer.",
		err:   cause,
	}
}

// detached is a context for work that must finish even when the caller's ended: the
// rollback, the read-back, clearing the lease.
func (x *run) detached(timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(x.ctx), timeout)
}

// finish turns the outcome into a Result and an error, rolling back when traffic moved.
func (x *run) finish(f *failure) (Result, error) {
	var rerr *ReleaseError
	liveNote := ""
	if f == nil {
		x.res.Status = StatusSucceeded
		x.endLease()
		if x.phase == phaseUnchanged {
			x.res.Status = StatusNoChange
		} else {
			x.retain()
		}
	} else {
		if !x.tripRecorded {
			x.record(EventTrip, "%s", f.cause)
		}
		rerr = &ReleaseError{Cause: f.cause, Reason: f.reason, Next: f.next, Err: f.err, Start: x.res.StartedAt}
		x.res.Status = StatusFailed
		switch {
		case f.drift != "":
			rerr.Live = "The " + f.drift
		case x.phase.trafficMoved() || x.guard.pending != nil:
			// A split adopted from an interrupted release that this release never wrote.
			adoptedOnly := x.split != nil && !x.guard.wrote
			out := x.rollback()
			switch {
			case out.done && (x.phase.trafficMoved() || out.moved):
				x.res.Status = StatusRolledBack
				liveNote = "rolled back"
				if adoptedOnly {
					liveNote = fmt.Sprintf("rolled back: the split %s left by %s, which was interrupted, is undone", *x.split, x.interruptedRelease())
					if x.promotedFrom != "" {
						liveNote = fmt.Sprintf("rolled back: the promotion to %s by %s, which was interrupted, is undone", x.split.version, x.interruptedRelease())
					}
				}
				x.announceRollback(f.cause)
			case out.done: // the failed write had not landed: nothing moved
				liveNote = "unchanged"
			case out.drift != nil:
				rerr.Live = "The rollback stopped: " + out.drift.describe(x.r.Alias) + "."
				rerr.Next = nextDrift
			default:
				rerr.Live = x.rollbackFailedText(out.err)
				rerr.Next = x.finishRollbackText()
			}
		default:
			liveNote = "unchanged"
			if x.guard.wrote {
				if !x.guard.left.matches(*x.guard.found) {
					liveNote = "traffic never moved to " + x.target.Version
				}
				x.undoing = true
				x.endLease()
			}
		}
	}
	x.res.PreviousVersion = x.previous()

	readErr := x.readBack()
	if rerr != nil && rerr.Live == "" {
		rerr.Live = x.liveText(readErr, liveNote)
	}

	x.res.Message = x.message(rerr)
	return x.done(rerr)
}

// done closes the timeline and returns the Result, with the error when there is one.
func (x *run) done(rerr *ReleaseError) (Result, error) {
	x.res.FinishedAt = x.clock.Now()
	x.record(EventDone, "%s: %s", x.res.Status, firstLine(x.res.Message))
	if rerr == nil {
		return *x.res, nil
	}
	rerr.Status = x.res.Status
	rerr.Timeline = x.res.Timeline
	return *x.res, rerr
}

// endLease clears the lease when the release's last write did not: one write with the
// RevisionId of that write. A failure leaves the lease to run out by itself.
func (x *run) endLease() {
	if !x.guard.wrote || x.ending || x.guard.created && x.guard.left.version == "" {
		return
	}
	x.ending = true
	ctx, cancel := x.detached(readBackTimeout)
	defer cancel()
	if err := x.guard.release(ctx, x.markFor(x.guard.left.version, 0)); err != nil {
		x.record(EventWarning, "could not clear this release's lease from alias %s (%v); it runs out by itself within %s", x.r.Alias, err, x.e.leaseSlack())
	}
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
	if p := x.previous(); p != "" {
		from = "previous version " + p
	}
	msg := fmt.Sprintf("released version %s to alias %s (%s, %s) in %s", x.target.Version, x.r.Alias, how, from,
		formatOffset(x.clock.Now().Sub(x.res.StartedAt)))
	if x.r.IgnoreAlarms && len(x.r.Alarms) > 0 {
		msg += "; alarms were ignored (ignore_alarms)"
	}
	if x.metricsSeen != "" {
		msg += "; metric gates passed, last read " + x.metricsSeen
	}
	if x.flipFlop != "" {
		msg += "; note: " + x.flipFlop
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
	g := x.guard
	if (x.res.Status == StatusSucceeded || x.res.Status == StatusNoChange) && x.res.AliasARN != "" && g.left.version == x.target.Version {
		// What is live is what this release's last write left (or, for NoChange, what
		// preflight just read): every write was guarded, so a read would only repeat it.
		x.res.AliasExists = true
		x.res.LiveVersion = g.left.version
		x.res.LiveWeights = copyWeights(nonZero(g.left.weights))
		x.res.LiveCodeSha256 = x.target.CodeSha256
		return nil
	}
	ctx, cancel := x.detached(readBackTimeout)
	defer cancel()
	a, err := g.read(ctx)
	if err == nil && settling(a) {
		a, err = g.settled(ctx, aliasShape{version: a.FunctionVersion}) // Lambda's own weights: report what they clear to
	}
	if errors.Is(err, ErrNotFound) {
		x.res.AliasExists = false
		x.res.AliasARN, x.res.LiveVersion, x.res.LiveWeights, x.res.LiveCodeSha256 = "", "", nil, ""
		return nil
	}
	if err != nil {
		return err
	}
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
	case !x.res.AliasExists && x.guard.created:
		return fmt.Sprintf("The alias %s no longer exists: the first release created it and the rollback deleted it.", x.r.Alias)
	case !x.res.AliasExists:
		return fmt.Sprintf("The alias %s does not exist%s.", x.r.Alias, note)
	}
	return fmt.Sprintf("The alias %s now serves version %s%s.", x.r.Alias, aliasState(x.res.LiveVersion, x.res.LiveWeights), note)
}
