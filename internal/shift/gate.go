package shift

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file owns the gates held against a release while the target takes traffic and the
// alarm gate; the hold that polls them is the group's (group.go), for one alias or many.

// gate is a check held against a release while the target takes traffic: polled through
// every hold and once more after promotion. Alarms are one gate, metric gates another
// (gate_metrics.go); each costs one read per poll (DescribeAlarms per 100 alarms, one
// GetMetricData for every metric gate).
type gate interface {
	// check returns an error when the gate could not be read (the release fails unless
	// told to go on), and a tripped verdict when the release must roll back.
	check(ctx context.Context, at checkpoint) (verdict, error)
	// reads names what the gate reads, for messages: "alarm states", "metrics".
	reads() string
	// readNext is what to do when reading keeps failing.
	readNext() string
}

// checkpoint is where the release is when a gate is checked.
type checkpoint struct {
	where string // "at step 1 of 2 (10% on version 4)", "after promotion (…)"
	now   time.Time

	// Set during a hold only (after promotion and after a first release there is no
	// step, and nothing to compare the target with).
	holding   bool
	stepStart time.Time     // when the hold began
	hold      time.Duration // how long it lasts
	first     bool          // the poll at the start of the hold: the step has seen nothing yet
	last      bool          // the poll at the end of the hold
	percent   float64       // traffic on the target
	canary    string        // the target version
	baseline  string        // the previous version, which serves the rest
}

type verdict struct {
	tripped bool
	cause   string // first line of the error when tripped
	reason  string // more detail when tripped
	next    string // what to do when tripped
	detail  string // for the poll event when not ("" records none)
	// seen, when set, is what a passing gate saw, kept for the message of a release
	// that succeeds (the last one wins).
	seen string
}

// alarmGate trips when any of its alarms is in ALARM. INSUFFICIENT_DATA does not trip.
type alarmGate struct {
	alarms Alarms
	names  []string
}

// states reads every alarm, MaxAlarmsPerCall names per DescribeAlarms call. A batch that
// cannot be read does not hide the others: the states read are returned with the error.
func (g alarmGate) states(ctx context.Context) (map[string]AlarmState, error) {
	out := make(map[string]AlarmState, len(g.names))
	var errs []error
	for i := 0; i < len(g.names); i += MaxAlarmsPerCall {
		batch := g.names[i:min(i+MaxAlarmsPerCall, len(g.names))]
		got, err := g.alarms.DescribeAlarms(ctx, batch)
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		for _, s := range got {
			out[s.Name] = s
		}
	}
	return out, errors.Join(errs...)
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

func (alarmGate) reads() string { return "alarm states" }

func (alarmGate) readNext() string {
	return "Check the alarms and the provider's cloudwatch:DescribeAlarms permission, or set ignore_poll_alarm_failure = true to go on when alarm states cannot be read. Then run terraform apply again."
}

func (g alarmGate) check(ctx context.Context, at checkpoint) (verdict, error) {
	states, err := g.states(ctx)
	// An alarm in ALARM trips the release even when others could not be read: a read
	// failure forgiven by ignore_poll_alarm_failure must not hide it.
	if firing := g.firing(states); len(firing) > 0 {
		return verdict{
			tripped: true,
			cause:   fmt.Sprintf("%s %s", quoteAlarms(names(firing), "is in ALARM", "are in ALARM"), at.where),
			reason:  reasons(firing),
			next:    "Find out why the alarm fired and fix it, then run terraform apply again (ignore_alarms = true ships a hotfix regardless).",
		}, nil
	}
	if err != nil {
		return verdict{}, err
	}
	// An alarm deleted mid-release can no longer protect it: treat it as unreadable.
	if missing := g.missing(states); len(missing) > 0 {
		return verdict{}, fmt.Errorf("%s", quoteAlarms(missing, "no longer exists", "no longer exist"))
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

// checkGates checks every gate once outside a hold: after promotion, after a first release.
func (x *run) checkGates(where string) *failure {
	return x.pollGates(checkpoint{where: where})
}

// pollGates checks every gate once. A gate that cannot be read fails the release unless
// ignore_poll_alarm_failure; then the failure is recorded and the release goes on.
func (x *run) pollGates(at checkpoint) *failure {
	at.now = x.clock.Now()
	at.canary, at.baseline = x.target.Version, x.previous()
	for _, g := range x.gates {
		v, err := g.check(x.ctx, at)
		if err != nil {
			if cerr := x.ctx.Err(); cerr != nil {
				return x.interrupted(cerr, "polling "+g.reads()+" "+at.where)
			}
			if x.r.IgnorePollAlarmFailure {
				x.ignoreRead(g.reads())
				x.record(EventWarning, "could not read %s %s (%v); going on (ignore_poll_alarm_failure)", g.reads(), at.where, err)
				continue
			}
			x.record(EventTrip, "could not read %s %s: %v", g.reads(), at.where, err)
			return &failure{
				cause: fmt.Sprintf("could not read %s %s: %v", g.reads(), at.where, err),
				next:  g.readNext(),
				err:   err,
			}
		}
		if v.tripped {
			x.record(EventTrip, "%s", v.cause)
			return &failure{cause: v.cause, reason: v.reason, next: v.next}
		}
		if v.detail != "" {
			x.record(EventPoll, "%s", v.detail)
		}
		if v.seen != "" {
			x.metricsSeen = v.seen
		}
	}
	return nil
}

// ignoreRead counts a read failure let pass under ignore_poll_alarm_failure.
func (x *run) ignoreRead(what string) {
	if x.ignoredReads == nil {
		x.ignoredReads = map[string]int{}
	}
	x.ignoredReads[what]++
}
