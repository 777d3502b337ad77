package shift

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func steps(hold time.Duration, percents ...float64) []Step {
	out := make([]Step, len(percents))
	for i, p := range percents {
		out[i] = Step{Percent: p, Hold: hold}
	}
	return out
}

func TestResolvePresets(t *testing.T) {
	tens := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90}
	want := map[string][]Step{
		"Canary10Percent5Minutes":       steps(5*time.Minute, 10),
		"Canary10Percent10Minutes":      steps(10*time.Minute, 10),
		"Canary10Percent15Minutes":      steps(15*time.Minute, 10),
		"Canary10Percent30Minutes":      steps(30*time.Minute, 10),
		"Linear10PercentEvery1Minute":   steps(time.Minute, tens...),
		"Linear10PercentEvery2Minutes":  steps(2*time.Minute, tens...),
		"Linear10PercentEvery3Minutes":  steps(3*time.Minute, tens...),
		"Linear10PercentEvery10Minutes": steps(10*time.Minute, tens...),
		"AllAtOnce":                     nil,
	}
	if got := len(PresetNames()); got != 2*len(want) {
		t.Fatalf("PresetNames() has %d names, want %d", got, 2*len(want))
	}
	for _, name := range PresetNames() {
		t.Run(name, func(t *testing.T) {
			s, errs := ResolveSchedule(ScheduleSpec{Preset: name})
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			exp, ok := want[strings.TrimPrefix(name, "CodeDeployDefault.Lambda")]
			if !ok {
				t.Fatalf("unexpected preset name %q", name)
			}
			if !reflect.DeepEqual(s.Steps, exp) {
				t.Errorf("steps = %v, want %v", s.Steps, exp)
			}
			if s.Name != name {
				t.Errorf("Name = %q, want %q", s.Name, name)
			}
		})
	}
}

func TestResolveSchedule(t *testing.T) {
	tests := []struct {
		name string
		spec ScheduleSpec
		want []Step
		min  time.Duration
	}{
		{"empty is AllAtOnce", ScheduleSpec{}, nil, 0},
		{"canary", ScheduleSpec{Canary: &Interval{Percent: 5, Every: 2 * time.Minute}}, steps(2*time.Minute, 5), 2 * time.Minute},
		{"canary fraction", ScheduleSpec{Canary: &Interval{Percent: 0.5, Every: time.Second}}, steps(time.Second, 0.5), time.Second},
		{"linear 30 caps below 100", ScheduleSpec{Linear: &Interval{Percent: 30, Every: time.Minute}}, steps(time.Minute, 30, 60, 90), 3 * time.Minute},
		{"linear 25 stops at 75", ScheduleSpec{Linear: &Interval{Percent: 25, Every: time.Minute}}, steps(time.Minute, 25, 50, 75), 3 * time.Minute},
		{"linear 50", ScheduleSpec{Linear: &Interval{Percent: 50, Every: time.Minute}}, steps(time.Minute, 50), time.Minute},
		{"linear 60", ScheduleSpec{Linear: &Interval{Percent: 60, Every: time.Minute}}, steps(time.Minute, 60), time.Minute},
		{"linear 33.3 without float noise", ScheduleSpec{Linear: &Interval{Percent: 33.3, Every: time.Minute}}, steps(time.Minute, 33.3, 66.6, 99.9), 3 * time.Minute},
		{"linear 0.1 has 999 steps", ScheduleSpec{Linear: &Interval{Percent: 0.1, Every: time.Second}}, nil, 999 * time.Second},
		{"steps with fractions", ScheduleSpec{Steps: []Step{{0.5, time.Minute}, {1, 2 * time.Minute}, {25, 5 * time.Minute}}},
			[]Step{{0.5, time.Minute}, {1, 2 * time.Minute}, {25, 5 * time.Minute}}, 8 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, errs := ResolveSchedule(tt.spec)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if tt.want != nil && !reflect.DeepEqual(s.Steps, tt.want) {
				t.Errorf("steps = %v, want %v", s.Steps, tt.want)
			}
			if got := s.MinDuration(); got != tt.min {
				t.Errorf("MinDuration = %s, want %s", got, tt.min)
			}
		})
	}
	s, _ := ResolveSchedule(ScheduleSpec{Linear: &Interval{Percent: 0.1, Every: time.Second}})
	if len(s.Steps) != 999 || s.Steps[2].Percent != 0.3 || s.Steps[998].Percent != 99.9 {
		t.Errorf("linear 0.1: %d steps, third %v, last %v", len(s.Steps), s.Steps[2].Percent, s.Steps[len(s.Steps)-1].Percent)
	}
}

func TestResolveScheduleErrors(t *testing.T) {
	tests := []struct {
		name   string
		spec   ScheduleSpec
		path   []any
		detail string
	}{
		{"two kinds", ScheduleSpec{Preset: "AllAtOnce", Canary: &Interval{10, time.Minute}},
			[]any{"traffic_shift"}, "set exactly one of preset, canary, linear and steps"},
		{"unknown preset", ScheduleSpec{Preset: "Canary5Percent"},
			[]any{"traffic_shift", "preset"}, `unknown preset "Canary5Percent": use one of Canary10Percent5Minutes`},
		{"preset case", ScheduleSpec{Preset: "allatonce"},
			[]any{"traffic_shift", "preset"}, `did you mean "AllAtOnce"`},
		{"codedeploy prefix only", ScheduleSpec{Preset: "CodeDeployDefault.AllAtOnce"},
			[]any{"traffic_shift", "preset"}, "unknown preset"},
		{"canary 100", ScheduleSpec{Canary: &Interval{100, time.Minute}},
			[]any{"traffic_shift", "canary", "percentage"},
			"percentage must be greater than 0 and less than 100, got 100: the final 100% step is implicit"},
		{"canary 0", ScheduleSpec{Canary: &Interval{0, time.Minute}},
			[]any{"traffic_shift", "canary", "percentage"}, "percentage must be greater than 0 and less than 100, got 0"},
		{"canary short interval", ScheduleSpec{Canary: &Interval{10, 500 * time.Millisecond}},
			[]any{"traffic_shift", "canary", "interval"}, "interval must be at least 1s, got 500ms"},
		{"linear negative", ScheduleSpec{Linear: &Interval{-5, time.Minute}},
			[]any{"traffic_shift", "linear", "percentage"}, "got -5"},
		{"linear zero interval", ScheduleSpec{Linear: &Interval{10, 0}},
			[]any{"traffic_shift", "linear", "interval"}, "at least 1s"},
		{"steps not increasing", ScheduleSpec{Steps: []Step{{1, time.Minute}, {25, time.Minute}, {10, time.Minute}}},
			[]any{"traffic_shift", "steps", 2, "percentage"}, "greater than the step before it (25%), got 10%"},
		{"steps equal", ScheduleSpec{Steps: []Step{{5, time.Minute}, {5, time.Minute}}},
			[]any{"traffic_shift", "steps", 1, "percentage"}, "greater than the step before it"},
		{"step 100", ScheduleSpec{Steps: []Step{{50, time.Minute}, {100, time.Minute}}},
			[]any{"traffic_shift", "steps", 1, "percentage"}, "the final 100% step is implicit"},
		{"step short hold", ScheduleSpec{Steps: []Step{{50, time.Minute}, {60, 999 * time.Millisecond}}},
			[]any{"traffic_shift", "steps", 1, "hold"}, "hold must be at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, errs := ResolveSchedule(tt.spec)
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want 1", len(errs), errs)
			}
			if !reflect.DeepEqual(errs[0].Path, tt.path) {
				t.Errorf("path = %#v, want %#v", errs[0].Path, tt.path)
			}
			if !strings.Contains(errs[0].Detail, tt.detail) {
				t.Errorf("detail = %q, want it to contain %q", errs[0].Detail, tt.detail)
			}
			if errs[0].Summary == "" || !strings.Contains(errs[0].Error(), FormatPath(tt.path)) {
				t.Errorf("Error() = %q", errs[0].Error())
			}
			if len(s.Steps) != 0 {
				t.Errorf("schedule not zero on error: %v", s)
			}
		})
	}
}

func TestFormatPath(t *testing.T) {
	if got := FormatPath([]any{"traffic_shift", "steps", 2, "percentage"}); got != "traffic_shift.steps[2].percentage" {
		t.Errorf("got %q", got)
	}
}

func TestDescribe(t *testing.T) {
	canary, _ := ResolveSchedule(ScheduleSpec{Preset: "Canary10Percent5Minutes"})
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	custom, _ := ResolveSchedule(ScheduleSpec{Steps: []Step{{0.5, time.Minute}, {1, 2 * time.Minute}, {25, 5 * time.Minute}}})
	rate, p99 := 0.01, 800*time.Millisecond
	tests := []struct {
		name string
		r    Release
		want string
	}{
		{"spec example", Release{Schedule: canary, PreTrafficHook: "smoke", PostTrafficHook: "e2e", Alarms: []string{"a", "b"}, AlarmPollInterval: 10 * time.Second},
			"pre_traffic hook, 10% for 5m0s, 100%, post_traffic hook; 2 alarms polled every 10s; at least 5m0s"},
		{"all at once", Release{},
			"100%; no alarms; at least 0s"},
		{"one alarm default interval", Release{Schedule: canary, Alarms: []string{"a"}},
			"10% for 5m0s, 100%; 1 alarm polled every 10s; at least 5m0s"},
		{"ignored alarms", Release{Schedule: canary, Alarms: []string{"a", "b"}, IgnoreAlarms: true, PostTrafficHook: "e2e"},
			"10% for 5m0s, 100%, post_traffic hook; 2 alarms ignored; at least 5m0s"},
		{"linear folds", Release{Schedule: linear, Alarms: []string{"a"}, AlarmPollInterval: 30 * time.Second},
			"10%, 20% … 90% for 1m0s each, 100%; 1 alarm polled every 30s; at least 9m0s"},
		{"steps with fractions", Release{Schedule: custom},
			"0.5% for 1m0s, 1% for 2m0s, 25% for 5m0s, 100%; no alarms; at least 8m0s"},
		{"metric gates", Release{Schedule: canary, MetricGates: &MetricGates{MaxErrorRate: &rate, MaxP99Duration: &p99, CompareToBaseline: true, MinInvocations: 50}},
			"10% for 5m0s, 100%; no alarms; metric gates: error rate ≤ 1%, p99 ≤ 800ms, canary vs baseline at 95%, ≥ 50 invocations per step, each hold extended by 3m0s for its metrics to arrive; at least 8m0s"},
		{"metric gates at 99% with alarms", Release{Schedule: canary, Alarms: []string{"a"}, MetricGates: &MetricGates{CompareToBaseline: true, Confidence: 0.99}},
			"10% for 5m0s, 100%; 1 alarm polled every 10s; metric gates: canary vs baseline at 99%, each hold extended by 3m0s for its metrics to arrive; at least 8m0s"},
		{"metric gates without a step", Release{MetricGates: &MetricGates{MaxErrorRate: &rate}},
			"100%; no alarms; metric gates (nothing to judge without a weighted step): error rate ≤ 1%; at least 0s"},
		{"empty metric gates say nothing", Release{Schedule: canary, MetricGates: &MetricGates{}},
			"10% for 5m0s, 100%; no alarms; at least 5m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Describe(tt.r); got != tt.want {
				t.Errorf("Describe =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

func TestValidateRelease(t *testing.T) {
	ok := Release{Function: "orders-api", Alias: "live", Version: "4"}
	tests := []struct {
		name   string
		mut    func(*Release)
		path   []any
		detail string
	}{
		{"valid", func(*Release) {}, nil, ""},
		{"valid sha", func(r *Release) { r.Version, r.CodeSha256 = "", "abc=" }, nil, ""},
		{"both", func(r *Release) { r.CodeSha256 = "abc=" }, []any{"version"}, "not both"},
		{"neither", func(r *Release) { r.Version = "" }, []any{"code_sha256"}, "set code_sha256"},
		{"latest", func(r *Release) { r.Version = "$LATEST" }, []any{"version"}, `got "$LATEST"`},
		{"alias digits", func(r *Release) { r.Alias = "123" }, []any{"alias"}, "must not be all digits"},
		{"alias chars", func(r *Release) { r.Alias = "live.v2" }, []any{"alias"}, "1 to 128 letters"},
		{"alias long", func(r *Release) { r.Alias = strings.Repeat("a", 129) }, []any{"alias"}, "1 to 128 letters"},
		{"alias empty", func(r *Release) { r.Alias = "" }, []any{"alias"}, "must not be empty"},
		{"alias 128 ok", func(r *Release) { r.Alias = strings.Repeat("a-_1", 32) }, nil, ""},
		{"poll short", func(r *Release) { r.AlarmPollInterval = 500 * time.Millisecond }, []any{"alarm_poll_interval"}, "at least 1s, got 500ms"},
		{"poll 1s ok", func(r *Release) { r.AlarmPollInterval = time.Second }, nil, ""},
		{"duplicated alarm", func(r *Release) { r.Alarms = []string{"a", "b", "a"} }, []any{"alarms", 2}, `alarms[2] ("a") names the same alarm as alarms[0] ("a")`},
		{"duplicated alarm by ARN", func(r *Release) {
			r.Alarms = []string{"a", "arn:aws:cloudwatch:eu-central-1:123456789012:alarm:a"}
		}, []any{"alarms", 1}, "names the same alarm as alarms[0]"},
		{"no function", func(r *Release) { r.Function = "" }, []any{"function_name"}, "function_name must name"},
		{"metric gates ok", func(r *Release) {
			r.MetricGates = &MetricGates{MaxErrorRate: ptr(0.0), MaxP99Duration: ptr(time.Millisecond), CompareToBaseline: true, Confidence: 0.999, MinInvocations: 0}
		}, nil, ""},
		{"error rate 1 ok", func(r *Release) { r.MetricGates = &MetricGates{MaxErrorRate: ptr(1.0)} }, nil, ""},
		{"error rate over 1", func(r *Release) { r.MetricGates = &MetricGates{MaxErrorRate: ptr(1.5)} },
			[]any{"metric_gates", "max_error_rate"}, "from 0 to 1, got 1.5: write 0.01 for 1%"},
		{"error rate negative", func(r *Release) { r.MetricGates = &MetricGates{MaxErrorRate: ptr(-0.01)} },
			[]any{"metric_gates", "max_error_rate"}, "got -0.01"},
		{"p99 under 1ms", func(r *Release) { r.MetricGates = &MetricGates{MaxP99Duration: ptr(500 * time.Microsecond)} },
			[]any{"metric_gates", "max_p99_duration"}, "at least 1ms, got 500µs"},
		{"confidence 0.5", func(r *Release) { r.MetricGates = &MetricGates{Confidence: 0.5} },
			[]any{"metric_gates", "confidence"}, "greater than 0.5 and less than 1"},
		{"confidence 1", func(r *Release) { r.MetricGates = &MetricGates{Confidence: 1} },
			[]any{"metric_gates", "confidence"}, "got 1"},
		{"min invocations negative", func(r *Release) { r.MetricGates = &MetricGates{MinInvocations: -1} },
			[]any{"metric_gates", "min_invocations"}, "got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.mut(&r)
			errs := ValidateRelease(r)
			if tt.path == nil {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want 1", len(errs), errs)
			}
			if !reflect.DeepEqual(errs[0].Path, tt.path) || !strings.Contains(errs[0].Detail, tt.detail) {
				t.Errorf("got %v %q, want %v containing %q", errs[0].Path, errs[0].Detail, tt.path, tt.detail)
			}
		})
	}
}

func TestAlarmName(t *testing.T) {
	for in, want := range map[string]string{
		"orders-errors": "orders-errors",
		"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:orders-errors":    "orders-errors",
		"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:name:with:colons": "name:with:colons",
		"arn:aws:sns:eu-central-1:123456789012:topic":                         "arn:aws:sns:eu-central-1:123456789012:topic",
	} {
		if got := AlarmName(in); got != want {
			t.Errorf("AlarmName(%q) = %q, want %q", in, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }
