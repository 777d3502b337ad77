package shift

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// gate is a check held against a release while the target takes traffic: polled through
// every hold and once more after promotion. Alarms are one gate.
//
// TODO(metric gates): a metricGate over AWS.Metrics satisfies this too, reading the alias's
// Invocations, Errors and p99 Duration by ExecutedVersion since the step started
// (checkpoint.stepStart) and tripping on MetricGates' limits. preflightGates refuses
// MetricGates until it exists.
type gate interface {
	// check returns an error when the gate could not be read (the release fails unless
	// told to go on), and a tripped verdict when the release must roll back.
	check(ctx context.Context, at checkpoint) (verdict, error)
}

// checkpoint is where the release is when a gate is checked.
type checkpoint struct {
	where     string // "at step 1 of 2 (10% on version 4)", "after promotion (…)"
	stepStart time.Time
}

type verdict struct {
	tripped bool
	cause   string // first line of the error when tripped
	reason  string // more detail when tripped
	detail  string // for the poll event when not
}

// alarmGate trips when any of its alarms is in ALARM. INSUFFICIENT_DATA does not trip.
type alarmGate struct {
	alarms Alarms
	names  []string
}

// states reads every alarm, MaxAlarmsPerCall names per DescribeAlarms call.
func (g alarmGate) states(ctx context.Context) (map[string]AlarmState, error) {
	out := make(map[string]AlarmState, len(g.names))
	for i := 0; i < len(g.names); i += MaxAlarmsPerCall {
		batch := g.names[i:min(i+MaxAlarmsPerCall, len(g.names))]
		got, err := g.alarms.DescribeAlarms(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, s := range got {
			out[s.Name] = s
		}
	}
	return out, nil
}

func (g alarmGate) missing(states map[string]AlarmState) []string {
	var out []string
	for _, n := range g.names {
		if _, ok := states[n]; !ok {
			out = append(out, n)
		}
	}
	return out
}

// firing lists the alarms in ALARM, in the order the release names them.
func (g alarmGate) firing(states map[string]AlarmState) []AlarmState {
	var out []AlarmState
	for _, n := range g.names {
		if s, ok := states[n]; ok && s.State == "ALARM" {
			out = append(out, s)
		}
	}
	return out
}

func (g alarmGate) check(ctx context.Context, at checkpoint) (verdict, error) {
	states, err := g.states(ctx)
	if err != nil {
		return verdict{}, err
	}
	// An alarm deleted mid-release can no longer protect it: treat it as unreadable.
	if missing := g.missing(states); len(missing) > 0 {
		return verdict{}, fmt.Errorf("%s", quoteList("alarm", missing, "no longer exists", "no longer exist"))
	}
	if firing := g.firing(states); len(firing) > 0 {
		return verdict{
			tripped: true,
			cause:   fmt.Sprintf("%s %s", quoteList("alarm", names(firing), "is in ALARM", "are in ALARM"), at.where),
			reason:  reasons(firing),
		}, nil
	}
	counts := map[string]int{}
	for _, s := range states {
		counts[s.State]++
	}
	var parts []string
	for _, st := range []string{"OK", "INSUFFICIENT_DATA"} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	return verdict{detail: fmt.Sprintf("alarms %s %s", strings.Join(parts, ", "), at.where)}, nil
}

func names(states []AlarmState) []string {
	out := make([]string, len(states))
	for i, s := range states {
		out[i] = s.Name
	}
	return out
}

func reasons(states []AlarmState) string {
	var out []string
	for _, s := range states {
		if s.Reason != "" {
			out = append(out, fmt.Sprintf("%s: %s", s.Name, s.Reason))
		}
	}
	return strings.Join(out, "; ")
}

// checkGates checks every gate once. A gate that cannot be read fails the release unless
// ignore_poll_alarm_failure; then the failure is recorded and the release goes on.
func (x *run) checkGates(where string) *failure {
	at := checkpoint{where: where, stepStart: x.stepStart}
	for _, g := range x.gates {
		v, err := g.check(x.ctx, at)
		if err != nil {
			if cerr := x.ctx.Err(); cerr != nil {
				return x.interrupted(cerr, "polling alarms "+where)
			}
			if x.r.IgnorePollAlarmFailure {
				x.ignoredReads++
				x.record(EventWarning, "could not read alarm states %s (%v); going on (ignore_poll_alarm_failure)", where, err)
				continue
			}
			x.record(EventTrip, "could not read alarm states %s: %v", where, err)
			return &failure{
				cause: fmt.Sprintf("could not read alarm states %s: %v", where, err),
				next:  "Check the alarms and the provider's cloudwatch:DescribeAlarms permission, or set ignore_poll_alarm_failure = true to go on when alarm states cannot be read. Then run terraform apply again.",
				err:   err,
			}
		}
		if v.tripped {
			x.record(EventTrip, "%s", v.cause)
			return &failure{
				cause:  v.cause,
				reason: v.reason,
				next:   "Find out why the alarm fired and fix it, then run terraform apply again (ignore_alarms = true ships a hotfix regardless).",
			}
		}
		x.record(EventPoll, "%s", v.detail)
	}
	return nil
}

// hold keeps the current weights for d, checking the gates at its start and then every
// poll interval; the last wait is shorter when d is not a multiple of the interval.
func (x *run) hold(d time.Duration, where string) *failure {
	x.stepStart = x.clock.Now()
	deadline := x.stepStart.Add(d)
	for {
		if err := x.ctx.Err(); err != nil {
			return x.interrupted(err, "the hold "+where)
		}
		if f := x.checkGates(where); f != nil {
			return f
		}
		left := deadline.Sub(x.clock.Now())
		if left <= 0 {
			return nil
		}
		wait := left
		if len(x.gates) > 0 {
			wait = min(x.interval, left)
		}
		select {
		case <-x.ctx.Done():
			return x.interrupted(x.ctx.Err(), "the hold "+where)
		case <-x.clock.After(wait):
		}
	}
}
