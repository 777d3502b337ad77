package bench

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// groupMembers is the size of the group benchmarked (issue 19).
const groupMembers = 25

// cpuTime is this process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// stampedWrites records when each UpdateAlias reached the proxy.
type stampedWrites struct {
	mu sync.Mutex
	at []time.Time
}

func (s *stampedWrites) add(op string) {
	if op != "Lambda.UpdateAlias" {
		return
	}
	s.mu.Lock()
	s.at = append(s.at, time.Now())
	s.mu.Unlock()
}

func (s *stampedWrites) reset() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.at
	s.at = nil
	return out
}

// spread is the time from the first to the last of the first n writes at or after from.
func spread(at []time.Time, from time.Time, n int) (time.Duration, int) {
	var in []time.Time
	for _, t := range at {
		if !t.Before(from) {
			in = append(in, t)
		}
	}
	if len(in) == 0 {
		return 0, 0
	}
	if len(in) > n {
		in = in[:n]
	}
	return in[len(in)-1].Sub(in[0]), len(in)
}

// paceFloor is the least time n paced writes can take at the default rate: the first
// burst goes at once, the rest one every 1/rate.
func paceFloor(n int) time.Duration {
	burst := int(shift.DefaultWritesPerSecond)
	if n <= burst {
		return 0
	}
	return time.Duration(float64(n-burst) / shift.DefaultWritesPerSecond * float64(time.Second))
}

// benchGroup: a group of 25 members through the engine against moto, at the default
// pacing: the spread of a step's writes and of the rollback's, as ratios to the pacing
// floor; Lambda calls per member against a single release's; CPU time beside wall time.
func benchGroup(t *testing.T) {
	e := newEngineEnv(t)
	writes := &stampedWrites{}
	e.proxy.OnRequest(writes.add)
	alarm := alarms(t, 1)
	sched := mustSchedule(shift.ScheduleSpec{Canary: &shift.Interval{Percent: 10, Every: 2 * time.Second}})

	// One single release first, for the calls per member.
	single := newReleasable(t)
	e.release(t, single, shift.Release{Schedule: sched, Alarms: alarm, AlarmPollInterval: time.Second, TrafficArrivesVia: shift.ArrivesViaDirectInvoke}) // warm-up
	one := e.release(t, single, shift.Release{Schedule: sched, Alarms: alarm, AlarmPollInterval: time.Second, TrafficArrivesVia: shift.ArrivesViaDirectInvoke})
	singleLambda := lambdaControlPlane(one.calls)

	members := make([]*releasable, groupMembers)
	for i := range members {
		members[i] = newReleasable(t)
	}
	group := func() shift.Release {
		rel := shift.Release{Schedule: sched, Alarms: alarm, AlarmPollInterval: time.Second, TrafficArrivesVia: shift.ArrivesViaDirectInvoke}
		for i, m := range members {
			rel.Members = append(rel.Members, shift.Member{Key: fmt.Sprintf("m%02d", i), Function: m.fn, Alias: "live", Version: m.next()})
		}
		return rel
	}

	// A release that succeeds.
	e.proxy.Reset()
	writes.reset()
	cpu0, start := cpuTime(), time.Now()
	res, err := e.engine.Run(t.Context(), group())
	wall, cpu := time.Since(start), cpuTime()-cpu0
	if err != nil || res.Status != shift.StatusSucceeded {
		t.Fatalf("group release: %s: %v", res.Status, err)
	}
	for _, m := range members {
		m.serving = m.next()
	}
	calls := e.proxy.Calls()
	stepSpread, n := spread(writes.reset(), start, groupMembers)
	floor := paceFloor(groupMembers)
	ratio := stepSpread.Seconds() / floor.Seconds()
	perMember := float64(lambdaControlPlane(calls)) / groupMembers
	results.add(row{
		measure: fmt.Sprintf("19 group of %d: first to last write of the step", groupMembers),
		via:     "engine",
		result:  fmt.Sprintf("%s for %d writes: %.2f× the pacing floor %s", ms(stepSpread), n, ratio, ms(floor)),
		target:  "≤ 1.3×",
		met:     verdict(ratio <= 1.3),
	})
	results.add(row{
		measure: fmt.Sprintf("19 group of %d: Lambda control-plane calls per member", groupMembers),
		via:     "engine",
		result:  fmt.Sprintf("%.2f (a single release: %d)", perMember, singleLambda),
		target:  fmt.Sprintf("= %d", singleLambda),
		met:     verdict(perMember == float64(singleLambda)),
	})
	results.add(row{
		measure: fmt.Sprintf("19 group of %d: wall and this process's CPU time", groupMembers),
		via:     "engine",
		result: fmt.Sprintf("wall %s (holds %s); CPU %s per release, %s per member (engine, SDK and the in-process counting proxy; moto is another process)",
			secs(wall), holds(sched), ms(cpu), ms(cpu/groupMembers)),
	})
	results.detail("**Group of %d.** Calls: %s. DescribeAlarms: %d (the group's alarm is read once a poll for the whole group).",
		groupMembers, callList(calls), calls["CloudWatch.DescribeAlarms"])
	t.Logf("group: step spread %s (%.2f× floor %s), %.2f Lambda calls per member (single %d), wall %s, CPU %s",
		stepSpread, ratio, floor, perMember, singleLambda, wall, cpu)

	// A release that trips once every member carries the step: all roll back.
	var tripped time.Time
	var once sync.Once
	e.proxy.Reset()
	writes.reset()
	e.proxy.OnRequest(func(op string) {
		writes.add(op)
		if op == "CloudWatch.DescribeAlarms" {
			writes.mu.Lock()
			n := len(writes.at)
			writes.mu.Unlock()
			if n >= groupMembers {
				once.Do(func() {
					acctest.SetAlarmState(t, alarm[0], "ALARM")
					tripped = time.Now()
				})
			}
		}
	})
	defer acctest.SetAlarmState(t, alarm[0], "OK")
	cpu0, start = cpuTime(), time.Now()
	res, err = e.engine.Run(context.Background(), group())
	wall, cpu = time.Since(start), cpuTime()-cpu0
	if err == nil || res.Status != shift.StatusRolledBack {
		t.Fatalf("group release with a trip: %s: %v", res.Status, err)
	}
	at := writes.reset()
	var back []time.Time
	for _, w := range at {
		if w.After(tripped) {
			back = append(back, w)
		}
	}
	if len(back) < groupMembers {
		t.Fatalf("%d writes after the trip, want %d", len(back), groupMembers)
	}
	rollback := back[groupMembers-1].Sub(back[0])
	rratio := rollback.Seconds() / floor.Seconds()
	results.add(row{
		measure: fmt.Sprintf("19 group of %d: rollback of every member, first to last write", groupMembers),
		via:     "engine",
		result:  fmt.Sprintf("%s: %.2f× the pacing floor %s (wall of the release %s, CPU %s)", ms(rollback), rratio, ms(floor), secs(wall), ms(cpu)),
		target:  "≤ 1.3×",
		met:     verdict(rratio <= 1.3),
	})
	t.Logf("group rollback: %s (%.2f× floor), wall %s, CPU %s", rollback, rratio, wall, cpu)
}
