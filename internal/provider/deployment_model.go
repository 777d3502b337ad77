package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

const (
	minHold              = time.Second
	defaultApplyTimeout  = 60 * time.Minute
	defaultDeleteTimeout = 5 * time.Minute
)

// deploymentModel is safelambda_deployment's state and plan.
type deploymentModel struct {
	ID                       types.String         `tfsdk:"id"`
	FunctionName             types.String         `tfsdk:"function_name"`
	Alias                    types.String         `tfsdk:"alias"`
	CodeSha256               types.String         `tfsdk:"code_sha256"`
	Version                  types.String         `tfsdk:"version"`
	Description              types.String         `tfsdk:"description"`
	TrafficShift             *trafficShiftModel   `tfsdk:"traffic_shift"`
	Alarms                   types.List           `tfsdk:"alarms"`
	AlarmPollInterval        timetypes.GoDuration `tfsdk:"alarm_poll_interval"`
	IgnoreAlarms             types.Bool           `tfsdk:"ignore_alarms"`
	IgnorePollAlarmFailure   types.Bool           `tfsdk:"ignore_poll_alarm_failure"`
	Hooks                    *hooksModel          `tfsdk:"hooks"`
	MetricGates              *metricGatesModel    `tfsdk:"metric_gates"`
	KeepVersions             types.Int64          `tfsdk:"keep_versions"`
	Timeouts                 timeouts.Value       `tfsdk:"timeouts"`
	PreviousVersion          types.String         `tfsdk:"previous_version"`
	AliasARN                 types.String         `tfsdk:"alias_arn"`
	InvokeARN                types.String         `tfsdk:"invoke_arn"`
	Schedule                 types.String         `tfsdk:"schedule"`
	AdditionalVersionWeights types.Map            `tfsdk:"additional_version_weights"`
	LastDeployment           types.Object         `tfsdk:"last_deployment"`
}

type trafficShiftModel struct {
	Preset types.String   `tfsdk:"preset"`
	Canary *intervalModel `tfsdk:"canary"`
	Linear *intervalModel `tfsdk:"linear"`
	Steps  []stepModel    `tfsdk:"steps"`
}

type intervalModel struct {
	Percentage types.Float64        `tfsdk:"percentage"`
	Interval   timetypes.GoDuration `tfsdk:"interval"`
}

type stepModel struct {
	Percentage types.Float64        `tfsdk:"percentage"`
	Hold       timetypes.GoDuration `tfsdk:"hold"`
}

type hooksModel struct {
	PreTraffic  types.String `tfsdk:"pre_traffic"`
	PostTraffic types.String `tfsdk:"post_traffic"`
}

// known reports whether every input the schedule text and the plan checks need is known
// (not "known after apply"); until then they wait.
func (m *deploymentModel) known() bool {
	vals := []interface{ IsUnknown() bool }{m.Alarms, m.AlarmPollInterval, m.IgnoreAlarms}
	if m.Hooks != nil {
		vals = append(vals, m.Hooks.PreTraffic, m.Hooks.PostTraffic)
	}
	vals = append(vals, m.MetricGates.unknown()...)
	if ts := m.TrafficShift; ts != nil {
		vals = append(vals, ts.Preset)
		for _, iv := range []*intervalModel{ts.Canary, ts.Linear} {
			if iv != nil {
				vals = append(vals, iv.Percentage, iv.Interval)
			}
		}
		for _, s := range ts.Steps {
			vals = append(vals, s.Percentage, s.Hold)
		}
	}
	for _, v := range vals {
		if v.IsUnknown() {
			return false
		}
	}
	return true
}

// scheduleSpec turns traffic_shift into the engine's ScheduleSpec.
func (m *deploymentModel) scheduleSpec() shift.ScheduleSpec {
	var spec shift.ScheduleSpec
	ts := m.TrafficShift
	if ts == nil {
		return spec
	}
	spec.Preset = ts.Preset.ValueString()
	interval := func(iv *intervalModel) *shift.Interval {
		if iv == nil {
			return nil
		}
		d, _ := goDuration(iv.Interval)
		return &shift.Interval{Percent: iv.Percentage.ValueFloat64(), Every: d}
	}
	spec.Canary = interval(ts.Canary)
	spec.Linear = interval(ts.Linear)
	for _, s := range ts.Steps {
		d, _ := goDuration(s.Hold)
		spec.Steps = append(spec.Steps, shift.Step{Percent: s.Percentage.ValueFloat64(), Hold: d})
	}
	return spec
}

// release builds the engine's Release from a plan (or config). Schedule errors come back
// as attribute diagnostics.
func (m *deploymentModel) release(ctx context.Context) (shift.Release, diag.Diagnostics) {
	var diags diag.Diagnostics
	sched, errs := shift.ResolveSchedule(m.scheduleSpec())
	diags.Append(fieldDiagnostics(errs)...)
	r := shift.Release{
		Function:               m.FunctionName.ValueString(),
		Alias:                  m.Alias.ValueString(),
		Description:            m.Description.ValueString(),
		Schedule:               sched,
		AlarmPollInterval:      shift.DefaultAlarmPollInterval,
		IgnoreAlarms:           m.IgnoreAlarms.ValueBool(),
		IgnorePollAlarmFailure: m.IgnorePollAlarmFailure.ValueBool(),
		KeepVersions:           int(m.KeepVersions.ValueInt64()),
		MetricGates:            m.MetricGates.gates(),
	}
	if !m.CodeSha256.IsNull() && !m.CodeSha256.IsUnknown() && m.Version.IsUnknown() {
		r.CodeSha256 = m.CodeSha256.ValueString()
	} else {
		r.Version = m.Version.ValueString()
	}
	if d, ok := goDuration(m.AlarmPollInterval); ok {
		r.AlarmPollInterval = d
	}
	if !m.Alarms.IsNull() && !m.Alarms.IsUnknown() {
		var names []string
		diags.Append(m.Alarms.ElementsAs(ctx, &names, false)...)
		for _, n := range names {
			r.Alarms = append(r.Alarms, shift.AlarmName(n))
		}
	}
	if m.Hooks != nil {
		r.PreTrafficHook = m.Hooks.PreTraffic.ValueString()
		r.PostTrafficHook = m.Hooks.PostTraffic.ValueString()
	}
	return r, diags
}

// fieldDiagnostics puts the engine's validation errors on their attributes.
func fieldDiagnostics(errs []shift.FieldError) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, e := range errs {
		p := attrPath(e.Path)
		// Terraform shows the source line, not the path: name the attribute in words too.
		diags.AddAttributeError(p, e.Summary, fmt.Sprintf("Attribute %s: %s", p, e.Detail))
	}
	return diags
}

func attrPath(steps []any) path.Path {
	var p path.Path
	for i, s := range steps {
		switch v := s.(type) {
		case string:
			if i == 0 {
				p = path.Root(v)
			} else {
				p = p.AtName(v)
			}
		case int:
			p = p.AtListIndex(v)
		}
	}
	return p
}

// lastDeploymentValue records a release result.
func lastDeploymentValue(res shift.Result) types.Object {
	deleted := make([]string, 0, len(res.DeletedVersions))
	deleted = append(deleted, res.DeletedVersions...)
	dl, _ := types.ListValueFrom(context.Background(), types.StringType, deleted)
	kept := make([]string, 0, len(res.KeptVersions))
	for _, k := range res.KeptVersions {
		kept = append(kept, k.Version+": "+k.Reason)
	}
	kl, _ := types.ListValueFrom(context.Background(), types.StringType, kept)
	obj, _ := types.ObjectValue(lastDeploymentAttrTypes, map[string]attr.Value{
		"id":               types.StringValue(res.DeploymentID),
		"status":           types.StringValue(string(res.Status)),
		"target_version":   types.StringValue(res.TargetVersion),
		"started_at":       types.StringValue(formatTime(res.StartedAt)),
		"finished_at":      types.StringValue(formatTime(res.FinishedAt)),
		"message":          types.StringValue(res.Message),
		"deleted_versions": dl,
		"kept_versions":    kl,
	})
	return obj
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func weightsValue(w map[string]float64) types.Map {
	if w == nil {
		w = map[string]float64{}
	}
	m, _ := types.MapValueFrom(context.Background(), types.Float64Type, w)
	return m
}

// invokeARN is the API Gateway integration URI of an alias ARN
// (arn:<partition>:lambda:<region>:<account>:function:<name>:<alias>).
func invokeARN(aliasARN string) string {
	parts := strings.SplitN(aliasARN, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", parts[1], parts[3], aliasARN)
}
