package shift

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	tokens "golang.org/x/time/rate"
)

// This file owns a release of several aliases together (a group): every member's alias
// through its own run and aliasGuard, driven in lockstep by one schedule, one hold and
// one outcome. Any trip of any member rolls back every member that moved.

// Member is one alias of a group release: what to release on it, and the gates that
// watch it beside the group's own.
type Member struct {
	Key         string // the label the configuration gives it
	Function    string // name or unqualified ARN
	Alias       string
	CodeSha256  string // exactly one of CodeSha256 and Version
	Version     string
	Description string
	// Alarms and MetricGates watch this member only, in addition to the group's.
	Alarms      []string
	MetricGates *MetricGates
}

// MemberResult is what a group release did on one member.
type MemberResult struct {
	Key string
	Result
}

// DefaultWritesPerSecond paces the alias writes of a group release. Lambda's account-wide
// quota for control-plane API requests (all APIs except invocation, GetFunction and
// GetPolicy) is 15 requests per second and cannot be raised ("Lambda quotas", API
// requests, https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). A
// guarded write costs a GetAlias and an UpdateAlias: 5 writes a second use 10 of the 15,
// leaving the rest to gate reads, the Terraform refresh and the account's other tools.
const DefaultWritesPerSecond = 5.0

// writePacer spaces alias writes on the engine's clock (so tests never sleep) with a
// token bucket (golang.org/x/time/rate); a burst of as many writes as one second allows.
type writePacer struct {
	mu    sync.Mutex
	lim   *tokens.Limiter
	clock Clock
}

func newWritePacer(perSecond float64, clock Clock) *writePacer {
	if perSecond <= 0 {
		perSecond = DefaultWritesPerSecond
	}
	burst := max(1, int(perSecond))
	return &writePacer{lim: tokens.NewLimiter(tokens.Limit(perSecond), burst), clock: clock}
}

// wait returns when the next write may go out.
func (p *writePacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := p.clock.Now()
	d := p.lim.ReserveN(now, 1).DelayFrom(now)
	p.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	return pause(ctx, p.clock, d)
}

// group is one release of several members.
type group struct {
	e       *Engine
	ctx     context.Context
	r       Release
	members []*run
	lead    *run // runs the group's hooks, approval and events
	pacer   *writePacer
	// failed is the member whose failure stopped the group (nil: a group-level one).
	failed *run
	// preflighted counts the members whose preflight ran (in member order).
	preflighted int
}

// memberRelease is the Release one member's run carries: the member's own fields and the
// group's shared settings. Hooks, approval and events belong to the lead member only:
// they run once per group.
func memberRelease(r Release, m Member, lead bool) Release {
	mr := r
	mr.Members = nil
	mr.Function, mr.Alias = m.Function, m.Alias
	mr.CodeSha256, mr.Version, mr.Description = canonicalCodeSha256(m.CodeSha256), m.Version, m.Description
	mr.Alarms = append(append([]string(nil), r.Alarms...), m.Alarms...)
	if m.MetricGates != nil {
		mr.MetricGates = m.MetricGates
	}
	if !lead {
		mr.PreTrafficHook, mr.PostTrafficHook, mr.Approval, mr.EventBus = "", "", nil, ""
	}
	return mr
}

// runGroup performs a release of r.Members in lockstep.
func (e *Engine) runGroup(ctx context.Context, r Release) (Result, error) {
	ge := *e // the members' runs share one observer, called one event at a time
	if obs := e.Observer; obs != nil {
		var mu sync.Mutex
		ge.Observer = func(ev Event) { mu.Lock(); defer mu.Unlock(); obs(ev) }
	}
	id := e.newID()
	ge.NewID = func() string { return id } // one release id, in every member's lease
	g := &group{e: &ge, ctx: ctx, r: r, pacer: newWritePacer(r.WritesPerSecond, e.clock())}
	for i, m := range r.Members {
		x := ge.newRun(ctx, memberRelease(r, m, i == 0))
		x.guard.pace = g.pacer.wait
		x.key = m.Key
		if x.key == "" {
			x.key = m.Function + ":" + m.Alias
		}
		g.members = append(g.members, x)
	}
	g.lead = g.members[0]
	g.lead.group = g
	return g.finish(g.release())
}

// each runs do on every member in ms concurrently (writes are paced by the guard) and
// returns the first failure in member order, with its member.
func (g *group) each(ms []*run, do func(x *run) *failure) (*run, *failure) {
	fs := make([]*failure, len(ms))
	var wg sync.WaitGroup
	for i, x := range ms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs[i] = do(x)
		}()
	}
	wg.Wait()
	for i, f := range fs {
		if f != nil {
			return ms[i], f
		}
	}
	return nil, nil
}

// fail records which member failed.
func (g *group) fail(x *run, f *failure) *failure {
	if f != nil && g.failed == nil {
		g.failed = x
	}
	return f
}

func (g *group) release() *failure {
	for _, x := range g.members {
		if f := x.validate(); f != nil {
			return g.fail(x, f)
		}
	}
	if f := g.checkDistinct(); f != nil {
		return f
	}
	// Preflight reads and may publish; each member's in turn, so a failure stops the
	// group before the next member publishes anything.
	for _, x := range g.members {
		g.preflighted++
		if f := x.preflight(); f != nil {
			return g.fail(x, f)
		}
	}
	// Splits left by an interrupted release: resumed or restored, each by the rule of
	// its own alias; whatever follows moves every member together, and a failure rolls
	// every one back, so no member ends promoted while another is restored.
	for _, x := range g.members {
		if x.guard.exists() && len(nonZero(x.guard.left.weights)) > 0 {
			if f := x.handleSplit(); f != nil {
				return g.fail(x, f)
			}
		}
	}
	var pending []*run
	for _, x := range g.members {
		gd := x.guard
		if gd.exists() && gd.left.version == x.target.Version && len(nonZero(gd.left.weights)) == 0 {
			x.phase = phaseUnchanged // already on its target: not touched
			continue
		}
		pending = append(pending, x)
	}
	if len(pending) == 0 {
		return nil
	}
	lead := g.lead
	ending := true
	for _, x := range pending {
		if x.checksAfterPromotion() {
			ending = false
		}
	}
	if lead.r.PostTrafficHook != "" {
		ending = false
	}

	// A hook or a resumed hold before the first write: every pending alias carries the
	// lease meanwhile.
	if lead.r.PreTrafficHook != "" || anyShifting(pending) {
		next := lead.hookBound(lead.r.PreTrafficHook)
		if x, f := g.each(pending, func(x *run) *failure {
			gd := x.guard
			if !gd.exists() || gd.wrote {
				return nil
			}
			n := next
			if x.phase == phaseShifting {
				n += x.resumedStepDuration()
			}
			if f := x.write(gd.left.version, gd.left.weights, n, "record the release on alias "+x.r.Alias); f != nil {
				return f
			}
			x.advance(phasePrepared)
			return nil
		}); f != nil {
			return g.fail(x, f)
		}
	}
	if f := lead.runHook(preTraffic, lead.r.PreTrafficHook, "before traffic moved"); f != nil {
		return g.fail(lead, f)
	}

	var existing []*run
	for _, x := range pending {
		if x.guard.exists() {
			existing = append(existing, x)
		}
	}
	steps := g.r.Schedule.Steps
	for i, s := range steps {
		var movers []*run
		for _, x := range existing {
			if s.Percent > x.percent()+1e-9 {
				movers = append(movers, x)
			}
		}
		held := false
		for _, x := range existing {
			if s.Percent > x.percent()-1e-9 {
				held = true
			}
		}
		if !held {
			continue // every member resumed past this step
		}
		where := fmt.Sprintf("at step %d of %d (%s%% on the new versions)", i+1, len(steps), FormatPercent(s.Percent))
		if len(movers) > 0 {
			if f := lead.approve(beforeTrafficIncrease, i+1, s.Percent); f != nil {
				return g.fail(lead, f)
			}
			if x, f := g.each(movers, func(x *run) *failure {
				weights := map[string]float64{x.target.Version: roundPercent(s.Percent) / 100}
				mwhere := fmt.Sprintf("at step %d of %d (%s%% on version %s)", i+1, len(steps), FormatPercent(s.Percent), x.target.Version)
				if f := x.write(x.previous(), weights, StepDuration(s, x.r.MetricGates), "shift alias "+x.r.Alias+" "+mwhere); f != nil {
					return f
				}
				x.advance(phaseShifting)
				x.record(EventShift, "%s%% → %s on alias %s (step %d of %d, hold %s)", FormatPercent(s.Percent), x.target.Version, x.r.Alias, i+1, len(steps), s.Hold)
				return nil
			}); f != nil {
				return g.fail(x, f)
			}
		}
		if f := g.hold(s, existing, where); f != nil {
			return f
		}
	}

	if f := lead.approve(beforePromotion, 0, 100); f != nil {
		return g.fail(lead, f)
	}
	for _, x := range pending {
		x.ending = ending
	}
	if x, f := g.each(pending, func(x *run) *failure {
		if !x.guard.exists() {
			return x.createAlias()
		}
		if f := x.write(x.target.Version, nil, lead.hookBound(lead.r.PostTrafficHook), "promote "+x.target.Version+" on alias "+x.r.Alias); f != nil {
			return f
		}
		x.advance(phasePromoted)
		x.record(EventPromote, "100%% → %s on alias %s (was %s)", x.target.Version, x.r.Alias, x.previous())
		return nil
	}); f != nil {
		return g.fail(x, f)
	}
	for _, x := range pending {
		where := fmt.Sprintf("after promotion (100%% on version %s of alias %s)", x.target.Version, x.r.Alias)
		if f := x.checkGates(where); f != nil {
			return g.fail(x, f)
		}
	}
	return g.fail(lead, lead.runHook(postTraffic, lead.r.PostTrafficHook, "after promotion of every member"))
}

func anyShifting(ms []*run) bool {
	for _, x := range ms {
		if x.phase == phaseShifting {
			return true
		}
	}
	return false
}

// checkDistinct refuses two members on one alias: they would undo each other.
func (g *group) checkDistinct() *failure {
	seen := map[string]string{}
	for _, x := range g.members {
		k := x.r.Function + "\x00" + x.r.Alias
		if other, ok := seen[k]; ok {
			return &failure{
				cause: fmt.Sprintf("members %q and %q both release alias %s of %s; nothing was changed", other, x.key, x.r.Alias, x.r.Function),
				next:  "Give each member its own function and alias.",
			}
		}
		seen[k] = x.key
	}
	return nil
}

// hold keeps every member's weights for step s, polling every member's gates at its start
// and every poll interval; the hold is as long as the longest member's step.
func (g *group) hold(s Step, ms []*run, where string) *failure {
	clock := g.lead.clock
	start := clock.Now()
	var d time.Duration
	interval := time.Duration(0)
	anyGates := false
	for _, x := range ms {
		d = max(d, StepDuration(s, x.r.MetricGates))
		if len(x.gates) > 0 {
			anyGates = true
			if interval == 0 || x.interval < interval {
				interval = x.interval
			}
		}
	}
	deadline := start.Add(d)
	for first := true; ; first = false {
		if err := g.ctx.Err(); err != nil {
			return g.fail(g.lead, g.lead.interrupted(err, "the hold "+where))
		}
		for _, x := range ms {
			at := checkpoint{
				where:     fmt.Sprintf("on alias %s %s", x.r.Alias, where),
				holding:   true,
				stepStart: start,
				hold:      s.Hold,
				first:     first,
				last:      !clock.Now().Before(deadline),
				percent:   x.percent(),
			}
			if f := x.pollGates(at); f != nil {
				return g.fail(x, f)
			}
		}
		left := deadline.Sub(clock.Now())
		if left <= 0 {
			return nil
		}
		wait := left
		if anyGates {
			wait = min(interval, left)
		}
		if err := pause(g.ctx, clock, wait); err != nil {
			return g.fail(g.lead, g.lead.interrupted(err, "the hold "+where))
		}
	}
}

// createAlias creates a member's alias on its target at promotion: a member with no
// alias yet has nothing to shift from, so it joins the group when the others take all
// the traffic. A rollback deletes it.
func (x *run) createAlias() *failure {
	a, err := x.guard.create(x.ctx, x.target.Version, x.hookBound(x.r.PostTrafficHook))
	var d *driftError
	if errors.As(err, &d) {
		return &failure{
			cause: fmt.Sprintf("alias %s of %s was created by someone else while this release ran (Lambda: alias already exists)", x.r.Alias, x.r.Function),
			drift: fmt.Sprintf("alias %s did not exist at preflight but exists now; it was created outside this release, which stopped without touching it.", x.r.Alias),
			next:  nextDrift,
			err:   ErrAlreadyExists,
		}
	}
	if err != nil {
		return x.apiFailure(err, "create alias "+x.r.Alias+" on version "+x.target.Version)
	}
	x.advance(phasePromoted)
	if a.ARN != "" {
		x.res.AliasARN = a.ARN
	}
	x.record(EventPromote, "created alias %s on %s (first release of this member)", x.r.Alias, x.target.Version)
	return nil
}

// finish ends every member: on success each clears its lease and keeps its versions; on
// a failure every member that moved rolls back, concurrently and paced, each with the
// rollback's own budget. The group's Result lists every member's.
func (g *group) finish(f *failure) (Result, error) {
	if f != nil {
		g.adoptUnread()
	}
	results := make([]Result, len(g.members))
	errs := make([]error, len(g.members))
	var wg sync.WaitGroup
	for i, x := range g.members {
		mf := f
		if f != nil && x != g.failed {
			// Another member's failure: this member is rolled back whatever it is (a
			// drift of another alias does not stop this one's rollback).
			who := "the group"
			if g.failed != nil {
				who = "member " + g.failed.key
			}
			mf = &failure{cause: fmt.Sprintf("rolled back with the group: %s failed: %s", who, f.cause), next: f.next, err: f.err, interrupted: f.interrupted}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = x.finish(mf)
		}()
	}
	wg.Wait()

	out := Result{DeploymentID: g.lead.res.DeploymentID, StartedAt: g.lead.res.StartedAt, FinishedAt: g.lead.clock.Now()}
	statuses := map[Status]int{}
	var lives []string
	for i, x := range g.members {
		res := results[i]
		out.Members = append(out.Members, MemberResult{Key: x.key, Result: res})
		out.Timeline = append(out.Timeline, res.Timeline...)
		statuses[res.Status]++
		var rerr *ReleaseError
		live := ""
		if errors.As(errs[i], &rerr) {
			live = rerr.Live
		} else {
			live = fmt.Sprintf("The alias %s now serves version %s.", x.r.Alias, aliasState(res.LiveVersion, res.LiveWeights))
		}
		lives = append(lives, fmt.Sprintf("%s (%s:%s): %s", x.key, x.r.Function, x.r.Alias, live))
	}
	sort.SliceStable(out.Timeline, func(i, j int) bool { return out.Timeline[i].Time.Before(out.Timeline[j].Time) })
	lead := results[0]
	out.TargetVersion, out.PreviousVersion = lead.TargetVersion, lead.PreviousVersion
	out.AliasExists, out.AliasARN, out.LiveVersion, out.LiveWeights, out.LiveCodeSha256 = lead.AliasExists, lead.AliasARN, lead.LiveVersion, lead.LiveWeights, lead.LiveCodeSha256
	switch {
	case f == nil && statuses[StatusNoChange] == len(g.members):
		out.Status = StatusNoChange
		out.Message = fmt.Sprintf("every member of the group (%d) already serves its version; nothing to release", len(g.members))
	case f == nil:
		out.Status = StatusSucceeded
		out.Message = fmt.Sprintf("released %d members in lockstep (%d already on their versions)", len(g.members)-statuses[StatusNoChange], statuses[StatusNoChange])
	case statuses[StatusFailed] > 0 && statuses[StatusRolledBack] == 0:
		out.Status = StatusFailed
	default:
		out.Status = StatusRolledBack
		for i := range results {
			if errs[i] != nil {
				var rerr *ReleaseError
				if errors.As(errs[i], &rerr) && rerr.Status == StatusFailed && g.members[i].phase.trafficMoved() {
					out.Status = StatusFailed // a rollback that did not finish
				}
			}
		}
	}
	if f == nil {
		return out, nil
	}
	next := f.next
	for i, x := range g.members {
		var rerr *ReleaseError
		if errors.As(errs[i], &rerr) && x == g.failed {
			next = rerr.Next
		}
	}
	cause := f.cause
	if g.failed != nil {
		cause = fmt.Sprintf("member %s: %s", g.failed.key, f.cause)
	}
	rerr := &ReleaseError{Cause: cause, Reason: f.reason, Next: next, Err: f.err, Start: out.StartedAt, Status: out.Status, Timeline: out.Timeline,
		Live: "Every member of the group:\n  " + strings.Join(lives, "\n  ")}
	out.Message = rerr.Cause + "\n" + rerr.Live
	return out, rerr
}

// adoptUnread reads the aliases of the members whose preflight never ran, once the group
// failed: a split an interrupted release left on one is rolled back with the others (so
// no member stays split or moves on while another is restored). A split under another
// live release's lease is not this release's and stays untouched.
func (g *group) adoptUnread() {
	for _, x := range g.members[g.preflighted:] {
		ctx, cancel := x.detached(readBackTimeout)
		exists, err := x.guard.find(ctx)
		cancel()
		if err != nil || !exists || len(nonZero(x.guard.left.weights)) == 0 {
			continue
		}
		if _, live := x.otherLease(); live {
			continue
		}
		x.res.AliasARN = x.guard.found.ARN
		x.adoptSplit()
	}
}
