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

// Group returns r as a group release: r itself when it has Members, else a group of one
// member, the alias r names.
func (r Release) Group() Release {
	if len(r.Members) == 0 {
		r.Members = []Member{{Function: r.Function, Alias: r.Alias, CodeSha256: r.CodeSha256, Version: r.Version, Description: r.Description}}
	}
	return r
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
// they run once per group, and so are the group's alarms read.
func memberRelease(r Release, m Member, lead bool) Release {
	mr := r
	mr.Members = nil
	mr.Function, mr.Alias = m.Function, m.Alias
	mr.CodeSha256, mr.Version, mr.Description = canonicalCodeSha256(m.CodeSha256), m.Version, m.Description
	mr.Alarms = append([]string(nil), m.Alarms...)
	if lead {
		// The group's alarms watch every member: the lead reads them once a poll for all.
		mr.Alarms = append(append([]string(nil), r.Alarms...), m.Alarms...)
	}
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
		if len(r.Members) > 1 {
			// One alias's writes are sequential already; a group's run concurrently.
			x.guard.pace = g.pacer.wait
		}
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
	// Members an interrupted release left split, or promoted (adoptPromoted): resumed
	// together when every one of them moves toward its target, else restored together to
	// what each served before; whatever follows moves every member together, and a
	// failure rolls every one back, so no member ends promoted while another is restored.
	var adopted []*run
	resume := true
	for _, x := range g.members {
		if x.guard.exists() && x.split != nil {
			adopted = append(adopted, x)
			resume = resume && x.resumable()
		}
	}
	for _, x := range adopted {
		var f *failure
		if resume {
			f = x.handleSplit()
		} else {
			f = x.restoreAdopted()
		}
		if f != nil {
			return g.fail(x, f)
		}
	}
	var pending, existing []*run
	for _, x := range g.members {
		gd := x.guard
		if gd.exists() && gd.left.version == x.target.Version && len(nonZero(gd.left.weights)) == 0 && x.promotedFrom == "" {
			x.phase = phaseUnchanged // already on its target: not touched
			continue
		}
		pending = append(pending, x)
		if gd.exists() {
			existing = append(existing, x)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	lead := g.lead

	// A hook, or a resumed hold, comes before the first write: the lease says every
	// pending alias is taken meanwhile.
	if lead.r.PreTrafficHook != "" || anyShifting(pending) {
		next := lead.hookBound(lead.r.PreTrafficHook)
		if x, f := g.each(existing, func(x *run) *failure {
			gd := x.guard
			if gd.wrote || lead.r.PreTrafficHook == "" && x.phase != phaseShifting {
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

	steps := g.r.Schedule.Steps
	for i, s := range steps {
		var movers, again []*run
		for _, x := range existing {
			switch {
			case s.Percent > x.percent()+1e-9:
				movers = append(movers, x)
			case s.Percent > x.percent()-1e-9:
				again = append(again, x)
			}
		}
		if len(movers)+len(again) == 0 {
			continue // resumed past this step
		}
		if len(movers) > 0 {
			if f := lead.approve(beforeTrafficIncrease, i+1, s.Percent); f != nil {
				return g.fail(lead, f)
			}
			if x, f := g.each(movers, func(x *run) *failure {
				weights := map[string]float64{x.target.Version: roundPercent(s.Percent) / 100}
				if f := x.write(x.previous(), weights, StepDuration(s, x.r.MetricGates), "shift "+g.stepWhere(x, i, s.Percent)); f != nil {
					return f
				}
				x.advance(phaseShifting)
				x.record(EventShift, "%s%% → %s%s (step %d of %d, hold %s)", FormatPercent(s.Percent), x.target.Version, g.onAlias(x), i+1, len(steps), s.Hold)
				return nil
			}); f != nil {
				return g.fail(x, f)
			}
		}
		for _, x := range again {
			// Resumed at this very step: how long it was held before the interruption is
			// unknown, so it is held in full again before traffic moves on.
			x.record(EventShift, "%s%% → %s already%s (step %d of %d): holding it again for %s", FormatPercent(s.Percent), x.target.Version, g.onAlias(x), i+1, len(steps), s.Hold)
		}
		if f := g.hold(s, g.watched(existing), func(x *run) string { return g.stepWhere(x, i, s.Percent) }); f != nil {
			return f
		}
	}
	if n := len(steps); n > 0 {
		// Resumed above every step of this schedule (it changed since): hold what is
		// live as long as the last step before promoting.
		last := steps[n-1]
		var above []*run
		for _, x := range existing {
			if p := x.percent(); p > last.Percent+1e-9 && p < 100 {
				above = append(above, x)
				x.record(EventShift, "%s%% → %s already%s, above the last step: holding it for %s", FormatPercent(p), x.target.Version, g.onAlias(x), last.Hold)
			}
		}
		if len(above) > 0 {
			if f := g.hold(last, g.watched(existing), func(x *run) string {
				return fmt.Sprintf("at %s%% on version %s%s (resumed above the last step)", FormatPercent(x.percent()), x.target.Version, g.onAlias(x))
			}); f != nil {
				return f
			}
		}
	}

	if len(existing) > 0 {
		if f := lead.approve(beforePromotion, 0, 100); f != nil {
			return g.fail(lead, f)
		}
	}
	ending := lead.r.PostTrafficHook == ""
	for _, x := range pending {
		if len(x.gates) > 0 {
			ending = false
		}
	}
	for _, x := range pending {
		x.ending = ending
	}
	if x, f := g.each(pending, func(x *run) *failure {
		if !x.guard.exists() {
			return x.createAlias(lead.hookBound(lead.r.PostTrafficHook))
		}
		if f := x.write(x.target.Version, nil, lead.hookBound(lead.r.PostTrafficHook), "promote "+x.target.Version+g.onAlias(x)); f != nil {
			return f
		}
		x.advance(phasePromoted)
		x.record(EventPromote, "100%% → %s%s (was %s)", x.target.Version, g.onAlias(x), x.previous())
		return nil
	}); f != nil {
		return g.fail(x, f)
	}
	where := ""
	for _, x := range g.watched(pending) {
		where = g.promotedWhere(x)
		if f := x.checkGates(where); f != nil {
			return g.fail(x, f)
		}
	}
	if len(g.members) > 1 {
		where = "after promotion of every member"
	}
	return g.fail(lead, lead.runHook(postTraffic, lead.r.PostTrafficHook, where))
}

// onAlias names the alias in a group's wording (" on alias live"); a release of one
// alias says it once, in preflight.
func (g *group) onAlias(x *run) string {
	if len(g.members) == 1 {
		return ""
	}
	return " on alias " + x.r.Alias
}

// stepWhere says where member x is at step i (0-based): "at step 1 of 2 (10% on version 4)".
func (g *group) stepWhere(x *run, i int, percent float64) string {
	return fmt.Sprintf("at step %d of %d (%s%% on version %s%s)", i+1, len(g.r.Schedule.Steps), FormatPercent(percent), x.target.Version, g.onAlias(x))
}

// promotedWhere says where member x is once it takes all the traffic.
func (g *group) promotedWhere(x *run) string {
	if x.guard.created {
		return fmt.Sprintf("after creating the alias (100%% on version %s%s)", x.target.Version, g.onAlias(x))
	}
	return fmt.Sprintf("after promotion (100%% on version %s%s)", x.target.Version, g.onAlias(x))
}

// watched are the members whose gates a check reads: ms, and the lead, which reads the
// group's alarms, even when its own alias is unchanged.
func (g *group) watched(ms []*run) []*run {
	for _, x := range ms {
		if x == g.lead {
			return ms
		}
	}
	return append([]*run{g.lead}, ms...)
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
func (g *group) hold(s Step, ms []*run, where func(*run) string) *failure {
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
			return g.fail(g.lead, g.lead.interrupted(err, "the hold "+where(g.lead)))
		}
		for _, x := range ms {
			at := checkpoint{
				where:     where(x),
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
			return g.fail(g.lead, g.lead.interrupted(err, "the hold "+where(g.lead)))
		}
	}
}

// createAlias creates a member's alias on its target at promotion: with no previous
// version there is nothing to shift from, so it joins when the others take all the
// traffic. Gates and the post_traffic hook still judge it; a rollback deletes it.
func (x *run) createAlias(next time.Duration) *failure {
	a, err := x.guard.create(x.ctx, x.target.Version, x.markFor(x.target.Version, next))
	var d *driftError
	if errors.As(err, &d) {
		now := "exists now"
		if d.found != nil {
			now = "now serves " + shapeOf(*d.found).String()
		}
		return &failure{
			cause: fmt.Sprintf("alias %s was created by someone else while this release ran (Lambda: alias already exists)", x.r.Alias),
			drift: fmt.Sprintf("alias %s did not exist at preflight but %s; it was created outside this release, which stopped without touching it.", x.r.Alias, now),
			next:  "Another resource or pipeline manages this alias too: give each safelambda_deployment its own alias, or import the alias (terraform import) instead of creating it. " + nextDrift,
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
	x.record(EventPromote, "created alias %s on %s (first release: nothing to shift from)", x.r.Alias, x.target.Version)
	return nil
}

// finish ends every member: on success each clears its lease and keeps its versions; on
// a failure every member that moved rolls back, concurrently and paced, each with the
// rollback's own budget. The group's Result lists every member's.
func (g *group) finish(f *failure) (Result, error) {
	if len(g.members) == 1 {
		x := g.members[0]
		res, err := x.finish(f)
		res.Members = []MemberResult{{Key: x.key, Result: res}}
		return res, err
	}
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
			mf = &failure{cause: fmt.Sprintf("stopped with the group: %s failed: %s", who, f.cause), next: f.next, err: f.err}
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
		if err != nil || !exists {
			continue
		}
		if _, live := x.otherLease(); live {
			continue
		}
		x.res.AliasARN = x.guard.found.ARN
		x.adoptSplit() // a split, or an alias the interrupted release promoted
	}
}
