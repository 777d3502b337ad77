package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// metricGatesModel is metric_gates: checks on the alias's own Lambda metrics, split by
// ExecutedVersion, judged at every poll of every weighted step.
type metricGatesModel struct {
	MaxErrorRate      types.Float64        `tfsdk:"max_error_rate"`
	MaxP99Duration    timetypes.GoDuration `tfsdk:"max_p99_duration"`
	CompareToBaseline types.Bool           `tfsdk:"compare_to_baseline"`
	Confidence        types.Float64        `tfsdk:"confidence"`
	MinInvocations    types.Int64          `tfsdk:"min_invocations"`
	ArrivalDelay      timetypes.GoDuration `tfsdk:"arrival_delay"`
}

func metricGatesAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "Checks on the alias's own Lambda metrics (`AWS/Lambda` `Invocations`, `Errors` and `Duration` on " +
			"`Resource = <function>:<alias>`, split by `ExecutedVersion` into the new version, the canary, and the " +
			"previous one, the baseline), read together with the alarms at every poll of every weighted step, over the " +
			"step so far, in one `GetMetricData` call. A tripped gate rolls the release back like an alarm, and the error " +
			"carries the numbers. Lambda emits no datapoint for a zero count, so missing data counts as zero. There is " +
			"nothing to judge without a weighted step (`AllAtOnce`, a first release). " +
			"See the [metric gates guide](../guides/metric-gates.md) for the statistics in plain words.",
		Attributes: map[string]schema.Attribute{
			"max_error_rate": schema.Float64Attribute{
				Optional: true,
				MarkdownDescription: "Highest canary error rate (`Errors / Invocations` over the step so far) allowed, " +
					"from `0` to `1`: `0.01` is 1%. Judged from the first invocation on.",
				Validators: []validator.Float64{float64validator.Between(0, 1)},
			},
			"max_p99_duration": schema.StringAttribute{
				CustomType:          timetypes.GoDurationType{},
				Optional:            true,
				MarkdownDescription: "Highest canary p99 `Duration` allowed over the step so far, a Go duration (`800ms`), at least `1ms`.",
				Validators:          []validator.String{durationBetween(shift.MinP99Duration, 0)},
			},
			"compare_to_baseline": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Trip when the canary's error rate is significantly worse than the baseline's, by a " +
					"one-sided two-proportion z-test at `confidence`. Default `false`.",
			},
			"confidence": schema.Float64Attribute{
				Optional: true,
				MarkdownDescription: "Confidence for `compare_to_baseline`, greater than `0.5` and less than `1`: at `0.95` " +
					"the gate trips when a canary this much worse would be less than 5% likely by chance. Default `0.95`.",
				Validators: []validator.Float64{openInterval(0.5, 1)},
			},
			"min_invocations": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Fewest canary invocations each step must see by the end of its hold; fewer fails the " +
					"release (\"not enough traffic to judge\") and rolls it back. `0` or unset disables.",
				Validators: []validator.Int64{int64validator.AtLeast(0)},
			},
			"arrival_delay": schema.StringAttribute{
				CustomType: timetypes.GoDurationType{},
				Optional:   true,
				MarkdownDescription: "How long after its minute ends a Lambda metric is taken to have arrived in CloudWatch, a Go " +
					"duration from `0s` to `15m`. Default `2m`. Lambda sends its metrics at one-minute resolution, timestamped " +
					"at the start of each invocation, and they arrive late; a datapoint still on its way reads like no traffic " +
					"and no errors. So the gates judge only minutes that have arrived, and each hold is extended by one minute " +
					"plus this delay (shown in `schedule` and counted against the timeouts) so that its own minutes are judged " +
					"before the release moves on. `0s` is for a metrics source that delivers at once, such as an emulator.",
				Validators: []validator.String{durationBetween(0, shift.MaxMetricArrivalDelay)},
			},
		},
	}
}

// unknown lists the values that may be unknown at plan time.
func (g *metricGatesModel) unknown() []interface{ IsUnknown() bool } {
	if g == nil {
		return nil
	}
	return []interface{ IsUnknown() bool }{g.MaxErrorRate, g.MaxP99Duration, g.CompareToBaseline, g.Confidence, g.MinInvocations, g.ArrivalDelay}
}

// gates is the engine's MetricGates; nil when metric_gates is not set.
func (g *metricGatesModel) gates() *shift.MetricGates {
	if g == nil {
		return nil
	}
	out := &shift.MetricGates{
		CompareToBaseline: g.CompareToBaseline.ValueBool(),
		Confidence:        g.Confidence.ValueFloat64(),
		MinInvocations:    int(g.MinInvocations.ValueInt64()),
	}
	if !g.MaxErrorRate.IsNull() && !g.MaxErrorRate.IsUnknown() {
		v := g.MaxErrorRate.ValueFloat64()
		out.MaxErrorRate = &v
	}
	if d, ok := goDuration(g.MaxP99Duration); ok {
		out.MaxP99Duration = &d
	}
	if d, ok := goDuration(g.ArrivalDelay); ok {
		out.ArrivalDelay = &d
	}
	return out
}

// openIntervalValidator accepts numbers strictly between lo and hi.
type openIntervalValidator struct{ lo, hi float64 }

func openInterval(lo, hi float64) validator.Float64 { return openIntervalValidator{lo: lo, hi: hi} }

func (v openIntervalValidator) Description(context.Context) string {
	return fmt.Sprintf("must be greater than %v and less than %v", v.lo, v.hi)
}

func (v openIntervalValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v openIntervalValidator) ValidateFloat64(ctx context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if x := req.ConfigValue.ValueFloat64(); !(x > v.lo && x < v.hi) {
		resp.Diagnostics.AddAttributeError(req.Path, "Value out of range",
			fmt.Sprintf("%s %s, got %v.", req.Path, v.Description(ctx), x))
	}
}
