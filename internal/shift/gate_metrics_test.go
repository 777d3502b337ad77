package shift

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeMetrics answers GetMetricData from a script, which sees the query and the traffic
// share the live alias gives the canary (version 4) at that moment, as Lambda's metrics
// would. It counts calls and keeps every query.
type fakeMetrics struct {
	mu      sync.Mutex
	aws     *fakeAWS
	script  func(q MetricQuery, share float64) (MetricData, error)
	queries []MetricQuery
}

func (m *fakeMetrics) GetMetricData(ctx context.Context, q MetricQuery) (MetricData, error) {
	m.mu.Lock()
	m.queries = append(m.queries, q)
	m.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return MetricData{}, err
	}
	share := 0.0
	if a, ok := m.aws.alias("live"); ok {
		share = a.Weights["4"]
	}
	return m.script(q, share)
}

func (m *fakeMetrics) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.queries)
}

// withMetrics wires a scripted Metrics client into the harness.
func (h *harness) withMetrics(script func(q MetricQuery, share float64) (MetricData, error)) *fakeMetrics {
	m := &fakeMetrics{aws: h.aws, script: script}
	h.engine.AWS.Metrics = m
	return m
}

// steady is traffic of perSecond invocations on the alias, split by the canary's share,
// failing at errCanary and errBaseline (fractions), over the whole queried window. Like
// Lambda it leaves out zero counts: a version with no invocations is absent.
func steady(perSecond float64, errCanary, errBaseline func(share float64) float64) func(MetricQuery, float64) (MetricData, error) {
	return func(q MetricQuery, share float64) (MetricData, error) {
		total := perSecond * q.End.Sub(q.Start).Seconds()
		data := MetricData{ByVersion: map[string]VersionMetrics{}}
		if n := math.Round(total * share); n > 0 {
			data.ByVersion["4"] = VersionMetrics{Invocations: n, Errors: math.Round(n * errCanary(share))}
		}
		if n := math.Round(total * (1 - share)); n > 0 {
			data.ByVersion["3"] = VersionMetrics{Invocations: n, Errors: math.Round(n * errBaseline(share))}
		}
		return data, nil
	}
}

func rate(r float64) func(float64) float64 { return func(float64) float64 { return r } }

// counts answers every query with the same sums, whatever the window: a snapshot whose
// arithmetic the test can do by hand.
func counts(canary, baseline VersionMetrics) func(MetricQuery, float64) (MetricData, error) {
	return func(MetricQuery, float64) (MetricData, error) {
		return MetricData{ByVersion: map[string]VersionMetrics{"4": canary, "3": baseline}}, nil
	}
}

// wantOutcome checks that a release either succeeded (the alias serves 4) or was rolled
// back (it serves 3 again).
func (h *harness) wantOutcome(res Result, err *ReleaseError, rolledBack bool) {
	h.t.Helper()
	if !rolledBack {
		if err != nil {
			h.t.Fatalf("Run: %v", err)
		}
		h.wantAlias("4", nil)
		return
	}
	if err == nil || res.Status != StatusRolledBack {
		h.t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
}

// gates sets metric gates judged on a source whose metrics arrive at once, as an
// emulator's do, unless a mod sets ArrivalDelay (see arrival).
func gates(mods ...func(*MetricGates)) func(*Release) {
	return func(r *Release) {
		instant := time.Duration(0)
		g := &MetricGates{ArrivalDelay: &instant}
		for _, m := range mods {
			m(g)
		}
		r.MetricGates = g
	}
}

// The canary fails 0.5% of calls at 30% and 5% from 60% on: max_error_rate = 1% trips at
// the first judged poll of step 2, with the numbers, and the alias goes back to 3.
func TestMetricGateErrorRateTripsAtStepK(t *testing.T) {
	h := newHarness(t)
	linear, _ := ResolveSchedule(ScheduleSpec{Linear: &Interval{Percent: 30, Every: time.Minute}})
	m := h.withMetrics(steady(100, func(share float64) float64 {
		if share > 0.5 {
			return 0.05
		}
		return 0.005
	}, rate(0.005)))
	res, err := h.run(release(func(r *Release) { r.Schedule = linear }, gates(func(g *MetricGates) { g.MaxErrorRate = ptr(0.01) })))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if got := h.shapes(); !reflect.DeepEqual(got, []string{"3 with 30% on 4", "3 with 60% on 4", "3 with no weights"}) {
		t.Errorf("updates %q", got)
	}
	// 10s of step 2 at 100/s: 600 canary invocations, 30 errors; 400 baseline, 2 errors.
	cause := "metric gate max_error_rate tripped at step 2 of 3 (60% on version 4): version 4's error rate 5% (30 of 600) is over max_error_rate 1%"
	for _, want := range []string{
		cause + "\n",
		"Reason: over the first 10s of the step: version 4: 30 errors of 600 invocations (5%); version 3: 2 errors of 400 invocations (0.5%)\n",
		"The alias live now serves version 3 with no weights (rolled back).\n",
		"Look at version 4's errors and durations in CloudWatch (AWS/Lambda, Resource = orders-api:live, ExecutedVersion = 4)",
		"  +1m10s trip " + cause,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if h.clock.elapsed() != 70*time.Second {
		t.Errorf("tripped at %s, want 1m10s", h.clock.elapsed())
	}
	// Step 1 (0.5% < 1%) passed: its polls at 10s … 60s were judged and recorded.
	if !h.hasEvent(EventPoll, "metrics at step 1 of 3 (30% on version 4): version 4: 9 errors of 1800 invocations (0.5%); version 3: 21 errors of 4200 invocations (0.5%)") {
		t.Errorf("no poll event for the end of step 1 in %v", res.Timeline)
	}
	// One query per judged poll: 10s … 60s of step 1, 10s of step 2; none at a step's
	// start (nothing seen yet). Each covers the step so far, for both versions.
	if m.calls() != 7 {
		t.Errorf("%d GetMetricData calls, want 7", m.calls())
	}
	step2 := t0.Add(time.Minute)
	last := m.queries[len(m.queries)-1]
	want := MetricQuery{Function: fnName, Alias: "live", Versions: []string{"4", "3"}, Start: step2, End: step2.Add(10 * time.Second)}
	if !reflect.DeepEqual(last, want) {
		t.Errorf("last query %+v, want %+v", last, want)
	}
	if q := m.queries[5]; !q.Start.Equal(t0) || !q.End.Equal(t0.Add(time.Minute)) {
		t.Errorf("end-of-step-1 query covers %s … %s, want the whole step", q.Start, q.End)
	}
}

// p99 over max_p99_duration trips; at or under it, or unknown, passes. p99 is asked for
// only when the gate needs it.
func TestMetricGateP99(t *testing.T) {
	p99 := func(d time.Duration, known bool) func(MetricQuery, float64) (MetricData, error) {
		return counts(VersionMetrics{Invocations: 500, P99Duration: d, HasP99: known}, VersionMetrics{Invocations: 4500, P99Duration: 300 * time.Millisecond, HasP99: known})
	}
	tests := []struct {
		name   string
		script func(MetricQuery, float64) (MetricData, error)
		limit  *time.Duration
		trips  string
	}{
		{"over the limit", p99(900*time.Millisecond, true), ptr(800 * time.Millisecond),
			"metric gate max_p99_duration tripped at step 1 of 1 (10% on version 4): version 4's p99 duration 900ms is over max_p99_duration 800ms"},
		{"at the limit", p99(800*time.Millisecond, true), ptr(800 * time.Millisecond), ""},
		{"unknown", p99(0, false), ptr(800 * time.Millisecond), ""},
		{"no p99 gate", p99(5*time.Second, true), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			m := h.withMetrics(tt.script)
			res, err := h.run(release(gates(func(g *MetricGates) { g.MaxP99Duration = tt.limit })))
			for _, q := range m.queries {
				if q.P99 != (tt.limit != nil) {
					t.Fatalf("query asks P99 = %v with max_p99_duration %v", q.P99, tt.limit)
				}
			}
			h.wantOutcome(res, err, tt.trips != "")
			if tt.trips == "" {
				return
			}
			if !strings.HasPrefix(err.Error(), tt.trips+"\n") ||
				!strings.Contains(err.Error(), "version 4: 0 errors of 500 invocations (0%), p99 900ms; version 3: 0 errors of 4500 invocations (0%), p99 300ms") {
				t.Errorf("error:\n%s", err)
			}
			if h.clock.elapsed() != 10*time.Second {
				t.Errorf("tripped at %s", h.clock.elapsed())
			}
		})
	}
}

// compare_to_baseline: a one-sided two-proportion z-test, checked by hand here.
//
//	canary e/n   baseline e/n   pooled p          se = sqrt(p(1-p)(1/nc+1/nb))   z = (pc-pb)/se          p-value = erfc(z/√2)/2
//	8/200 (4%)   18/1800 (1%)   26/2000 = 0.013   sqrt(0.013×0.987×0.0055556)    0.03/0.0084429 = 3.553  0.000190
//	             …                                 = 0.0084429
//	3/200 (1.5%) 18/1800 (1%)   21/2000 = 0.0105  sqrt(0.0105×0.9895×0.0055556)  0.005/0.0075974 = 0.658  0.255
//	                                               = 0.0075974
//	0/200 (0%)   90/1800 (5%)   90/2000 = 0.045   sqrt(0.045×0.955×0.0055556)    -0.05/0.0154515 = -3.236 0.99939
//	                                               = 0.0154515
//	12/300 (4%)  63/2700 (2.33%) 75/3000 = 0.025  sqrt(0.025×0.975×0.0037037)    0.016667/0.0095015      0.0397
//	                                               = 0.0095015                      = 1.754
//
// At 95% the gate trips when p < 0.05 (z > 1.645), at 99% when p < 0.01 (z > 2.326).
func TestMetricGateCompareToBaseline(t *testing.T) {
	v := func(n, e float64) VersionMetrics { return VersionMetrics{Invocations: n, Errors: e} }
	tests := []struct {
		name             string
		canary, baseline VersionMetrics
		confidence       float64
		trips            string // the cause, "" when it passes
		numbers          string // in the reason or the poll event
	}{
		{
			name: "significantly worse", canary: v(200, 8), baseline: v(1800, 18),
			trips:   "metric gate compare_to_baseline tripped at step 1 of 1 (10% on version 4): version 4's error rate 4% (8 of 200) is significantly worse than version 3's 1% (18 of 1800) at 95% confidence (z = 3.55, p = 0.00019 < 0.05)",
			numbers: "version 4: 8 errors of 200 invocations (4%); version 3: 18 errors of 1800 invocations (1%); z = 3.55, p = 0.00019",
		},
		{
			name: "worse within noise", canary: v(200, 3), baseline: v(1800, 18),
			numbers: "version 4: 3 errors of 200 invocations (1.5%); version 3: 18 errors of 1800 invocations (1%); z = 0.66, p = 0.255",
		},
		{
			name: "better than the baseline", canary: v(200, 0), baseline: v(1800, 90),
			numbers: "version 4: 0 errors of 200 invocations (0%); version 3: 90 errors of 1800 invocations (5%); z = -3.24, p = 0.999",
		},
		{
			name: "worse at 95%", canary: v(300, 12), baseline: v(2700, 63),
			trips:   "version 4's error rate 4% (12 of 300) is significantly worse than version 3's 2.333% (63 of 2700) at 95% confidence (z = 1.75, p = 0.0397 < 0.05)",
			numbers: "z = 1.75, p = 0.0397",
		},
		{
			name: "the same within noise at 99%", canary: v(300, 12), baseline: v(2700, 63), confidence: 0.99,
			numbers: "z = 1.75, p = 0.0397",
		},
		{
			name: "significantly worse at 99%", canary: v(200, 8), baseline: v(1800, 18), confidence: 0.99,
			trips: "at 99% confidence (z = 3.55, p = 0.00019 < 0.01)",
		},
		{
			name: "no errors anywhere", canary: v(200, 0), baseline: v(1800, 0),
			numbers: "version 4: 0 errors of 200 invocations (0%); version 3: 0 errors of 1800 invocations (0%)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.withMetrics(counts(tt.canary, tt.baseline))
			res, err := h.run(release(gates(func(g *MetricGates) { g.CompareToBaseline, g.Confidence = true, tt.confidence })))
			h.wantOutcome(res, err, tt.trips != "")
			if tt.trips == "" {
				if !h.hasEvent(EventPoll, tt.numbers) {
					t.Errorf("no poll event with %q in %v", tt.numbers, res.Timeline)
				}
				return
			}
			first := strings.SplitN(err.Error(), "\n", 2)[0]
			if !strings.Contains(first, tt.trips) || !strings.Contains(err.Error(), "Reason: over the first 10s of the step: ") ||
				!strings.Contains(err.Error(), tt.numbers) {
				t.Errorf("error:\n%s\nwant first line containing %q and %q", err, tt.trips, tt.numbers)
			}
		})
	}
}

func TestCompareErrorRatesArithmetic(t *testing.T) {
	v := func(n, e float64) VersionMetrics { return VersionMetrics{Invocations: n, Errors: e} }
	tests := []struct {
		canary, baseline VersionMetrics
		ok               bool
		z, p             float64 // hand-computed, see TestMetricGateCompareToBaseline
	}{
		{v(200, 8), v(1800, 18), true, 3.5533, 0.00019024},
		{v(200, 3), v(1800, 18), true, 0.6581, 0.25523},
		{v(200, 0), v(1800, 90), true, -3.2359, 0.99939},
		{v(300, 12), v(2700, 63), true, 1.7541, 0.039705},
		{v(0, 0), v(1800, 18), false, 0, 0},  // no canary traffic: nothing to compare
		{v(200, 2), v(0, 0), false, 0, 0},    // no baseline traffic
		{v(200, 0), v(1800, 0), false, 0, 0}, // pooled rate 0: equal
		{v(10, 10), v(90, 90), false, 0, 0},  // pooled rate 1: equal
	}
	for _, tt := range tests {
		got := compareErrorRates(tt.canary, tt.baseline)
		if got.ok != tt.ok || math.Abs(got.z-tt.z) > 1e-4 || math.Abs(got.p-tt.p) > 1e-4*math.Max(tt.p, 1e-3) {
			t.Errorf("compareErrorRates(%v, %v) = %+v, want ok %v z %.4f p %.5g", tt.canary, tt.baseline, got, tt.ok, tt.z, tt.p)
		}
	}
	// The normal curve's upper tail at textbook points.
	for z, want := range map[float64]float64{0: 0.5, 1.644854: 0.05, 1.959964: 0.025, 2.326348: 0.01, -1.644854: 0.95, 8: 6.221e-16} {
		if got := upperTail(z); math.Abs(got-want) > 1e-6*math.Max(want, 1e-9) {
			t.Errorf("upperTail(%v) = %.6g, want %.6g", z, got, want)
		}
	}
}

// min_invocations judges the traffic at the end of each hold: 12 invocations in 5m at
// 10% fail a minimum of 50, with the counts; 60 pass.
func TestMetricGateMinInvocations(t *testing.T) {
	tests := []struct {
		name      string
		perSecond float64 // on the whole alias; the canary gets 10%
		trips     bool
	}{
		{"too little traffic", 0.4, true}, // 300s × 0.4 × 10% = 12
		{"enough traffic", 2, false},      // 300s × 2 × 10% = 60
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.withMetrics(steady(tt.perSecond, rate(0), rate(0)))
			res, err := h.run(release(gates(func(g *MetricGates) { g.MinInvocations = 50 })))
			h.wantOutcome(res, err, tt.trips)
			if !tt.trips {
				return
			}
			want := "metric gate min_invocations tripped at step 1 of 1 (10% on version 4): not enough traffic to judge: version 4 had 12 invocations in 5m0s at 10%, fewer than min_invocations 50\n" +
				"Reason: over the first 5m0s of the step: version 4: 0 errors of 12 invocations (0%); version 3: 0 errors of 108 invocations (0%)\n"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error:\n%s\nwant prefix:\n%s", err, want)
			}
			// Judged at the end of the hold, not before: the canary had fewer all along.
			if h.clock.elapsed() != 5*time.Minute {
				t.Errorf("tripped at %s, want 5m0s", h.clock.elapsed())
			}
		})
	}
}

// Lambda emits no datapoint for a zero count: a canary with no Errors datapoint has no
// errors, and one absent altogether has had no traffic. Neither is unknown.
func TestMetricGateMissingDatapointsAreZero(t *testing.T) {
	t.Run("no Errors datapoints", func(t *testing.T) {
		h := newHarness(t)
		h.withMetrics(func(MetricQuery, float64) (MetricData, error) {
			return MetricData{ByVersion: map[string]VersionMetrics{"4": {Invocations: 80}, "3": {Invocations: 720}}}, nil
		})
		res, err := h.run(release(gates(func(g *MetricGates) {
			g.MaxErrorRate, g.CompareToBaseline, g.MinInvocations = ptr(0.0), true, 50
		})))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		if !h.hasEvent(EventPoll, "version 4: 0 errors of 80 invocations (0%); version 3: 0 errors of 720 invocations (0%)") {
			t.Errorf("timeline %v", res.Timeline)
		}
	})
	t.Run("no datapoints for the canary", func(t *testing.T) {
		h := newHarness(t)
		h.withMetrics(func(MetricQuery, float64) (MetricData, error) {
			return MetricData{ByVersion: map[string]VersionMetrics{"3": {Invocations: 720, Errors: 7}}}, nil
		})
		res, err := h.run(release(gates(func(g *MetricGates) {
			g.MaxErrorRate, g.CompareToBaseline, g.MinInvocations = ptr(0.01), true, 1
		})))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		// Neither the rate nor the comparison judged 0 invocations; the traffic check did.
		if !strings.Contains(err.Error(), "not enough traffic to judge: version 4 had 0 invocations in 5m0s at 10%, fewer than min_invocations 1") ||
			!strings.Contains(err.Error(), "version 4: 0 errors of 0 invocations; version 3: 7 errors of 720 invocations (0.972%)") ||
			h.clock.elapsed() != 5*time.Minute {
			t.Errorf("after %s, error:\n%s", h.clock.elapsed(), err)
		}
	})
	t.Run("an empty answer", func(t *testing.T) {
		h := newHarness(t)
		h.withMetrics(func(MetricQuery, float64) (MetricData, error) { return MetricData{}, nil })
		if _, err := h.run(release(gates(func(g *MetricGates) { g.MaxErrorRate, g.CompareToBaseline = ptr(0.0), true }))); err != nil {
			t.Fatalf("Run: %v", err)
		}
		h.wantAlias("4", nil)
	})
}

// All metric gates of a poll cost one GetMetricData call, alongside the alarms' own
// DescribeAlarms calls; nothing is read at a step's start, after promotion or on a first
// release.
func TestMetricGatesCostOneCallPerPoll(t *testing.T) {
	all := gates(func(g *MetricGates) {
		g.MaxErrorRate, g.MaxP99Duration, g.CompareToBaseline, g.MinInvocations = ptr(0.05), ptr(time.Second), true, 10
	})
	t.Run("canary with 250 alarms", func(t *testing.T) {
		h := newHarness(t)
		var alarms []string
		for i := range 250 {
			name := "a" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
			h.aws.alarms[name] = always("OK")
			alarms = append(alarms, name)
		}
		m := h.withMetrics(steady(10, rate(0.01), rate(0.01)))
		if _, err := h.run(release(all, func(r *Release) { r.Alarms = alarms })); err != nil {
			t.Fatalf("Run: %v", err)
		}
		// Polls: preflight, 0s … 300s of the hold every 10s (31), after promotion.
		if got := h.aws.count("DescribeAlarms"); got != 3*(1+31+1) {
			t.Errorf("%d DescribeAlarms calls, want %d", got, 3*(1+31+1))
		}
		if got := m.calls(); got != 30 {
			t.Errorf("%d GetMetricData calls, want 30 (10s … 300s of the hold)", got)
		}
		for _, q := range m.queries {
			if !reflect.DeepEqual(q.Versions, []string{"4", "3"}) || !q.Start.Equal(t0) || !q.P99 {
				t.Fatalf("query %+v", q)
			}
		}
	})
	t.Run("first release", func(t *testing.T) {
		h := newHarness(t)
		delete(h.aws.aliases, "live")
		m := h.withMetrics(steady(10, rate(1), rate(1)))
		if _, err := h.run(release(all)); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if m.calls() != 0 {
			t.Errorf("%d GetMetricData calls on a first release", m.calls())
		}
	})
	t.Run("no gate set", func(t *testing.T) {
		h := newHarness(t)
		m := h.withMetrics(steady(10, rate(1), rate(1)))
		if _, err := h.run(release(gates(func(g *MetricGates) { g.Confidence = 0.99 }))); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if m.calls() != 0 {
			t.Errorf("%d GetMetricData calls with no gate set", m.calls())
		}
	})
	t.Run("all at once", func(t *testing.T) {
		h := newHarness(t)
		m := h.withMetrics(steady(10, rate(1), rate(1)))
		if _, err := h.run(release(all, func(r *Release) { r.Schedule = Schedule{} })); err != nil {
			t.Fatalf("Run: %v", err)
		}
		if m.calls() != 0 {
			t.Errorf("%d GetMetricData calls with no weighted step", m.calls())
		}
	})
}

// Metrics that cannot be read fail the release like unreadable alarms, unless
// ignore_poll_alarm_failure; then the release goes on and says so.
func TestMetricGateReadFailure(t *testing.T) {
	failing := func(MetricQuery, float64) (MetricData, error) {
		return MetricData{}, errors.New("CloudWatch GetMetricData: AccessDenied")
	}
	t.Run("rolls back", func(t *testing.T) {
		h := newHarness(t)
		h.withMetrics(failing)
		res, err := h.run(release(gates(func(g *MetricGates) { g.MaxErrorRate = ptr(0.01) })))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("3", nil)
		if !strings.HasPrefix(err.Error(), "could not read metrics at step 1 of 1 (10% on version 4): CloudWatch GetMetricData: AccessDenied\n") ||
			!strings.Contains(err.Error(), "cloudwatch:GetMetricData permission") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("ignore_poll_alarm_failure goes on", func(t *testing.T) {
		h := newHarness(t)
		h.withMetrics(failing)
		res, err := h.run(release(gates(func(g *MetricGates) { g.MaxErrorRate = ptr(0.01) }), func(r *Release) { r.IgnorePollAlarmFailure = true }))
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		h.wantAlias("4", nil)
		if !strings.Contains(res.Message, "; metrics could not be read 30 times and the release went on (ignore_poll_alarm_failure)") ||
			strings.Contains(res.Message, "alarm states could not be read") {
			t.Errorf("message %q", res.Message)
		}
	})
}

// A healthy canary passes every gate and the release records what the gates saw.
func TestMetricGatesPassAHealthyCanary(t *testing.T) {
	h := newHarness(t)
	m := h.withMetrics(steady(20, rate(0.002), rate(0.002)))
	res, err := h.run(release(gates(func(g *MetricGates) {
		g.MaxErrorRate, g.CompareToBaseline, g.MinInvocations = ptr(0.01), true, 50
	})))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	h.wantAlias("4", nil)
	if res.Status != StatusSucceeded || m.calls() != 30 || h.clock.elapsed() != 5*time.Minute {
		t.Errorf("status %s, %d calls, took %s", res.Status, m.calls(), h.clock.elapsed())
	}
	// At 300s: 600 canary invocations, 1 error; 5400 baseline, 11 errors. pooled 12/6000 =
	// 0.002, se = sqrt(0.002 × 0.998 × (1/600 + 1/5400)) = 0.0019229, z = (0.0016667 −
	// 0.0020370) / 0.0019229 = −0.19, p = 0.576: within noise.
	seen := "at step 1 of 1 (10% on version 4): version 4: 1 errors of 600 invocations (0.167%); version 3: 11 errors of 5400 invocations (0.204%); z = -0.19, p = 0.576"
	if !h.hasEvent(EventPoll, "metrics "+seen) {
		t.Errorf("timeline %v", res.Timeline)
	}
	// The message says what the gates last saw, so state records it.
	if want := "released version 4 to alias live (Canary10Percent5Minutes, previous version 3) in 5m0s; metric gates passed, last read " + seen; res.Message != want {
		t.Errorf("message\n  %q\nwant\n  %q", res.Message, want)
	}
}

// arrival makes the metrics arrive d after their minute ends, as Lambda's do.
func arrival(d time.Duration) func(*MetricGates) {
	return func(g *MetricGates) { g.ArrivalDelay = &d }
}

// late is the canary's traffic as CloudWatch answers it when Lambda's metrics reach it
// lag after their minute ends: perSecond invocations from the step's start, errors (all
// of them) only during [errFrom, errTo) of the step. A minute not yet arrived has no
// datapoint, which reads exactly like no traffic.
func late(clock *fakeClock, lag time.Duration, perSecond float64, errFrom, errTo time.Duration) func(MetricQuery, float64) (MetricData, error) {
	return func(q MetricQuery, share float64) (MetricData, error) {
		visible := clock.Now().Add(-lag).Truncate(time.Minute)
		if q.End.Before(visible) {
			visible = q.End
		}
		if !visible.After(q.Start) {
			return MetricData{ByVersion: map[string]VersionMetrics{}}, nil
		}
		n := perSecond * visible.Sub(q.Start).Seconds()
		from, to := q.Start.Add(errFrom), q.Start.Add(errTo)
		if visible.Before(to) {
			to = visible
		}
		var errs float64
		if to.After(from) {
			errs = perSecond * to.Sub(from).Seconds()
		}
		return MetricData{ByVersion: map[string]VersionMetrics{"4": {Invocations: n, Errors: errs}, "3": {Invocations: 9 * n}}}, nil
	}
}

// The gate reads only minutes that ended an arrival delay ago, and the hold lasts until
// its own minutes have arrived: 5m of Canary10Percent5Minutes are held 8m with Lambda's
// 2m delay, and the last read covers the whole hold.
func TestMetricGateJudgesOnlyArrivedMinutes(t *testing.T) {
	h := newHarness(t)
	m := h.withMetrics(steady(10, rate(0), rate(0)))
	res, err := h.run(release(gates(arrival(2*time.Minute), func(g *MetricGates) { g.MaxErrorRate = ptr(0.01) })))
	h.wantOutcome(res, err, false)
	if got := h.clock.elapsed(); got != 8*time.Minute {
		t.Errorf("the release took %s, want 8m0s: the 5m hold, 1m for its last minute to end, 2m for it to arrive", got)
	}
	for _, q := range m.queries {
		if q.End.After(q.Start.Add(6*time.Minute)) || q.End.Second() != 0 {
			t.Errorf("query [%s, %s): the end must be a whole minute that has arrived", q.Start.Format(time.TimeOnly), q.End.Format(time.TimeOnly))
		}
	}
	last := m.queries[len(m.queries)-1]
	if last.End.Before(t0.Add(5 * time.Minute)) {
		t.Errorf("the last read ends at %s, before the end of the hold", last.End.Format(time.TimeOnly))
	}
	if !h.hasEvent(EventPoll, "none of the step's have arrived yet") {
		t.Errorf("timeline does not say the metrics were not there yet: %v", res.Timeline)
	}
}

// Lambda's metrics reach CloudWatch 90s after their minute here. Judged on what has
// arrived, with the hold extended until its own minutes have, the gates see the hold
// whole: errors in its last minute trip max_error_rate instead of passing for lack of
// data, and 300 invocations (1 a second for 5m) pass min_invocations = 250 instead of
// reading as too little traffic. Taking the metrics as instant (ArrivalDelay 0) shows
// the failures this prevents.
func TestMetricGatesJudgeDataOnItsWayOnlyOnceArrived(t *testing.T) {
	errorRate := func(g *MetricGates) { g.MaxErrorRate = ptr(0.05) }
	minInvocations := func(g *MetricGates) { g.MinInvocations = 250 }
	for _, tc := range []struct {
		name          string
		gate          func(*MetricGates)
		errFrom       time.Duration // errors from this far into the step to its end
		delay         time.Duration
		wantRollback  bool
		wantErrorText string
	}{
		{"errors in the last minute, judged on arrived data", errorRate, 4 * time.Minute, 2 * time.Minute, true, "max_error_rate tripped"},
		{"errors in the last minute, metrics taken as instant", errorRate, 4 * time.Minute, 0, false, ""},
		{"traffic still arriving, judged on arrived data", minInvocations, 5 * time.Minute, 2 * time.Minute, false, ""},
		{"traffic still arriving, metrics taken as instant", minInvocations, 5 * time.Minute, 0, true, "not enough traffic to judge"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.withMetrics(late(h.clock, 90*time.Second, 1, tc.errFrom, 5*time.Minute))
			res, err := h.run(release(gates(arrival(tc.delay), tc.gate)))
			h.wantOutcome(res, err, tc.wantRollback)
			if tc.wantRollback && !strings.Contains(err.Error(), tc.wantErrorText) {
				t.Errorf("error:\n%v", err)
			}
		})
	}
}

// A hold whose metrics have not all arrived when it ends cannot be judged: a failure to
// read, never a pass.
func TestMetricGateRefusesToJudgeAnIncompleteHold(t *testing.T) {
	delay := 2 * time.Minute
	fm := &fakeMetrics{script: counts(VersionMetrics{Invocations: 10}, VersionMetrics{Invocations: 90}), aws: newFakeAWS(newFakeClock())}
	g := metricGate{metrics: fm, limits: MetricGates{ArrivalDelay: &delay, MaxErrorRate: ptr(0.5)}}
	at := checkpoint{holding: true, last: true, stepStart: t0, hold: 5 * time.Minute, now: t0.Add(5 * time.Minute), canary: "4", baseline: "3"}
	_, err := g.check(context.Background(), at)
	if err == nil || !strings.Contains(err.Error(), "had not all arrived") {
		t.Fatalf("check at the end of a hold whose metrics are on their way: %v", err)
	}
}

func TestMetricEvidenceWait(t *testing.T) {
	zero, five := time.Duration(0), 5*time.Minute
	canary := canary10for5m()
	for _, tc := range []struct {
		name string
		g    *MetricGates
		wait time.Duration
	}{
		{"no gates", nil, 0},
		{"gates that check nothing", &MetricGates{Confidence: 0.99}, 0},
		{"default delay", &MetricGates{MaxErrorRate: ptr(0.01)}, 3 * time.Minute},
		{"instant source", &MetricGates{MaxErrorRate: ptr(0.01), ArrivalDelay: &zero}, 0},
		{"slower region", &MetricGates{MinInvocations: 10, ArrivalDelay: &five}, 6 * time.Minute},
	} {
		if got := MetricEvidenceWait(tc.g); got != tc.wait {
			t.Errorf("%s: MetricEvidenceWait = %s, want %s", tc.name, got, tc.wait)
		}
		if got, want := MinReleaseDuration(Release{Schedule: canary, MetricGates: tc.g}), 5*time.Minute+tc.wait; got != want {
			t.Errorf("%s: MinReleaseDuration = %s, want %s", tc.name, got, want)
		}
	}
}
