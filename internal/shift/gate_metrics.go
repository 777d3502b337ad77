package shift

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultConfidence is MetricGates.Confidence when it is zero.
const DefaultConfidence = 0.95

// Lambda sends its metrics to CloudWatch at one-minute resolution, timestamped at the
// start of each invocation, and they arrive late (Lambda developer guide, "Using
// CloudWatch metrics with Lambda": "Lambda sends metric data to CloudWatch in 1-minute
// intervals"). A minute's datapoints are complete only some time after the minute ends,
// and Lambda writes no datapoint for a zero count, so a datapoint still on its way reads
// exactly like no traffic and no errors. The gate therefore judges only minutes that
// ended at least the arrival delay ago, and each hold is held longer until its own
// minutes have arrived.
const (
	// DefaultMetricArrivalDelay is how long after its minute ends a Lambda metric is taken
	// to have arrived when MetricGates.ArrivalDelay is nil: one-minute metrics are
	// typically readable about two minutes after their minute.
	DefaultMetricArrivalDelay = 2 * time.Minute
	// MaxMetricArrivalDelay bounds ArrivalDelay, and so how much longer a hold can last.
	MaxMetricArrivalDelay = 15 * time.Minute
	metricResolution      = time.Minute
)

// arrivalDelay is g's ArrivalDelay or the default.
func (g *MetricGates) arrivalDelay() time.Duration {
	if g == nil || g.ArrivalDelay == nil {
		return DefaultMetricArrivalDelay
	}
	return min(max(*g.ArrivalDelay, 0), MaxMetricArrivalDelay)
}

// MetricEvidenceWait is how much longer than its configured hold each weighted step is
// held when metric gates judge it: the hold's last minute must end (up to one minute at
// Lambda's resolution) and its metrics arrive (the arrival delay) before the step is
// judged and the release moves on. 0 without metric gates, or when they check nothing.
// The schedule and the timeout check count it.
func MetricEvidenceWait(g *MetricGates) time.Duration {
	if g == nil || !g.checksAnything() {
		return 0
	}
	d := g.arrivalDelay()
	if d == 0 {
		return 0 // the metrics source delivers at once (an emulator)
	}
	return metricResolution + d
}

// StepDuration is how long a weighted step keeps the alias as its write left it, gates
// polled all along: its hold, held longer by MetricEvidenceWait when metric gates judge
// it. The hold itself, the lease each step's write carries and the plan-time check that
// the schedule fits its timeout all use this one function.
func StepDuration(s Step, gates *MetricGates) time.Duration {
	return s.Hold + MetricEvidenceWait(gates)
}

// MinReleaseDuration is how long a release takes at least, hooks and API calls aside:
// the sum of its steps' durations (StepDuration).
func MinReleaseDuration(r Release) time.Duration {
	var d time.Duration
	for _, s := range r.Schedule.Steps {
		d += StepDuration(s, r.MetricGates)
	}
	return d
}

// arrivedUntil is the end of the newest whole minute whose metrics have arrived at now.
func arrivedUntil(now time.Time, delay time.Duration) time.Time {
	if delay == 0 {
		return now
	}
	return now.Add(-delay).Truncate(metricResolution)
}

// metricGate judges the target (the canary) by the alias's own Lambda metrics, which
// Lambda splits by the ExecutedVersion dimension: the canary's and the previous version's
// (the baseline's) invocations, errors and p99 duration. It reads them once per poll, in
// one GetMetricData call, over the current step so far whose metrics have arrived: from
// the start of the hold to the end of the newest minute that ended an arrival delay ago.
// It judges holds only: after promotion, and on a first release, there is no step and no
// baseline to compare with; the last hold is judged whole before the promotion.
//
// Lambda emits no datapoint for a count of zero, so a missing datapoint is a count of
// zero: a canary without an Errors datapoint has had no errors, one without Invocations
// has had no traffic. A missing p99 (no Duration datapoint) is unknown and judged by
// nobody.
type metricGate struct {
	metrics  Metrics
	function string // the plain function name (the FunctionName dimension)
	alias    string
	limits   MetricGates
}

// checksAnything reports whether any gate is set (confidence alone sets none).
func (g MetricGates) checksAnything() bool {
	return g.MaxErrorRate != nil || g.MaxP99Duration != nil || g.CompareToBaseline || g.MinInvocations > 0
}

func (metricGate) reads() string { return "metrics" }

func (metricGate) readNext() string {
	return "Check the provider's cloudwatch:GetMetricData permission, or set ignore_poll_alarm_failure = true to go on when metrics cannot be read. Then run terraform apply again."
}

func (g metricGate) check(ctx context.Context, at checkpoint) (verdict, error) {
	// The first poll of a hold has an empty window; outside a hold there is no step.
	if !at.holding || at.first {
		return verdict{}, nil
	}
	delay := g.limits.arrivalDelay()
	until := arrivedUntil(at.now, delay)
	if !until.After(at.stepStart) {
		// Nothing of this step has arrived: no datapoint is not yet no traffic.
		return verdict{detail: fmt.Sprintf("metrics %s: none of the step's have arrived yet (Lambda's arrive about %s after their minute)", at.where, delay)}, nil
	}
	// The hold has been judged whole once the minutes up to its end have arrived.
	complete := !until.Before(at.stepStart.Add(at.hold))
	q := MetricQuery{
		Function: g.function,
		Alias:    g.alias,
		Versions: []string{at.canary, at.baseline},
		Start:    at.stepStart,
		End:      until,
		P99:      g.limits.MaxP99Duration != nil,
	}
	data, err := g.metrics.GetMetricData(ctx, q)
	if err != nil {
		return verdict{}, err
	}
	// A version absent from the answer had no datapoints: zero counts.
	canary, baseline := data.ByVersion[at.canary], data.ByVersion[at.baseline]
	obs := observation{canary: canary, baseline: baseline, canaryVersion: at.canary, baselineVersion: at.baseline}
	if g.limits.CompareToBaseline {
		obs.test = compareErrorRates(canary, baseline)
	}
	numbers := obs.String()
	elapsed := until.Sub(at.stepStart).Round(time.Second)
	trip := func(gateName, what string) (verdict, error) {
		return verdict{
			tripped: true,
			cause:   fmt.Sprintf("metric gate %s tripped %s: %s", gateName, at.where, what),
			reason:  fmt.Sprintf("over the first %s of the step: %s", elapsed, numbers),
			next: fmt.Sprintf("Look at version %s's errors and durations in CloudWatch (AWS/Lambda, Resource = %s:%s, ExecutedVersion = %s), fix the cause, then run terraform apply again. "+
				"To release regardless, relax or remove metric_gates.", at.canary, g.function, g.alias, at.canary),
		}, nil
	}

	l := g.limits
	if l.MaxErrorRate != nil && canary.Invocations > 0 {
		if rate := canary.Errors / canary.Invocations; rate > *l.MaxErrorRate {
			return trip("max_error_rate", fmt.Sprintf("version %s's error rate %s is over max_error_rate %s",
				at.canary, formatRate(canary.Errors, canary.Invocations), formatPercentOf(*l.MaxErrorRate)))
		}
	}
	if l.MaxP99Duration != nil && canary.HasP99 && canary.P99Duration > *l.MaxP99Duration {
		return trip("max_p99_duration", fmt.Sprintf("version %s's p99 duration %s is over max_p99_duration %s",
			at.canary, canary.P99Duration, *l.MaxP99Duration))
	}
	if t := obs.test; l.CompareToBaseline && t.ok {
		alpha := 1 - confidence(&l)
		if t.p < alpha {
			return trip("compare_to_baseline", fmt.Sprintf("version %s's error rate %s is significantly worse than version %s's %s at %s%% confidence (z = %s, p = %s < %s)",
				at.canary, formatRate(canary.Errors, canary.Invocations), at.baseline, formatRate(baseline.Errors, baseline.Invocations),
				FormatPercent(confidence(&l)*100), formatZ(t.z), formatP(t.p), formatP(alpha)))
		}
	}
	// Traffic is judged at the end of the hold, when the step has had all the time it gets,
	// and only once the metrics of the whole hold have arrived: invocations still on their
	// way must not read as too little traffic.
	if at.last && complete && l.MinInvocations > 0 && canary.Invocations < float64(l.MinInvocations) {
		return trip("min_invocations", fmt.Sprintf("not enough traffic to judge: version %s had %s invocations in %s at %s%%, fewer than min_invocations %d",
			at.canary, formatCount(canary.Invocations), at.hold, FormatPercent(at.percent), l.MinInvocations))
	}
	if at.last && !complete {
		// The hold is over but its last minutes are still on their way: passing now would
		// pass for lack of data. Holds are extended by MetricEvidenceWait so that this does
		// not happen; should it, the step cannot be judged, which is a failure to read.
		return verdict{}, fmt.Errorf("the metrics of the hold up to %s had not all arrived when it ended (only up to %s); the step cannot be judged",
			at.stepStart.Add(at.hold).UTC().Format(time.TimeOnly), until.UTC().Format(time.TimeOnly))
	}
	return verdict{detail: fmt.Sprintf("metrics %s: %s", at.where, numbers), seen: fmt.Sprintf("%s: %s", at.where, numbers)}, nil
}

// observation is what one poll saw, for messages.
type observation struct {
	canaryVersion, baselineVersion string
	canary, baseline               VersionMetrics
	test                           proportionTest // when compare_to_baseline
}

// String prints the numbers: "version 4: 12 errors of 200 invocations (6%), p99 950ms;
// version 3: 9 errors of 1800 invocations (0.5%); z = 5.12, p = 1.5e-07".
func (o observation) String() string {
	parts := []string{
		describeVersionMetrics(o.canaryVersion, o.canary),
		describeVersionMetrics(o.baselineVersion, o.baseline),
	}
	s := strings.Join(parts, "; ")
	if o.test.ok {
		s += fmt.Sprintf("; z = %s, p = %s", formatZ(o.test.z), formatP(o.test.p))
	}
	return s
}

func describeVersionMetrics(version string, m VersionMetrics) string {
	s := fmt.Sprintf("version %s: %s errors of %s invocations", version, formatCount(m.Errors), formatCount(m.Invocations))
	if m.Invocations > 0 {
		s += " (" + formatPercentOf(m.Errors/m.Invocations) + ")"
	}
	if m.HasP99 {
		s += ", p99 " + m.P99Duration.String()
	}
	return s
}

// proportionTest is a one-sided two-proportion z-test of "the canary's error rate is
// higher than the baseline's".
type proportionTest struct {
	ok bool    // false when there is nothing to test (see compareErrorRates)
	z  float64 // how many standard errors the canary's rate is above the baseline's
	p  float64 // the chance of a z this large or larger if both versions were equally good
}

// compareErrorRates asks whether the canary fails more often than the baseline by more
// than chance explains.
//
// In plain words: if both versions had the same true error rate, the errors seen would
// still split between them unevenly, by luck. The test measures how uneven the split is
// in units of the luck one expects (the standard error), and turns that into p: the
// chance of a split at least this bad for the canary if the canary were in fact no
// worse. A small p means luck is an unlikely explanation. The gate trips when p is below
// 1 - confidence (0.05 at the default 0.95), i.e. when z is above about 1.645.
//
// The arithmetic, with e errors out of n invocations:
//
//	canary rate    pc = ec / nc
//	baseline rate  pb = eb / nb
//	pooled rate    p  = (ec + eb) / (nc + nb)   the common rate if both are equally good
//	standard error se = sqrt(p × (1 − p) × (1/nc + 1/nb))
//	z              = (pc − pb) / se
//	p-value        = P(Z ≥ z) = erfc(z / √2) / 2   for a standard normal Z
//
// One-sided: only a canary that is worse counts; a canary better than the baseline has
// z < 0 and p > 0.5. There is nothing to test when either version had no invocations, or
// when the pooled rate is 0 or 1 (no errors at all, or nothing but errors: the two rates
// are equal).
//
// The normal curve is an approximation that is good once both versions have seen a few
// errors; with very few it is rough, which is one reason to set min_invocations. The test
// is repeated at every poll on a growing window, which raises the chance of a false trip
// over a step above 1 − confidence; a false trip costs a rollback, never a bad release.
func compareErrorRates(canary, baseline VersionMetrics) proportionTest {
	nc, ec, nb, eb := canary.Invocations, canary.Errors, baseline.Invocations, baseline.Errors
	if nc <= 0 || nb <= 0 {
		return proportionTest{}
	}
	pooled := (ec + eb) / (nc + nb)
	if pooled <= 0 || pooled >= 1 {
		return proportionTest{}
	}
	se := math.Sqrt(pooled * (1 - pooled) * (1/nc + 1/nb))
	z := (ec/nc - eb/nb) / se
	return proportionTest{ok: true, z: z, p: upperTail(z)}
}

// upperTail is P(Z ≥ z) for a standard normal Z: erfc(z/√2)/2. math.Erfc keeps its
// precision far into the tail, where 1 − Φ(z) would round to 0.
func upperTail(z float64) float64 {
	return math.Erfc(z/math.Sqrt2) / 2
}

func confidence(g *MetricGates) float64 {
	if g.Confidence > 0 {
		return g.Confidence
	}
	return DefaultConfidence
}

// formatRate prints "6% (12 of 200)".
func formatRate(errors, invocations float64) string {
	if invocations <= 0 {
		return fmt.Sprintf("unknown (%s errors, no invocations)", formatCount(errors))
	}
	return fmt.Sprintf("%s (%s of %s)", formatPercentOf(errors/invocations), formatCount(errors), formatCount(invocations))
}

// formatPercentOf prints a fraction as a percentage with at most 3 decimals: 0.0056 → "0.56%".
func formatPercentOf(f float64) string {
	return strconv.FormatFloat(math.Round(f*100*1000)/1000, 'f', -1, 64) + "%"
}

// formatCount prints a metric sum: whole numbers without decimals.
func formatCount(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func formatZ(z float64) string { return strconv.FormatFloat(z, 'f', 2, 64) }

// formatP prints a p-value with 3 significant digits: 0.0397, 0.00019, 1.52e-07.
func formatP(p float64) string { return strconv.FormatFloat(p, 'g', 3, 64) }
