package bench

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/awsapi"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// engineEnv is the release engine wired through internal/awsapi to a counting proxy in
// front of moto: what the provider runs inside terraform apply, minus Terraform.
type engineEnv struct {
	proxy  *acctest.Proxy
	hooks  *timedInvoker
	engine *shift.Engine
}

func newEngineEnv(t *testing.T) *engineEnv {
	t.Helper()
	p := acctest.StartProxy(t)
	clients, err := awsapi.NewClients(t.Context(), awsapi.Settings{
		Region:    acctest.Region,
		Endpoints: awsapi.Endpoints{Lambda: p.URL(), CloudWatch: p.URL(), STS: p.URL()},
	})
	if err != nil {
		t.Fatalf("build AWS clients: %v", err)
	}
	aws := clients.Engine()
	hooks := &timedInvoker{next: aws.Invoker}
	aws.Invoker = hooks
	return &engineEnv{proxy: p, hooks: hooks, engine: &shift.Engine{AWS: aws, Clock: shift.RealClock{}}}
}

// timedInvoker adds up the time spent invoking hooks, which the overhead leaves out.
type timedInvoker struct {
	next  shift.Invoker
	total atomic.Int64 // nanoseconds
}

func (h *timedInvoker) Invoke(ctx context.Context, function string, payload []byte) (shift.InvokeResult, error) {
	start := time.Now()
	defer func() { h.total.Add(int64(time.Since(start))) }()
	return h.next.Invoke(ctx, function, payload)
}

// schedules are the three the overhead is measured for, with 1s holds.
var schedules = []struct {
	name  string
	sched shift.Schedule
}{
	{"AllAtOnce", mustSchedule(shift.ScheduleSpec{})},
	{"canary 10%/1s", mustSchedule(shift.ScheduleSpec{Canary: &shift.Interval{Percent: 10, Every: time.Second}})},
	{"linear 10%/1s", mustSchedule(shift.ScheduleSpec{Linear: &shift.Interval{Percent: 10, Every: time.Second}})},
}

func mustSchedule(spec shift.ScheduleSpec) shift.Schedule {
	s, errs := shift.ResolveSchedule(spec)
	if len(errs) > 0 {
		panic(fmt.Sprint(errs))
	}
	return s
}

func holds(s shift.Schedule) time.Duration {
	var d time.Duration
	for _, st := range s.Steps {
		d += st.Hold
	}
	return d
}

// releasable is a function with versions 1 and 2 published and alias "live" on 1, so
// every release is a real shift: 1 → 2, then 2 → 1, and so on.
type releasable struct {
	fn      string
	serving string
}

func newReleasable(t *testing.T) *releasable {
	t.Helper()
	fn := acctest.FunctionPublished(t, "")
	acctest.UpdateCode(t, fn.Name, "v2")
	acctest.Publish(t, fn.Name)
	acctest.CreateAlias(t, fn.Name, "live", "1", nil)
	return &releasable{fn: fn.Name, serving: "1"}
}

func (r *releasable) next() string {
	if r.serving == "1" {
		return "2"
	}
	return "1"
}

// alarms creates n alarms in state OK and returns their names.
func alarms(t *testing.T, n int) []string {
	t.Helper()
	prefix := acctest.RandName("bench-alarm")
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%03d", prefix, i)
		acctest.Alarm(t, names[i])
		acctest.SetAlarmState(t, names[i], "OK")
	}
	return names
}

// trial is one release through the engine, timed and counted.
type trial struct {
	res      shift.Result
	wall     time.Duration
	hookTime time.Duration
	calls    map[string]int
	polls    int // gate checks, preflight's included
}

func (e *engineEnv) release(t *testing.T, r *releasable, rel shift.Release) trial {
	t.Helper()
	rel.Function, rel.Alias, rel.Version = r.fn, "live", r.next()
	if rel.TrafficArrivesVia == "" {
		// Nothing triggers the bench's functions: the engine's own cost is measured, not
		// the six reads of the wiring check, which a gradual release of a triggered function adds.
		rel.TrafficArrivesVia = shift.ArrivesViaDirectInvoke
	}
	e.proxy.Reset()
	e.hooks.total.Store(0)
	start := time.Now()
	res, err := e.engine.Run(t.Context(), rel)
	wall := time.Since(start)
	if err != nil {
		t.Fatalf("release %s of %s: %v", rel.Version, r.fn, err)
	}
	if res.Status != shift.StatusSucceeded {
		t.Fatalf("release %s of %s: status %s: %s", rel.Version, r.fn, res.Status, res.Message)
	}
	r.serving = rel.Version
	tr := trial{res: res, wall: wall, hookTime: time.Duration(e.hooks.total.Load()), calls: e.proxy.Calls()}
	if len(rel.Alarms) > 0 {
		tr.polls = 1 // the preflight check
	}
	for _, ev := range res.Timeline {
		if ev.Kind == shift.EventPoll {
			tr.polls++
		}
	}
	return tr
}

const overheadTrials = 10

// benchOverhead: wall time of a release minus its holds and hook run time, median of 10,
// for AllAtOnce, a one-step canary and a 9-hold linear, with a pre_traffic and a
// post_traffic hook and one alarm polled every second.
func benchOverhead(t *testing.T) {
	e := newEngineEnv(t)
	hook := acctest.Function(t, "").Name
	alarm := alarms(t, 1)
	for _, s := range schedules {
		r := newReleasable(t)
		rel := shift.Release{
			Schedule: s.sched, Alarms: alarm, AlarmPollInterval: time.Second,
			PreTrafficHook: hook, PostTrafficHook: hook,
		}
		e.release(t, r, rel) // warm-up: connections, moto's first-call costs
		var over, walls, hookTimes []time.Duration
		var last trial
		for range overheadTrials {
			tr := e.release(t, r, rel)
			walls = append(walls, tr.wall)
			hookTimes = append(hookTimes, tr.hookTime)
			over = append(over, tr.wall-holds(s.sched)-tr.hookTime)
			last = tr
		}
		steps := len(s.sched.Steps)
		target := 150*time.Millisecond + time.Duration(steps)*20*time.Millisecond
		m := median(over)
		results.add(row{
			measure: fmt.Sprintf("1 overhead, %s (%d hold%s), median of %d", s.name, steps, plural(steps), overheadTrials),
			via:     "engine",
			result:  fmt.Sprintf("%s (min %s, max %s)", ms(m), ms(percentile(over, 0)), ms(percentile(over, 100))),
			target:  fmt.Sprintf("≤ %s (150 ms + %d × 20 ms)", ms(target), steps),
			met:     verdict(m <= target),
		})
		results.detail("**Overhead, %s.** Wall time median %s for %s of scheduled holds; hooks (2 synchronous Invoke calls to moto) took median %s; %d alarm polls. Calls of the last trial: %s.",
			s.name, ms(median(walls)), holds(s.sched), ms(median(hookTimes)), last.polls, callList(last.calls))
		t.Logf("overhead %s: median %s over %v", s.name, ms(m), over)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// benchEconomy counts the API calls of one release by operation, without hooks.
func benchEconomy(t *testing.T) {
	e := newEngineEnv(t)
	cases := []struct {
		sched  int // index into schedules
		alarms int
	}{{0, 1}, {1, 1}, {2, 1}, {1, 100}, {1, 250}}
	made := map[int][]string{}
	for _, c := range cases {
		names, ok := made[c.alarms]
		if !ok {
			names = alarms(t, c.alarms)
			made[c.alarms] = names
		}
		s := schedules[c.sched]
		r := newReleasable(t)
		tr := e.release(t, r, shift.Release{Schedule: s.sched, Alarms: names, AlarmPollInterval: time.Second})
		steps := len(s.sched.Steps)
		batches := (c.alarms + shift.MaxAlarmsPerCall - 1) / shift.MaxAlarmsPerCall
		describe := tr.calls["CloudWatch.DescribeAlarms"]
		lambdaCalls := lambdaControlPlane(tr.calls)
		// 4 + 2 × steps for the guarded moves, one read of the live version when there is a
		// weighted step (Lambda routes weights only between versions with the same role and
		// dead-letter target), and one write that clears the lease after the last alarm
		// check (the alarms are read once more after the promotion).
		lambdaMax, formula := 4+2*steps+1, fmt.Sprintf("5 + 2 × %d", steps)
		if steps > 0 {
			lambdaMax, formula = lambdaMax+1, fmt.Sprintf("6 + 2 × %d", steps)
		}
		results.add(row{
			measure: fmt.Sprintf("3 DescribeAlarms, %s, %d alarm%s", s.name, c.alarms, plural(c.alarms)),
			via:     "engine",
			result:  fmt.Sprintf("%d calls for %d polls", describe, tr.polls),
			target:  fmt.Sprintf("≤ %d (%d polls × %d)", tr.polls*batches, tr.polls, batches),
			met:     verdict(describe <= tr.polls*batches),
		})
		results.add(row{
			measure: fmt.Sprintf("3 Lambda control-plane calls, %s, %d alarm%s", s.name, c.alarms, plural(c.alarms)),
			via:     "engine",
			result:  fmt.Sprint(lambdaCalls),
			target:  fmt.Sprintf("≤ %d (%s)", lambdaMax, formula),
			met:     verdict(lambdaCalls <= lambdaMax),
		})
		results.detail("**Calls, %s, %d alarms, no hooks.** %s.", s.name, c.alarms, callList(tr.calls))
		t.Logf("economy %s %d alarms: %s", s.name, c.alarms, callList(tr.calls))
	}
	results.detail("**Where the Lambda calls go** (version mode, no hooks): preflight reads the version to release (1 GetFunctionConfiguration, which also proves the function exists) and the alias (1 GetAlias); every traffic move, each weighted step and the promotion alike, is a guarded write: GetAlias to compare version and weights, then UpdateAlias with the RevisionId (moto does not enforce RevisionId, so the comparison is what guards there). After a success nothing is read again: the last guarded write is what is live. That is 2 + 2 × (steps + 1) = 4 + 2 × steps, plus two that real AWS asks for: with a weighted step, one GetFunctionConfiguration of the live version (Lambda refuses weights between versions with different execution roles or dead-letter targets, so preflight compares them before anything changes), and, when alarms are read once more after the promotion, one guarded UpdateAlias that clears the release's lease from the alias description (the promotion keeps the lease while that check can still roll back). Each hook adds one GetFunctionConfiguration in preflight (it must exist) and its Invoke; code_sha256 mode adds one GetFunctionConfiguration of $LATEST (its code and configuration, which decide whether a published version can be reused), ListVersionsByFunction unless the live version matches, and, when nothing matches, PublishVersion.")
}

// only lets a developer run part of the benchmark: SAFELAMBDA_BENCH_ONLY=overhead,refresh.
func only(name string) bool {
	list := strings.TrimSpace(getenv("SAFELAMBDA_BENCH_ONLY"))
	if list == "" {
		return true
	}
	for _, n := range strings.Split(list, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}
