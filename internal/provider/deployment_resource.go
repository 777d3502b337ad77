package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/safelambda/terraform-provider-safelambda/internal/awsapi"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// privateImported marks a resource imported and not yet refreshed.
const privateImported = "imported"

// logSubsystem carries the engine's progress in Terraform's logs (TF_LOG_PROVIDER=INFO shows it, tagged @module=safelambda.shift).
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
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// engine returns the release engine wired to AWS and to Terraform's log.
func (r *deploymentResource) engine(ctx context.Context, function, alias string) *shift.Engine {
	return r.engineWith(ctx, r.data.clients, function, alias)
}

// planEngine is engine for reads while Terraform plans or refreshes: an unreachable
// endpoint fails them in about half a minute rather than after a release's retries.
func (r *deploymentResource) planEngine(ctx context.Context, function, alias string) *shift.Engine {
	return r.engineWith(ctx, r.data.clients.ForPlan(), function, alias)
}

func (r *deploymentResource) engineWith(ctx context.Context, clients *awsapi.Clients, function, alias string) *shift.Engine {
	logCtx := tflog.NewSubsystem(ctx, logSubsystem)
	logCtx = tflog.SubsystemSetField(logCtx, logSubsystem, "function", function)
	logCtx = tflog.SubsystemSetField(logCtx, logSubsystem, "alias", alias)
	return &shift.Engine{
		AWS:   clients.Engine(),
		Clock: shift.RealClock{},
		// Who runs the release, as its lease names it to other pipelines: the pipeline run
		// the environment names, the user and host, and this process.
		Holder: shift.NewHolder(pipelineRun(os.Getenv)),
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
	_, errs := releaseConfig(req.Config.Raw, "").Resolve()
	resp.Diagnostics.Append(fieldDiagnostics(errs)...)
}

// region is where the provider works, "" before it is configured.
func (r *deploymentResource) region() string {
	if r.data == nil || r.data.clients == nil {
		return ""
	}
	return r.data.clients.Region
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

	// The checks that need the provider's region run here, now that it is configured.
	resolved, errs := releaseConfig(req.Config.Raw, r.region()).Resolve()
	resp.Diagnostics.Append(fieldDiagnostics(errs)...)
	if resp.Diagnostics.HasError() {
		return
	}

	adopted := state != nil && isAdopted(ctx, req.Private)
	pending := releasePending(config.CodeSha256, config.Version, state, adopted)
	planSplitNote(config, state, adopted, pending, &resp.Diagnostics)
	var seen *refreshed
	if state != nil {
		seen = refreshedFor(ctx, req.Private, state.Version.ValueString())
	}
	if state != nil && r.data != nil && !config.CodeSha256.IsNull() && !config.CodeSha256.IsUnknown() && !config.FunctionName.IsUnknown() {
		latestSha := ""
		if seen != nil {
			latestSha = seen.LatestCodeSha256 // read by this plan's refresh
		} else {
			latestSha = r.readLatestCodeSha256(ctx, config)
		}
		if latestSha != "" {
			r.warnLatest(config, *state, pending, latestSha, &resp.Diagnostics)
		}
	}
	var drift []string
	if seen != nil {
		drift = seen.Drift
	}
	cfg := planConfiguration(plan, config, state, drift, &resp.Diagnostics)
	pending = pending || cfg.pending
	if pending && state != nil {
		r.warnWiring(ctx, config, resolved, &resp.Diagnostics)
	}
	plan.Schedule = types.StringUnknown()
	switch {
	case !resolved.Complete:
	case state == nil:
		plan.Schedule = types.StringValue(shift.DescribeFirstRelease(resolved.Release))
	case !pending && sameScheduleInputs(plan, *state):
		// Nothing moves and the schedule's inputs did not change: keep the words already
		// recorded (a first release's, or none after an import) rather than show a diff.
		plan.Schedule = state.Schedule
	case cfg.pending && !releasePending(config.CodeSha256, config.Version, state, adopted):
		// A release of configuration alone: the words say so, or wait while it may not run.
		if cfg.why != "" {
			plan.Schedule = types.StringValue(cfg.why + ": " + shift.Describe(resolved.Release))
		}
	default:
		plan.Schedule = types.StringValue(shift.Describe(resolved.Release))
	}
	plan.AdditionalVersionWeights = weightsValue(nil)

	if pending {
		if config.CodeSha256.IsNull() {
			plan.CodeSha256 = types.StringUnknown()
		} else {
			plan.Version = types.StringUnknown()
		}
		plan.PreviousVersion = types.StringUnknown()
		plan.LastDeployment = types.ObjectUnknown(lastDeploymentAttrTypes)
		if state == nil {
			plan.AliasARN, plan.InvokeARN = types.StringUnknown(), types.StringUnknown()
		}
	} else if state != nil {
		plan.Version = state.Version
		plan.CodeSha256 = state.CodeSha256
		if !config.CodeSha256.IsNull() {
			plan.CodeSha256 = config.CodeSha256
		}
		if !config.Version.IsNull() {
			plan.Version = config.Version
		}
		plan.PreviousVersion = state.PreviousVersion
		plan.LastDeployment = state.LastDeployment
		plan.AdditionalVersionWeights = state.AdditionalVersionWeights
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// latestWiringHint is the line to write so that a code change is released in the apply
// that uploads it.
const latestWiringHint = "Wire code_sha256 to a value that changes at plan time: " +
	"code_sha256 = aws_lambda_function.NAME.source_code_hash, with source_code_hash = filebase64sha256(\"lambda.zip\") on the function " +
	"(or code_sha256 = filebase64sha256(\"lambda.zip\") itself); for a container image, the digest image_uri is pinned by " +
	"(code_sha256 = aws_ecr_image.NAME.image_digest). hashicorp/aws changes aws_lambda_function.NAME.code_sha256 only " +
	"after the apply that uploads the code, so a release keyed on it runs one apply late."

// readLatestCodeSha256 reads the code hash of the function's $LATEST when refresh did not
// (-refresh=false); "" when it cannot be read, and then the plan says nothing of it.
func (r *deploymentResource) readLatestCodeSha256(ctx context.Context, config deploymentModel) string {
	fn := config.FunctionName.ValueString()
	readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	latest, err := r.planEngine(ctx, fn, config.Alias.ValueString()).AWS.Functions.GetVersion(readCtx, fn, "$LATEST")
	if err != nil {
		tflog.Debug(ctx, "cannot read $LATEST's code hash; no wiring hint", map[string]any{"function": fn, "error": fmt.Sprint(err)})
		return ""
	}
	return latest.CodeSha256
}

// warnLatest compares the configured code_sha256 with the code of the function's $LATEST
// and warns when they tell of a release that comes late or not at all.
func (r *deploymentResource) warnLatest(config, state deploymentModel, pending bool, latestSha string, diags *diag.Diagnostics) {
	fn, want := config.FunctionName.ValueString(), config.CodeSha256.ValueString()
	switch {
	case !pending && !shift.SameCodeSha256(latestSha, want):
		diags.AddAttributeWarning(path.Root("code_sha256"), "$LATEST holds code that code_sha256 does not name",
			fmt.Sprintf("Function %s's $LATEST has code %s, but code_sha256 is %s, which alias %s already serves: no release is planned for the new code. %s",
				fn, latestSha, want, config.Alias.ValueString(), latestWiringHint))
	case pending && shift.SameCodeSha256(latestSha, want) && !shift.SameCodeSha256(state.CodeSha256.ValueString(), want):
		diags.AddAttributeWarning(path.Root("code_sha256"), "Releasing code uploaded before this plan",
			fmt.Sprintf("Function %s's $LATEST already had code %s before this plan: it was uploaded by an earlier apply or outside Terraform, "+
				"and is released only now. If code_sha256 = aws_lambda_function.NAME.code_sha256, that is why. %s", fn, want, latestWiringHint))
	}
}

// sameScheduleInputs reports whether the inputs of the schedule text are unchanged.
func sameScheduleInputs(plan, state deploymentModel) bool {
	return plan.TrafficShift.Equal(state.TrafficShift) && plan.Alarms.Equal(state.Alarms) &&
		plan.AlarmPollInterval.Equal(state.AlarmPollInterval) && plan.IgnoreAlarms.Equal(state.IgnoreAlarms) &&
		plan.Hooks.Equal(state.Hooks) && plan.MetricGates.Equal(state.MetricGates) && plan.Approval.Equal(state.Approval)
}

func (r *deploymentResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resolved, ok := r.resolve(req.Config.Raw, &resp.Diagnostics)
	if !ok {
		return
	}
	state, ok := r.release(ctx, plan, resolved.Release, "", resolved.CreateTimeout, &resp.Diagnostics)
	if !ok {
		// Nothing is recorded for a resource whose first release failed: the alias is back
		// as it was (or gone), and the next apply creates it again. A tainted resource
		// would make Terraform destroy the alias first.
		return
	}
	setLastReleasedID(ctx, resp.Private, state, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
}

func (r *deploymentResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config, prior deploymentModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !releasePending(config.CodeSha256, config.Version, &prior, isAdopted(ctx, req.Private)) && !configurationReleasePlanned(config, plan) {
		// Settings only (alarms, hooks, timeouts, another form of the function's name …):
		// they take effect at the next release.
		resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		setIdentity(ctx, resp.Identity, plan, &resp.Diagnostics)
		return
	}
	resolved, ok := r.resolve(req.Config.Raw, &resp.Diagnostics)
	if !ok {
		return
	}
	// The engine tells this configuration's own last release (a lease it left when its
	// rollback could not finish, the mark it left when it succeeded) from another's.
	resolved.Release.LastDeploymentID = lastDeploymentID(prior)
	resolved.Release.LastReleasedID = lastReleasedID(ctx, req.Private)
	// A release of this configuration takes the alias over: a split it leaves is its own.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateAdoptedSplit, nil)...)
	state, ok := r.release(ctx, plan, resolved.Release, prior.PreviousVersion.ValueString(), resolved.UpdateTimeout, &resp.Diagnostics)
	// What refresh saw is stale now that the alias may serve another version.
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateRefreshed, nil)...)
	if !ok {
		// What was last released, so that the next plan shows the configuration pending.
		state.ConfigurationSha256 = prior.ConfigurationSha256
	} else {
		setLastReleasedID(ctx, resp.Private, state, &resp.Diagnostics)
	}
	// Written on failure too: it records what is live, so the release shows as pending.
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	setIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
}

// resolve turns the configuration into the Release to run; at apply every value is known.
func (r *deploymentResource) resolve(config tftypes.Value, diags *diag.Diagnostics) (shift.Resolved, bool) {
	resolved, errs := releaseConfig(config, r.region()).Resolve()
	diags.Append(fieldDiagnostics(errs)...)
	return resolved, !diags.HasError()
}

// release runs one release and returns the state to record. ok is false when the
// release failed (the error is already in diags).
func (r *deploymentResource) release(ctx context.Context, plan deploymentModel, rel shift.Release, priorPrevious string, timeout time.Duration, diags *diag.Diagnostics) (deploymentModel, bool) {
	rel.RollbackTimeout = rollbackTimeout(timeout)
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	// A release of one alias is a group of one: the engine has one path for one or many.
	res, err := r.engine(ctx, rel.Function, rel.Alias).Run(runCtx, rel.Group())
	state := stateAfterRelease(plan, rel, res, err != nil, priorPrevious)
	if err != nil {
		addReleaseError(diags, rel, res, err)
		return state, false
	}
	addReleaseNotes(diags, rel, res)
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
	known := shift.Known{Version: state.Version.ValueString(), CodeSha256: state.CodeSha256.ValueString(), Latest: true}
	if seen := refreshedFor(ctx, req.Private, known.Version); seen != nil {
		known.Configuration = seen.Configuration
	}
	live, err := r.planEngine(ctx, fn, alias).Inspect(ctx, fn, alias, known)
	if errors.Is(err, shift.ErrNotFound) {
		tflog.Warn(ctx, "alias or function is gone; removing it from state", map[string]any{"function": fn, "alias": alias})
		// The framework wants an identity after every Read that reports no error, even one
		// that removes the resource: keep the one the state had, or derive it from state.
		if resp.Identity != nil && resp.Identity.Raw.IsNull() {
			setIdentity(ctx, resp.Identity, state, &resp.Diagnostics)
		}
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
	if live.PromotedFrom != "" {
		// Promoted by a release that did not finish (killed before its last write: its
		// post_traffic hook and last checks never ran): pending from the version it served
		// before, so the next apply resumes or restores it.
		tflog.Warn(ctx, "alias carries the lease of a release that promoted it but has not finished; the next apply resumes or restores it",
			map[string]any{"function": fn, "alias": alias, "version": live.Version, "from": live.PromotedFrom})
		state.Version, state.CodeSha256 = types.StringValue(live.PromotedFrom), types.StringValue("")
	}
	imported, _ := req.Private.GetKey(ctx, privateImported)
	if imported != nil {
		// Right after an import only code_sha256 is recorded: a configuration that
		// `terraform plan -generate-config-out` writes from this state must set one of
		// code_sha256 and version, and code_sha256 mode is the one that reads back equal.
		// version is filled in by the next refresh.
		state.Version = types.StringNull()
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, nil)...)
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateRefreshed, refreshedBytes(live))...)
	state.AliasARN = types.StringValue(live.AliasARN)
	state.InvokeARN = types.StringValue(invokeARN(live.AliasARN))
	state.AdditionalVersionWeights = weightsValue(live.Weights)
	checkImportedAccount(ctx, req.Identity, live.AliasARN, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	adopted := trackSplit(ctx, req.Private, resp.Private, imported != nil, live, &resp.Diagnostics)
	switch {
	case adopted:
		tflog.Info(ctx, "alias is split by a release this configuration did not start (found at import); it is left until the configuration asks for a release",
			map[string]any{"function": fn, "alias": alias, "version": live.Version, "weights": live.Weights})
	case len(live.Weights) > 0:
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
	fn, alias := state.FunctionName.ValueString(), state.Alias.ValueString()
	if state.SkipDestroy.ValueBool() {
		resp.Diagnostics.AddWarning("Alias kept",
			fmt.Sprintf("skip_destroy is true: alias %q of function %q was removed from the Terraform state only and keeps serving version %s. "+
				"Delete it with the AWS CLI (aws lambda delete-alias) if it is no longer wanted.", alias, fn, state.Version.ValueString()))
		return
	}
	timeout, diags := state.Timeouts.Delete(ctx, shift.DefaultDeleteTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := r.engine(ctx, fn, alias).Remove(ctx, fn, alias, lastDeploymentID(state))
	if errors.Is(err, shift.ErrLeaseHeld) {
		resp.Diagnostics.AddError("Alias held by a release in flight", err.Error())
		return
	}
	if err != nil {
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
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("skip_destroy"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("release_configuration"), true)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImported, []byte("true"))...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("previous_version"), "")...)
}
