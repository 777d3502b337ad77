package shift

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Group releases on the fake clock: lockstep, all-or-nothing rollback, resume, pacing.

// groupAliases are the members' aliases: three aliases of the fake's function, each
// serving version 3 (the fake holds one function; each alias stands for one member).
var groupAliases = []string{"live-a", "live-b", "live-c"}

func newGroupHarness(t *testing.T, aliases ...string) *harness {
	h := newHarness(t)
	for _, a := range aliases {
		h.aws.setAlias(a, "3", nil)
	}
	return h
}

// groupRelease releases version 4 on every alias, two steps (10%, 50%) of 2 minutes,
// the shared alarm polled every 10s.
func groupRelease(aliases []string, mods ...func(*Release)) Release {
	r := Release{
		Schedule:          Schedule{Name: "linear", Steps: []Step{{Percent: 10, Hold: 2 * time.Minute}, {Percent: 50, Hold: 2 * time.Minute}}},
		Alarms:            []string{"orders-errors"},
		AlarmPollInterval: 10 * time.Second,
	}
	for _, a := range aliases {
		r.Members = append(r.Members, Member{Key: a, Function: fnName, Alias: a, Version: "4"})
	}
	for _, m := range mods {
		m(&r)
	}
	return r
}

// aliasWrite is one UpdateAlias the engine sent, with the fake time it was sent at.
type aliasWrite struct {
	at      time.Duration
	alias   string
	version string
	percent float64 // on version 4
}

// recordWrites records every UpdateAlias that moves traffic (the lease-only writes too:
// the shape is what the test reads).
func recordWrites(h *harness) *[]aliasWrite {
	var mu sync.Mutex
	var out []aliasWrite
	prev := h.aws.beforeUpdate
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		mu.Lock()
		out = append(out, aliasWrite{at: h.clock.elapsed(), alias: u.Alias, version: u.FunctionVersion, percent: u.Weights["4"] * 100})
		mu.Unlock()
		if prev != nil {
			return prev(n, u)
		}
		return nil
	}
	return &out
}

func (h *harness) wantAliasNamed(name, version string, weights map[string]float64) {
	h.t.Helper()
	a, ok := h.aws.alias(name)
	if !ok {
		h.t.Fatalf("alias %s does not exist, want %s", name, aliasState(version, weights))
	}
	if !(aliasShape{version: version, weights: weights}).matches(a) {
		h.t.Fatalf("alias %s serves %s, want %s", name, shapeOf(a), aliasState(version, weights))
	}
}

func TestGroupLockstep(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	writes := recordWrites(h)
	res, err := h.run(groupRelease(groupAliases))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || len(res.Members) != 3 {
		t.Fatalf("status %s, %d members", res.Status, len(res.Members))
	}
	// Three batches of three writes: every member at 10%, then 50%, then promoted; each
	// batch complete before the hold of its step starts.
	var moving []aliasWrite
	last := map[string]aliasWrite{}
	for _, w := range *writes {
		if p, ok := last[w.alias]; ok && p.version == w.version && p.percent == w.percent {
			continue // clearing the lease
		}
		last[w.alias] = w
		moving = append(moving, w)
	}
	if len(moving) != 9 {
		t.Fatalf("%d traffic writes, want 9: %+v", len(moving), moving)
	}
	wantPct := []float64{10, 50, 0}
	for b := 0; b < 3; b++ {
		batch := moving[3*b : 3*b+3]
		seen := map[string]bool{}
		for _, w := range batch {
			seen[w.alias] = true
			if b < 2 && (w.version != "3" || w.percent != wantPct[b]) || b == 2 && (w.version != "4" || w.percent != 0) {
				t.Errorf("batch %d: write %+v", b, w)
			}
		}
		if len(seen) != 3 {
			t.Errorf("batch %d does not carry every member: %+v", b, batch)
		}
		if b > 0 {
			last, next := moving[3*b-1].at, batch[0].at
			if next-last < 2*time.Minute {
				t.Errorf("batch %d started %s after the previous one, before its hold ended", b, next-last)
			}
		}
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
		al, _ := h.aws.alias(a)
		if _, leased := ParseLease(al.Description); leased {
			t.Errorf("alias %s still carries a lease: %q", a, al.Description)
		}
	}
	for _, m := range res.Members {
		if m.Status != StatusSucceeded || m.LiveVersion != "4" || m.PreviousVersion != "3" {
			t.Errorf("member %s: %s live %s previous %s", m.Key, m.Status, m.LiveVersion, m.PreviousVersion)
		}
	}
}

func TestGroupLeaseNamesTheGroupOnEveryMember(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	checked := false
	h.aws.onDescribe = func(e time.Duration) {
		if checked || e < time.Minute {
			return
		}
		checked = true
		for _, a := range groupAliases {
			al, _ := h.aws.alias(a)
			l, ok := ParseLease(al.Description)
			if !ok || l.ReleaseID != "d-test" {
				t.Errorf("alias %s during the hold: description %q, want the group's lease d-test", a, al.Description)
			}
		}
		// A single release onto a member's alias meanwhile is refused by the lease.
		other := &Engine{AWS: h.aws.aws(), Clock: h.clock, NewID: func() string { return "d-single" }}
		_, err := other.Run(context.Background(), release(func(r *Release) { r.Alias = "live-b" }))
		if err == nil || !strings.Contains(err.Error(), "is being released by d-test") {
			t.Errorf("single release on a member's alias: %v", err)
		}
	}
	if _, err := h.run(groupRelease(groupAliases)); err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("the hold was never observed")
	}
}

func TestGroupMemberAlarmRollsBackAll(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.alarms["b-errors"] = stateAfter(3*time.Minute, "ALARM")
	res, err := h.run(groupRelease(groupAliases, func(r *Release) { r.Members[1].Alarms = []string{"b-errors"} }))
	if err == nil {
		t.Fatal("the group released although member b's alarm fired")
	}
	if res.Status != StatusRolledBack {
		t.Errorf("status %s, want RolledBack", res.Status)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
		if !strings.Contains(err.Live, a) {
			t.Errorf("the error does not say what alias %s serves: %s", a, err.Live)
		}
	}
	if !strings.Contains(err.Cause, "member live-b") || !strings.Contains(err.Cause, "b-errors") {
		t.Errorf("cause %q does not name the member and its alarm", err.Cause)
	}
	for _, m := range res.Members {
		if m.Status != StatusRolledBack || m.LiveVersion != "3" {
			t.Errorf("member %s: %s live %s", m.Key, m.Status, m.LiveVersion)
		}
	}
}

func TestGroupWriteFailsMidStepRollsBackAll(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if u.Alias == "live-c" && u.Weights["4"] > 0.4 {
			return errors.New("ServiceException: internal error")
		}
		return nil
	}
	res, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("the group released although a write failed")
	}
	if res.Status != StatusRolledBack {
		t.Errorf("status %s, want RolledBack", res.Status)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
	}
	if !strings.Contains(err.Cause, "live-c") {
		t.Errorf("cause %q does not name the member", err.Cause)
	}
}

func TestGroupInterruptRollsBackAll(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.aws.onDescribe = func(e time.Duration) {
		if e >= 3*time.Minute {
			cancel()
		}
	}
	res, err := h.runCtx(ctx, groupRelease(groupAliases))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want an interruption", err)
	}
	if res.Status != StatusRolledBack {
		t.Errorf("status %s, want RolledBack", res.Status)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
	}
}

func TestGroupUnchangedMemberUntouched(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.setAlias("live-c", "4", nil)
	writes := recordWrites(h)
	res, err := h.run(groupRelease(groupAliases))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range *writes {
		if w.alias == "live-c" {
			t.Errorf("the unchanged member was written: %+v", w)
		}
	}
	if res.Members[2].Status != StatusNoChange {
		t.Errorf("member c: %s, want NoChange", res.Members[2].Status)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
	}
}

func TestGroupNothingToRelease(t *testing.T) {
	h := newGroupHarness(t)
	for _, a := range groupAliases {
		h.aws.setAlias(a, "4", nil)
	}
	res, err := h.run(groupRelease(groupAliases))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusNoChange || h.aws.count("UpdateAlias") != 0 {
		t.Errorf("status %s, %d UpdateAlias", res.Status, h.aws.count("UpdateAlias"))
	}
}

func TestGroupNewMemberCreatedAtPromotion(t *testing.T) {
	h := newGroupHarness(t, "live-a", "live-b")
	res, err := h.run(groupRelease(groupAliases))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
	}
	if res.Members[2].PreviousVersion != "" || h.aws.count("CreateAlias") != 1 {
		t.Errorf("member c previous %q, %d CreateAlias", res.Members[2].PreviousVersion, h.aws.count("CreateAlias"))
	}

	// The same with a trip after promotion (the post_traffic hook fails): the created
	// alias is deleted, the others go back.
	h = newGroupHarness(t, "live-a", "live-b")
	h.aws.hooks["e2e"] = func(HookPayload) (InvokeResult, error) {
		return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"checkout flow broken"}`)}, nil
	}
	if _, err := h.run(groupRelease(groupAliases, func(r *Release) { r.PostTrafficHook = "e2e" })); err == nil {
		t.Fatal("released although the post_traffic hook failed")
	}
	h.wantAliasNamed("live-a", "3", nil)
	h.wantAliasNamed("live-b", "3", nil)
	if _, ok := h.aws.alias("live-c"); ok {
		t.Error("the alias the release created was not deleted")
	}
}

func TestGroupResumesInterruptedSplitsTogether(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	// A killed group release left a and b at 10% and had not yet written c.
	h.aws.splitByKilledRelease("live-a", "3", map[string]float64{"4": 0.1})
	h.aws.splitByKilledRelease("live-b", "3", map[string]float64{"4": 0.1})
	writes := recordWrites(h)
	res, err := h.run(groupRelease(groupAliases))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
	}
	for _, m := range res.Members {
		if m.PreviousVersion != "3" {
			t.Errorf("member %s previous %q, want 3", m.Key, m.PreviousVersion)
		}
	}
	// c caught up at 10% before anything moved on to 50%.
	for _, w := range *writes {
		if w.percent == 50 {
			break
		}
		if w.alias == "live-c" && w.percent == 10 {
			return
		}
	}
	t.Errorf("member c did not join at 10%% before 50%%: %+v", *writes)
}

func TestGroupRestoresInterruptedSplitsTogether(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.splitByKilledRelease("live-a", "3", map[string]float64{"4": 0.1})
	h.aws.splitByKilledRelease("live-b", "3", map[string]float64{"4": 0.1})
	h.aws.alarms["orders-errors"] = always("ALARM")
	_, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("resumed over a firing alarm")
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
	}
}

func TestGroupThrottledWriteRetried(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	throttled := 0
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if u.Alias == "live-b" && throttled < 2 {
			throttled++
			return fmt.Errorf("TooManyRequestsException: Rate exceeded: %w", ErrThrottled)
		}
		return nil
	}
	if _, err := h.run(groupRelease(groupAliases)); err != nil {
		t.Fatal(err)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
	}
	if throttled != 2 {
		t.Errorf("%d throttles answered, want 2", throttled)
	}
}

func TestGroupPacing(t *testing.T) {
	var aliases []string
	for i := 0; i < 12; i++ {
		aliases = append(aliases, fmt.Sprintf("m%02d", i))
	}
	h := newGroupHarness(t, aliases...)
	writes := recordWrites(h)
	const perSecond = 2.0
	if _, err := h.run(groupRelease(aliases, func(r *Release) { r.WritesPerSecond = perSecond })); err != nil {
		t.Fatal(err)
	}
	// By any moment T after a batch began, at most burst + rate×T writes went out.
	burst := int(perSecond)
	var start time.Duration
	count := 0
	for i, w := range *writes {
		if i == 0 || w.at-(*writes)[i-1].at >= time.Minute {
			start, count = w.at, 0 // a new step
		}
		count++
		if allowed := float64(burst) + perSecond*(w.at-start).Seconds(); float64(count) > allowed+1e-9 {
			t.Fatalf("write %d of its batch at +%s: %d writes, the rate allows %.1f", count, w.at-start, count, allowed)
		}
	}
}

func TestGroupCallsPerMemberEqualASingleRelease(t *testing.T) {
	single := newHarness(t)
	if _, err := single.run(release(func(r *Release) { r.Schedule = groupRelease(nil).Schedule })); err != nil {
		t.Fatal(err)
	}
	h := newGroupHarness(t, groupAliases...)
	if _, err := h.run(groupRelease(groupAliases)); err != nil {
		t.Fatal(err)
	}
	for _, call := range []string{"GetAlias", "UpdateAlias", "GetVersion", "GetFunction"} {
		if got, want := h.aws.count(call), 3*single.aws.count(call); got != want {
			t.Errorf("%s: %d calls for 3 members, want %d (3 × a single release's)", call, got, want)
		}
	}
	// The group's alarms are read once a poll for the whole group.
	if got, want := h.aws.count("DescribeAlarms"), single.aws.count("DescribeAlarms"); got != want {
		t.Errorf("DescribeAlarms: %d calls for the group, want %d (a single release's)", got, want)
	}
}

func TestGroupHooksRunOnceWithEveryMember(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	if _, err := h.run(groupRelease(groupAliases, func(r *Release) { r.PreTrafficHook, r.PostTrafficHook = "smoke", "e2e" })); err != nil {
		t.Fatal(err)
	}
	if len(h.aws.payloads) != 2 {
		t.Fatalf("%d hook invocations, want 2", len(h.aws.payloads))
	}
	for _, p := range h.aws.payloads {
		if len(p.Members) != 3 || p.FunctionName != fnName || p.Alias != "live-a" {
			t.Fatalf("payload %+v", p)
		}
		for i, m := range p.Members {
			if m.Alias != groupAliases[i] || m.CurrentVersion != "3" || m.TargetVersion != "4" || m.TargetVersionARN != fnARN+":4" {
				t.Errorf("payload member %d: %+v", i, m)
			}
		}
	}
}

func TestGroupRefusesOneAliasTwice(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	_, err := h.run(groupRelease([]string{"live-a", "live-a"}))
	if err == nil || !strings.Contains(err.Cause, "both release alias live-a") {
		t.Fatalf("err %v", err)
	}
	if h.aws.count("UpdateAlias") != 0 {
		t.Error("wrote an alias")
	}
}

// The first member (which reads the group's alarms) already serves its version: the
// group's alarm still watches the others, and its trip rolls them back.
func TestGroupAlarmWatchedWhenTheFirstMemberIsUnchanged(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.setAlias("live-a", "4", nil)
	h.aws.alarms["orders-errors"] = stateAfter(time.Minute, "ALARM")
	writes := recordWrites(h)
	_, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("released although the group's alarm fired")
	}
	h.wantAliasNamed("live-a", "4", nil)
	h.wantAliasNamed("live-b", "3", nil)
	h.wantAliasNamed("live-c", "3", nil)
	for _, w := range *writes {
		if w.alias == "live-a" {
			t.Errorf("the unchanged member was written: %+v", w)
		}
	}
}

// promotedByKilledRelease leaves alias name on version as a release killed during its
// promotion does: promoted, its lease (recording from, the version served before) still on.
func (f *fakeAWS) promotedByKilledRelease(name, version, from string) {
	f.setAlias(name, version, nil)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aliases[name].Description = Lease{ReleaseID: "d-killed", From: from, Holder: "ci@runner", Until: t0.Add(-time.Second)}.String()
}

// killedMidPromotion is a group release of version 4 killed while it promoted: live-c
// promoted already, live-a and live-b still at 50%.
func killedMidPromotion(h *harness) {
	h.aws.splitByKilledRelease("live-a", "3", map[string]float64{"4": 0.5})
	h.aws.splitByKilledRelease("live-b", "3", map[string]float64{"4": 0.5})
	h.aws.promotedByKilledRelease("live-c", "4", "3")
}

func timelineHas(res Result, want string) bool {
	for _, ev := range res.Timeline {
		if strings.Contains(ev.Detail, want) {
			return true
		}
	}
	return false
}

// Killed mid-promotion, then an alarm fires: the member already promoted goes back with the
// others (never some promoted and some restored), and the error lists every member. The
// promoted member comes last, so the lead's preflight fails before it is read: it is taken
// back all the same.
func TestGroupKilledMidPromotionThenAlarmRestoresEveryMember(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	killedMidPromotion(h)
	h.aws.alarms["orders-errors"] = always("ALARM")
	res, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("resumed over a firing alarm")
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
		if !strings.Contains(err.Error(), a+" ("+fnName+":"+a+"): ") {
			t.Errorf("error does not list member %s:\n%s", a, err)
		}
		if d := h.aliasDescription(a); !strings.HasPrefix(d, "safelambda restored version 3") {
			t.Errorf("alias %s description %q, want a restored mark", a, d)
		}
	}
	if res.Status != StatusRolledBack {
		t.Errorf("status %s, want rolled back", res.Status)
	}
	if !strings.Contains(err.Error(), "the promotion to 4 by release d-killed") {
		t.Errorf("error does not say the promotion of live-c was undone:\n%s", err)
	}
}

// The same, with the promoted member first (it reads the group's alarms itself).
func TestGroupKilledMidPromotionLeadPromotedThenAlarmRestoresEveryMember(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.promotedByKilledRelease("live-a", "4", "3")
	h.aws.splitByKilledRelease("live-b", "3", map[string]float64{"4": 0.5})
	h.aws.splitByKilledRelease("live-c", "3", map[string]float64{"4": 0.5})
	h.aws.alarms["orders-errors"] = always("ALARM")
	_, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("resumed over a firing alarm")
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
	}
	if !strings.Contains(err.Error(), "alias live-a was left promoted on 4 (from 3) by release d-killed (run by ci@runner), which was interrupted (its lease ran out at 2025-06-01T11:59:59Z): the promotion is rolled back to version 3") {
		t.Errorf("error does not say live-a was left promoted:\n%s", err)
	}
}

// Killed mid-promotion, then an alarm fires during the resumed hold: every member, the
// promoted one included, is rolled back to 3 in the one rollback.
func TestGroupKilledMidPromotionThenAlarmDuringHoldRollsBackEveryMember(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	killedMidPromotion(h)
	h.aws.alarms["orders-errors"] = alarmScript(func(elapsed time.Duration, _ *Alias) string {
		if elapsed >= time.Minute {
			return "ALARM"
		}
		return "OK"
	})
	_, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("promoted over a firing alarm")
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "3", nil)
	}
}

// Killed mid-promotion, then every check passes: the promoted member counts as promoted
// (no step writes it back down), and every member ends on its target with 3 recorded as
// what served before.
func TestGroupKilledMidPromotionThenChecksPassPromotesEveryMember(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	killedMidPromotion(h)
	writes := recordWrites(h)
	res, err := h.run(groupRelease(groupAliases))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
		if d := h.aliasDescription(a); !strings.HasPrefix(d, "safelambda released version 4 from 3 in ") {
			t.Errorf("alias %s description %q, want a released mark from 3", a, d)
		}
	}
	for _, m := range res.Members {
		if m.PreviousVersion != "3" || m.Status != StatusSucceeded {
			t.Errorf("member %s: previous %q status %s, want 3 and succeeded", m.Key, m.PreviousVersion, m.Status)
		}
	}
	for _, w := range *writes {
		if w.alias == "live-c" && (w.version != "4" || w.percent != 0) {
			t.Errorf("promoted member live-c written back to a split: %+v", w)
		}
	}
}

// One member of the killed release is weighted to a version this release does not ship:
// the group restores, and restores every member of that release, the promoted one
// included (to 3, its from), before releasing 4 from there.
func TestGroupKilledMidPromotionOtherTargetRestoresEveryMemberFirst(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.splitByKilledRelease("live-a", "3", map[string]float64{"5": 0.5})
	h.aws.splitByKilledRelease("live-b", "3", map[string]float64{"5": 0.5})
	h.aws.promotedByKilledRelease("live-c", "4", "3")
	writes := recordWrites(h)
	if _, err := h.run(groupRelease(groupAliases)); err != nil {
		t.Fatal(err)
	}
	for _, a := range groupAliases {
		h.wantAliasNamed(a, "4", nil)
	}
	restored := false
	for _, w := range *writes {
		if w.alias == "live-c" && w.version == "3" && w.percent == 0 {
			restored = true
		}
		if w.alias == "live-c" && w.percent == 10 && !restored {
			t.Fatalf("live-c shifted before it was restored to 3: %+v", *writes)
		}
	}
	if !restored {
		t.Errorf("live-c was not restored to 3: %+v", *writes)
	}
}

// A lease written before leases recorded from: the alias cannot be told promoted from only
// prepared, so it is left as today (unchanged), with a warning naming the member.
func TestGroupKilledMidPromotionOldLeaseWarns(t *testing.T) {
	h := newGroupHarness(t, groupAliases...)
	h.aws.splitByKilledRelease("live-a", "3", map[string]float64{"4": 0.5})
	h.aws.splitByKilledRelease("live-b", "3", map[string]float64{"4": 0.5})
	h.aws.splitByKilledRelease("live-c", "4", nil) // an old lease: no from
	if d := h.aliasDescription("live-c"); strings.Contains(d, " from ") {
		t.Fatalf("not an old lease: %q", d)
	}
	h.aws.alarms["orders-errors"] = always("ALARM")
	res, err := h.run(groupRelease(groupAliases))
	if err == nil {
		t.Fatal("resumed over a firing alarm")
	}
	h.wantAliasNamed("live-a", "3", nil)
	h.wantAliasNamed("live-b", "3", nil)
	h.wantAliasNamed("live-c", "4", nil)
	if !timelineHas(res, "member live-c: alias live-c serves 4 under the lease of interrupted release d-killed, which records no previous version") {
		t.Errorf("no warning naming member live-c: %+v", res.Timeline)
	}
}

// A release of one alias follows the same rule: killed after its promotion but before its
// last write (its post_traffic hook and last checks never ran), an alarm at the next apply
// takes it back to the version it served before.
func TestKilledAfterPromotionThenAlarmRestoresTheAlias(t *testing.T) {
	h := newHarness(t)
	h.aws.promotedByKilledRelease("live", "4", "3")
	h.aws.alarms["orders-errors"] = always("ALARM")
	res, err := h.run(release())
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
}

// And with every check passing it is promoted again (its lease cleared, 3 recorded).
func TestKilledAfterPromotionThenChecksPassFinishesTheRelease(t *testing.T) {
	h := newHarness(t)
	h.aws.promotedByKilledRelease("live", "4", "3")
	res, err := h.run(release())
	if err != nil || res.Status != StatusSucceeded || res.PreviousVersion != "3" {
		t.Fatalf("status %s previous %q err %v", res.Status, res.PreviousVersion, err)
	}
	h.wantAlias("4", nil)
	if d := h.aliasDescription("live"); !strings.HasPrefix(d, "safelambda released version 4 from 3 in ") {
		t.Errorf("description %q", d)
	}
}

func (h *harness) aliasDescription(name string) string {
	a, _ := h.aws.alias(name)
	return a.Description
}
