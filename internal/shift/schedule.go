package shift

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Interval is a canary or linear schedule: Percent of traffic per move, held Every.
type Interval struct {
	Percent float64
	Every   time.Duration
}

// ScheduleSpec is the traffic_shift block as the user wrote it. At most one field is set;
// none means AllAtOnce.
type ScheduleSpec struct {
	Preset string
	Canary *Interval
	Linear *Interval
	Steps  []Step
}

const (
	kindCanary = "canary"
	kindLinear = "linear"
	kindSteps  = "steps"
	allAtOnce  = "AllAtOnce"

	// codeDeployPrefix turns a SAM preset name into CodeDeploy's spelling of it.
	codeDeployPrefix = "CodeDeployDefault.Lambda"
)

type preset struct {
	kind     string // kindCanary, kindLinear or "" for AllAtOnce
	interval Interval
}

// samPresets are the DeploymentPreference types of AWS SAM, in the order SAM documents them.
var samPresets = []struct {
	name string
	preset
}{
	{"Canary10Percent5Minutes", preset{kindCanary, Interval{10, 5 * time.Minute}}},
	{"Canary10Percent10Minutes", preset{kindCanary, Interval{10, 10 * time.Minute}}},
	{"Canary10Percent15Minutes", preset{kindCanary, Interval{10, 15 * time.Minute}}},
	{"Canary10Percent30Minutes", preset{kindCanary, Interval{10, 30 * time.Minute}}},
	{"Linear10PercentEvery1Minute", preset{kindLinear, Interval{10, time.Minute}}},
	{"Linear10PercentEvery2Minutes", preset{kindLinear, Interval{10, 2 * time.Minute}}},
	{"Linear10PercentEvery3Minutes", preset{kindLinear, Interval{10, 3 * time.Minute}}},
	{"Linear10PercentEvery10Minutes", preset{kindLinear, Interval{10, 10 * time.Minute}}},
	{allAtOnce, preset{}},
}

func lookupPreset(name string) (preset, bool) {
	plain := strings.TrimPrefix(name, codeDeployPrefix)
	if plain == name && strings.HasPrefix(name, "CodeDeployDefault.") {
		return preset{}, false
	}
	for _, p := range samPresets {
		if p.name == plain {
			return p.preset, true
		}
	}
	return preset{}, false
}

// PresetNames lists every accepted preset spelling: the nine SAM names, then the same
// names as CodeDeploy spells them (CodeDeployDefault.LambdaCanary10Percent5Minutes, …).
func PresetNames() []string {
	names := make([]string, 0, 2*len(samPresets))
	for _, p := range samPresets {
		names = append(names, p.name)
	}
	for _, p := range samPresets {
		names = append(names, codeDeployPrefix+p.name)
	}
	return names
}

func samPresetNames() []string {
	names := make([]string, 0, len(samPresets))
	for _, p := range samPresets {
		names = append(names, p.name)
	}
	return names
}

// ResolveSchedule turns the traffic_shift block into the weighted steps that come before
// the final 100%. Errors carry the attribute path at fault; on any error the Schedule is
// zero.
func ResolveSchedule(spec ScheduleSpec) (Schedule, []FieldError) {
	root := []any{"traffic_shift"}
	var set []string
	if spec.Preset != "" {
		set = append(set, "preset")
	}
	if spec.Canary != nil {
		set = append(set, "canary")
	}
	if spec.Linear != nil {
		set = append(set, "linear")
	}
	if len(spec.Steps) > 0 {
		set = append(set, "steps")
	}
	if len(set) > 1 {
		return Schedule{}, []FieldError{{
			Path:    root,
			Summary: "Conflicting traffic shift kinds",
			Detail: fmt.Sprintf("traffic_shift sets %s; set exactly one of preset, canary, linear and steps (or none for AllAtOnce)",
				strings.Join(set, " and ")),
		}}
	}

	switch {
	case spec.Preset != "":
		p, ok := lookupPreset(spec.Preset)
		if !ok {
			return Schedule{}, []FieldError{unknownPreset(spec.Preset)}
		}
		s := buildSchedule(p.kind, p.interval)
		s.Name = spec.Preset
		return s, nil
	case spec.Canary != nil:
		if errs := validateInterval(append(root, "canary"), *spec.Canary); len(errs) > 0 {
			return Schedule{}, errs
		}
		return buildSchedule(kindCanary, *spec.Canary), nil
	case spec.Linear != nil:
		if errs := validateInterval(append(root, "linear"), *spec.Linear); len(errs) > 0 {
			return Schedule{}, errs
		}
		return buildSchedule(kindLinear, *spec.Linear), nil
	case len(spec.Steps) > 0:
		if errs := validateSteps(append(root, "steps"), spec.Steps); len(errs) > 0 {
			return Schedule{}, errs
		}
		return Schedule{Name: kindSteps, Steps: append([]Step(nil), spec.Steps...)}, nil
	}
	return Schedule{Name: allAtOnce}, nil
}

func unknownPreset(name string) FieldError {
	detail := fmt.Sprintf("unknown preset %q: use one of %s, or the same name as CodeDeploy spells it (%s…)",
		name, strings.Join(samPresetNames(), ", "), codeDeployPrefix)
	for _, known := range PresetNames() {
		if strings.EqualFold(known, name) {
			detail = fmt.Sprintf("unknown preset %q: did you mean %q? Preset names are case-sensitive", name, known)
			break
		}
	}
	return FieldError{Path: []any{"traffic_shift", "preset"}, Summary: "Unknown traffic shift preset", Detail: detail}
}

func buildSchedule(kind string, iv Interval) Schedule {
	switch kind {
	case kindCanary:
		return Schedule{Name: kindCanary, Steps: []Step{{Percent: iv.Percent, Hold: iv.Every}}}
	case kindLinear:
		var steps []Step
		for k := 1; ; k++ {
			p := roundPercent(float64(k) * iv.Percent)
			if p >= 100 {
				break
			}
			steps = append(steps, Step{Percent: p, Hold: iv.Every})
		}
		return Schedule{Name: kindLinear, Steps: steps}
	}
	return Schedule{Name: allAtOnce}
}

// roundPercent drops float noise (3 × 0.1 = 0.30000000000000004) that would otherwise
// show in weights and in the schedule text.
func roundPercent(p float64) float64 {
	return math.Round(p*1e6) / 1e6
}

func validateInterval(path []any, iv Interval) []FieldError {
	var errs []FieldError
	if e, bad := checkPercent(withPath(path, "percentage"), iv.Percent); bad {
		errs = append(errs, e)
	}
	if e, bad := checkDuration(withPath(path, "interval"), "interval", iv.Every); bad {
		errs = append(errs, e)
	}
	return errs
}

func validateSteps(path []any, steps []Step) []FieldError {
	var errs []FieldError
	for i, s := range steps {
		at := withPath(path, i)
		if e, bad := checkPercent(withPath(at, "percentage"), s.Percent); bad {
			errs = append(errs, e)
		} else if i > 0 && s.Percent <= steps[i-1].Percent {
			errs = append(errs, notIncreasing(withPath(at, "percentage"), steps[i-1].Percent, s.Percent))
		}
		if e, bad := checkDuration(withPath(at, "hold"), "hold", s.Hold); bad {
			errs = append(errs, e)
		}
	}
	return errs
}

func notIncreasing(path []any, before, got float64) FieldError {
	return FieldError{
		Path:    path,
		Summary: "Steps must increase",
		Detail: fmt.Sprintf("percentage must be greater than the step before it (%s%%), got %s%%: each step moves more traffic onto the new version",
			FormatPercent(before), FormatPercent(got)),
	}
}

func checkPercent(path []any, p float64) (FieldError, bool) {
	if p > 0 && p < 100 {
		return FieldError{}, false
	}
	detail := fmt.Sprintf("percentage must be greater than 0 and less than 100, got %s: write the share of traffic on the new version, such as 10", FormatPercent(p))
	if p >= 100 {
		detail = fmt.Sprintf("percentage must be greater than 0 and less than 100, got %s: the final 100%% step is implicit, so leave it out", FormatPercent(p))
	}
	return FieldError{Path: path, Summary: "Invalid percentage", Detail: detail}, true
}

func checkDuration(path []any, what string, d time.Duration) (FieldError, bool) {
	if d >= MinDurationUnit {
		return FieldError{}, false
	}
	return FieldError{
		Path:    path,
		Summary: "Duration too short",
		Detail:  fmt.Sprintf("%s must be at least 1s, got %s: write a Go duration such as \"30s\" or \"5m\"", what, d),
	}, true
}

// withPath copies before appending so sibling paths never share a backing array.
func withPath(path []any, elems ...any) []any {
	out := make([]any, 0, len(path)+len(elems))
	return append(append(out, path...), elems...)
}

// MinDuration is the sum of the holds: how long the release takes at least, hooks and
// API calls aside.
func (s Schedule) MinDuration() time.Duration {
	var d time.Duration
	for _, st := range s.Steps {
		d += st.Hold
	}
	return d
}

// FormatPercent prints a percentage without trailing zeros: 10, 0.5, 33.3.
func FormatPercent(p float64) string {
	return strconv.FormatFloat(roundPercent(p), 'f', -1, 64)
}

// Describe is the one-line plan of a release, known at plan time (the schedule
// attribute). Its parts, separated by "; ":
//
//  1. the traffic plan: "pre_traffic hook, " when there is one, each step as "10% for 5m0s",
//     then "100%", then ", post_traffic hook". Three or more steps with one hold and an even
//     increment are folded: "10%, 20% … 90% for 1m0s each". AllAtOnce is just "100%".
//     Then, with an approval: "approval before 2 traffic increases and promotion, polled
//     every 30s, each wait up to 30m0s" (describeApproval).
//  2. the alarms: "2 alarms polled every 10s", "1 alarm polled every 10s", "no alarms", or
//     "2 alarms ignored" under ignore_alarms.
//  3. the metric gates, when set: "metric gates: error rate ≤ 1%, p99 ≤ 800ms, canary vs
//     baseline at 95%, ≥ 50 invocations per step" (polled with the alarms).
//  4. "at least 5m0s": the sum of the holds, each extended with metric gates until its
//     metrics have arrived (MetricEvidenceWait).
func Describe(r Release) string {
	var plan []string
	if r.PreTrafficHook != "" {
		plan = append(plan, "pre_traffic hook")
	}
	plan = append(plan, describeSteps(r.Schedule.Steps)...)
	plan = append(plan, "100%")
	if r.PostTrafficHook != "" {
		plan = append(plan, "post_traffic hook")
	}
	parts := []string{strings.Join(plan, ", ")}
	if a := describeApproval(r); a != "" {
		parts = append(parts, a)
	}
	parts = append(parts, describeAlarms(r))
	if g := describeMetricGates(r.MetricGates, len(r.Schedule.Steps) > 0); g != "" {
		parts = append(parts, g)
	}
	parts = append(parts, "at least "+MinReleaseDuration(r).String())
	return strings.Join(parts, "; ")
}

// DescribeFirstRelease is Describe for a resource being created. When the alias does not
// exist yet there is nothing to shift from: it is created on the target directly and only
// the hooks and gates run. An alias that already exists is adopted and shifted onto the
// target by the schedule (or left alone when it serves the target already). Without an
// AWS call at plan time both are said.
func DescribeFirstRelease(r Release) string {
	var plan []string
	if r.PreTrafficHook != "" {
		plan = append(plan, "pre_traffic hook")
	}
	created := "first release: alias created on the new version directly, no traffic shift"
	if len(r.Schedule.Steps) > 0 {
		created += fmt.Sprintf(" (an existing alias is adopted: %s, 100%%)", strings.Join(describeSteps(r.Schedule.Steps), ", "))
	}
	plan = append(plan, created)
	if r.PostTrafficHook != "" {
		plan = append(plan, "post_traffic hook")
	}
	parts := []string{strings.Join(plan, ", ")}
	if a := describeApproval(r); a != "" {
		parts = append(parts, a+" (when an existing alias is adopted; a created alias is not asked about)")
	}
	parts = append(parts, describeAlarms(r))
	if g := describeMetricGates(r.MetricGates, len(r.Schedule.Steps) > 0); g != "" {
		parts = append(parts, g)
	}
	return strings.Join(parts, "; ")
}

func describeSteps(steps []Step) []string {
	var out []string
	for i := 0; i < len(steps); {
		j := i + 1 // steps[i:j] is an even run with one hold
		for j < len(steps) && steps[j].Hold == steps[i].Hold &&
			(j == i+1 || roundPercent(steps[j].Percent-steps[j-1].Percent) == roundPercent(steps[i+1].Percent-steps[i].Percent)) {
			j++
		}
		if j-i >= 3 {
			out = append(out, fmt.Sprintf("%s%%, %s%% … %s%% for %s each",
				FormatPercent(steps[i].Percent), FormatPercent(steps[i+1].Percent), FormatPercent(steps[j-1].Percent), steps[i].Hold))
			i = j
			continue
		}
		out = append(out, fmt.Sprintf("%s%% for %s", FormatPercent(steps[i].Percent), steps[i].Hold))
		i++
	}
	return out
}

func describeAlarms(r Release) string {
	n := len(r.Alarms)
	if n == 0 {
		return "no alarms"
	}
	if r.IgnoreAlarms {
		return alarmCount(n) + " ignored"
	}
	return fmt.Sprintf("%s polled every %s", alarmCount(n), pollInterval(r))
}

// alarmCount is "1 alarm", "2 alarms".
func alarmCount(n int) string {
	if n == 1 {
		return "1 alarm"
	}
	return fmt.Sprintf("%d alarms", n)
}

// describeMetricGates says what the metric gates check. They judge weighted steps only, so
// with no step (AllAtOnce) the text says they have nothing to judge.
func describeMetricGates(g *MetricGates, steps bool) string {
	if g == nil || !g.checksAnything() {
		return ""
	}
	var parts []string
	if g.MaxErrorRate != nil {
		parts = append(parts, fmt.Sprintf("error rate ≤ %s%%", FormatPercent(*g.MaxErrorRate*100)))
	}
	if g.MaxP99Duration != nil {
		parts = append(parts, fmt.Sprintf("p99 ≤ %s", *g.MaxP99Duration))
	}
	if g.CompareToBaseline {
		parts = append(parts, fmt.Sprintf("canary vs baseline at %s%%", FormatPercent(confidence(g)*100)))
	}
	if g.MinInvocations > 0 {
		parts = append(parts, fmt.Sprintf("≥ %d invocations per step", g.MinInvocations))
	}
	if !steps {
		return "metric gates (nothing to judge without a weighted step): " + strings.Join(parts, ", ")
	}
	s := "metric gates: " + strings.Join(parts, ", ")
	if wait := MetricEvidenceWait(g); wait > 0 {
		s += fmt.Sprintf(", each hold extended by %s for its metrics to arrive", wait)
	}
	return s
}

func pollInterval(r Release) time.Duration {
	if r.AlarmPollInterval == 0 {
		return DefaultAlarmPollInterval
	}
	return r.AlarmPollInterval
}
