package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// logSubsystem carries the engine's progress in Terraform's logs (TF_LOG_PROVIDER_SHIFT).
const logSubsystem = "shift"

var (
	_ resource.Resource                   = (*deploymentResource)(nil)
	_ resource.ResourceWithConfigure      = (*deploymentResource)(nil)
	_ resource.ResourceWithImportState    = (*deploymentResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*deploymentResource)(nil)
	_ resource.ResourceWithValidateConfig = (*deploymentResource)(nil)
)

// NewDeploymentResource is the safelambda_deployment resource.
func NewDeploymentResource() resource.Resource { return &deploymentResource{} }

type deploymentResource struct {
	data *providerData
}

func (r *deploymentResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_deployment"
}

func (r *deploymentResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if req.ProviderData == nil {
		return
	}
	data, ok := req.ProviderData.(*providerData)
	if !ok {
		resp.Diagnostics.AddError("Unexpected provider data", fmt.Sprintf("got %T; this is a bug in the provider, please report it", req.ProviderData))
		return
	}
	r.data = data
}

// engine returns the release engine wired to AWS and to Terraform's log.
func (r *deploymentResource) engine(ctx context.Context, function, alias string) *shift.Engine {
	logCtx := tflog.NewSubsystem(ctx, logSubsystem)
	logCtx = tflog.SubsystemSetField(logCtx, logSubsystem, "function", function)
	logCtx = tflog.SubsystemSetField(logCtx, logSubsystem, "alias", alias)
	return &shift.Engine{
		AWS:   r.data.clients.Engine(),
		Clock: shift.RealClock{},
		Observer: func(e shift.Event) {
			fields := map[string]any{"event": string(e.Kind), "percent": e.Percent, "target_version": e.Target}
			switch e.Kind {
			case shift.EventPoll:
				tflog.SubsystemDebug(logCtx, logSubsystem, e.Detail, fields)
			case shift.EventWarning:
				tflog.SubsystemWarn(logCtx, logSubsystem, e.Detail, fields)
			default:
				tflog.SubsystemInfo(logCtx, logSubsystem, e.Detail, fields)
			}
		},
	}
}

func (r *deploymentResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m deploymentModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Terraform drops unknown keys inside an object value, so a misspelled key
	// (traffic_shift = { presett = … }) arrives as an empty object: refuse it rather than
	// release all at once, or with no hook or gate, without a word.
	const typo = " A misspelled key is dropped by Terraform and lands here."
	if ts := m.TrafficShift; ts != nil && ts.Preset.IsNull() && ts.Canary == nil && ts.Linear == nil && ts.Steps == nil {
		resp.Diagnostics.AddAttributeError(path.Root("traffic_shift"), "Empty traffic_shift",
			"traffic_shift needs exactly one of preset, canary, linear or steps. Omit traffic_shift for AllAtOnce."+typo)
	}
	if h := m.Hooks; h != nil && h.PreTraffic.IsNull() && h.PostTraffic.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("hooks"), "Empty hooks",
			"hooks needs pre_traffic, post_traffic or both. Omit hooks for none."+typo)
	}
	if g := m.MetricGates; g != nil && g.MaxErrorRate.IsNull() && g.MaxP99Duration.IsNull() && g.CompareToBaseline.IsNull() && g.MinInvocations.IsNull() {
		resp.Diagnostics.AddAttributeError(path.Root("metric_gates"), "Empty metric_gates",
			"metric_gates needs at least one of max_error_rate, max_p99_duration, compare_to_baseline or min_invocations. Omit metric_gates for none."+typo)
	}
	if !m.known() {
		return
	}
	rel, diags := m.release(ctx)
	for _, d := range diags {
		// Durations and the one-kind rule are checked by attribute validators, which name
		// the exact attribute; do not say it twice.
		if p, ok := d.(interface{ Path() path.Path }); ok {
			at := p.Path().String()
			if strings.HasSuffix(at, ".interval") || strings.HasSuffix(at, ".hold") || at == "traffic_shift" {
				continue
			}
		}
		resp.Diagnostics.Append(d)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	r.checkAlarmNames(ctx, m, resp)
	r.checkFitsTimeouts(ctx, m, rel, resp)
}

// checkAlarmNames refuses the same alarm given twice, by name and by ARN.
func (r *deploymentResource) checkAlarmNames(ctx context.Context, m deploymentModel, resp *resource.ValidateConfigResponse) {
	if m.Alarms.IsNull() || m.Alarms.IsUnknown() {
		return
	}
	var names []string
	resp.Diagnostics.Append(m.Alarms.ElementsAs(ctx, &names, false)...)
	seen := map[string]int{}
	for i, n := range names {
		name := shift.AlarmName(n)
		if j, dup := seen[name]; dup && names[j] != n {
			resp.Diagnostics.AddAttributeError(path.Root("alarms").AtListIndex(i), "Duplicated alarm",
				fmt.Sprintf("alarms[%d] (%q) names the same alarm as alarms[%d] (%q). List each alarm once.", i, n, j, names[j]))
		}
		seen[name] = i
	}
}

// checkFitsTimeouts refuses a schedule whose holds alone outlast the create or update
// timeout: such a release could only ever time out and roll back.
func (r *deploymentResource) checkFitsTimeouts(ctx context.Context, m deploymentModel, rel shift.Release, resp *resource.ValidateConfigResponse) {
	if m.Timeouts.IsUnknown() {
		return
	}
	need := rel.Schedule.MinDuration()
	create, d1 := m.Timeouts.Create(ctx, defaultApplyTimeout)
	update, d2 := m.Timeouts.Update(ctx, defaultApplyTimeout)
	if d1.HasError() || d2.HasError() {
		return // the timeouts attribute reports its own errors
	}
	for _, t := range []struct {
		name  string
		limit time.Duration
	}{{"create", create}, {"update", update}} {
		if need >= t.limit {
			resp.Diagnostics.AddAttributeError(path.Root("traffic_shift"), "Schedule longer than its timeout",
				fmt.Sprintf("The traffic shift holds for at least %s, but timeouts.%s is %s, so the release could only time out and roll back. "+
					"Shorten the schedule or raise timeouts.%s (for example to %s).", need, t.name, t.limit, t.name, (need+need/2+time.Minute).Round(time.Minute)))
			return
		}
	}
}

func (r *deploymentResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan, config deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	var state *deploymentModel
	if !req.State.Raw.IsNull() {
		state = &deploymentModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		if resp.Diagnostics.HasError() {
			return
		}
	}

	plan.Schedule = types.StringUnknown()
	if plan.known() {
		if rel, diags := plan.release(ctx); !diags.HasError() {
			plan.Schedule = types.StringValue(shift.Describe(rel))
		}
	}
	plan.AdditionalVersionWeights = weightsValue(nil)

	if needsRelease(config, state) {
		if config.CodeSha256.IsNull() {
			plan.CodeSha256 = types.StringUnknown()
		} else {
			plan.Version = types.StringUnknown()
		}
		plan.PreviousVersion = types.StringUnknown()
		plan.LastDeployment = types.ObjectUnknown(lastDeploymentAttrTypes)
	} else if state != nil {
		plan.Version = state.Version
		plan.CodeSha256 = state.CodeSha256
		plan.PreviousVersion = state.PreviousVersion
		plan.LastDeployment = state.LastDeployment
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// needsRelease reports whether applying config over state moves traffic: a new resource,
// a new hash or version, or an alias left split.
func needsRelease(config deploymentModel, state *deploymentModel) bool {
	if state == nil {
		return true
	}
	if !state.AdditionalVersionWeights.IsNull() && len(state.AdditionalVersionWeights.Elements()) > 0 {
		return true
	}
	if config.CodeSha256.IsUnknown() || config.Version.IsUnknown() {
		return true
	}
	if !config.CodeSha256.IsNull() {
		return !config.CodeSha256.Equal(state.CodeSha256)
	}
	return !config.Version.Equal(state.Version)
}

func (r *deploymentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := plan.Timeouts.Create(ctx, defaultApplyTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	state, ok := r.release(ctx, plan, "", timeout, &resp.Diagnostics)
	if !ok {
		// Nothing is recorded for a resource whose first release failed: the alias is back
		// as it was (or gone), and the next apply creates it again. A tainted resource
		// would make Terraform destroy the alias first.
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
}

func (r *deploymentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, prior deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.Version.IsUnknown() && !plan.CodeSha256.IsUnknown() {
		// Settings only (alarms, hooks, timeouts …): they take effect at the next release.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		setIdentity(ctx, resp.Identity, plan, &resp.Diagnostics)
		return
	}
	timeout, diags := plan.Timeouts.Update(ctx, defaultApplyTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	state, _ := r.release(ctx, plan, prior.PreviousVersion.ValueString(), timeout, &resp.Diagnostics)
	// Written on failure too: it records what is live, so the release shows as pending.
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
}

// release runs one release and returns the state to record. ok is false when the
// release failed (the error is already in diags).
func (r *deploymentResource) release(ctx context.Context, plan deploymentModel, priorPrevious string, timeout time.Duration, diags *diag.Diagnostics) (deploymentModel, bool) {
	rel, d := plan.release(ctx)
	diags.Append(d...)
	if diags.HasError() {
		return plan, false
	}
	rel.RollbackTimeout = rollbackTimeout(timeout)
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	res, err := r.engine(ctx, rel.Function, rel.Alias).Run(runCtx, rel)

	state := plan
	state.Schedule = types.StringValue(shift.Describe(rel))
	state.ID = types.StringValue(rel.Function + ":" + rel.Alias)
	state.LastDeployment = lastDeploymentValue(res)
	state.AdditionalVersionWeights = weightsValue(res.LiveWeights)
	if res.AliasExists {
		state.AliasARN = types.StringValue(res.AliasARN)
		state.InvokeARN = types.StringValue(invokeARN(res.AliasARN))
	}
	if err != nil {
		// Keep the inputs at what is live so the next plan shows the release as pending.
		state.Version = types.StringValue(res.LiveVersion)
		state.CodeSha256 = types.StringValue(res.LiveCodeSha256)
		state.PreviousVersion = types.StringValue(priorPrevious)
		if !res.AliasExists {
			state.AliasARN, state.InvokeARN = types.StringValue(""), types.StringValue("")
		}
		addReleaseError(diags, rel, res, err)
		return state, false
	}
	state.Version = types.StringValue(res.LiveVersion)
	state.CodeSha256 = types.StringValue(res.LiveCodeSha256)
	if !plan.CodeSha256.IsUnknown() {
		state.CodeSha256 = plan.CodeSha256
	}
	previous := res.PreviousVersion
	if res.Status == shift.StatusNoChange {
		previous = priorPrevious
	}
	state.PreviousVersion = types.StringValue(previous)
	return state, true
}

// rollbackTimeout gives a rollback its own deadline: enough for a few retries with
// backoff, never more than the operation's own timeout.
func rollbackTimeout(op time.Duration) time.Duration {
	if op < shift.DefaultRollbackTimeout {
		return op
	}
	return shift.DefaultRollbackTimeout
}

func (r *deploymentResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state deploymentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	fn, alias := state.FunctionName.ValueString(), state.Alias.ValueString()
	known := shift.Known{Version: state.Version.ValueString(), CodeSha256: state.CodeSha256.ValueString()}
	live, err := r.engine(ctx, fn, alias).Inspect(ctx, fn, alias, known)
	if errors.Is(err, shift.ErrNotFound) {
		tflog.Warn(ctx, "alias or function is gone; removing it from state", map[string]any{"function": fn, "alias": alias})
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Cannot read the alias", fmt.Sprintf("Reading alias %q of function %q failed: %v", alias, fn, err))
		return
	}
	state.ID = types.StringValue(fn + ":" + alias)
	state.Version = types.StringValue(live.Version)
	state.CodeSha256 = types.StringValue(live.CodeSha256)
	state.AliasARN = types.StringValue(live.AliasARN)
	state.InvokeARN = types.StringValue(invokeARN(live.AliasARN))
	state.AdditionalVersionWeights = weightsValue(live.Weights)
	if state.Schedule.IsNull() {
		// Just imported: say what the imported settings would do, as a plan of the same
		// settings does, so that configuration generated from them plans empty.
		if rel, d := state.release(ctx); !d.HasError() {
			state.Schedule = types.StringValue(shift.Describe(rel))
		}
	}
	checkImportedAccount(ctx, req.Identity, live.AliasARN, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if len(live.Weights) > 0 {
		tflog.Warn(ctx, "alias is split between versions; the next apply resumes or restores it",
			map[string]any{"function": fn, "alias": alias, "version": live.Version, "weights": live.Weights})
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
}

func (r *deploymentResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state deploymentModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, defaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	fn, alias := state.FunctionName.ValueString(), state.Alias.ValueString()
	if err := r.engine(ctx, fn, alias).Remove(ctx, fn, alias); err != nil {
		resp.Diagnostics.AddError("Cannot delete the alias",
			fmt.Sprintf("Deleting alias %q of function %q failed: %v\nPublished versions are kept. Run terraform destroy again once the cause is fixed.", alias, fn, err))
	}
}

// ImportState takes "<function>:<alias>", where the function may be an ARN, or an
// identity (function_name, alias and optionally region and account_id).
func (r *deploymentResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	fn, alias := r.importTarget(ctx, req, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("function_name"), fn)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("alias"), alias)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), fn+":"+alias)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("alarm_poll_interval"), shift.DefaultAlarmPollInterval.String())...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ignore_alarms"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ignore_poll_alarm_failure"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("previous_version"), "")...)
}
