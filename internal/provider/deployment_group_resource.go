package provider

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// This file owns safelambda_deployment_group: several aliases released by the engine as
// one Release with Members. Its members are matched by function and alias, never by
// their label, so renaming a label moves nothing.

var (
	_ resource.Resource                   = (*deploymentGroupResource)(nil)
	_ resource.ResourceWithConfigure      = (*deploymentGroupResource)(nil)
	_ resource.ResourceWithImportState    = (*deploymentGroupResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*deploymentGroupResource)(nil)
	_ resource.ResourceWithValidateConfig = (*deploymentGroupResource)(nil)
)

// NewDeploymentGroupResource is the safelambda_deployment_group resource.
func NewDeploymentGroupResource() resource.Resource { return &deploymentGroupResource{} }

type deploymentGroupResource struct {
	single deploymentResource // its engine wiring and region
}

type groupModel struct {
	ID                     types.String   `tfsdk:"id"`
	Members                types.Map      `tfsdk:"members"`
	WritesPerSecond        types.Float64  `tfsdk:"writes_per_second"`
	TrafficShift           types.Object   `tfsdk:"traffic_shift"`
	Alarms                 types.List     `tfsdk:"alarms"`
	AlarmPollInterval      types.String   `tfsdk:"alarm_poll_interval"`
	IgnoreAlarms           types.Bool     `tfsdk:"ignore_alarms"`
	IgnorePollAlarmFailure types.Bool     `tfsdk:"ignore_poll_alarm_failure"`
	Hooks                  types.Object   `tfsdk:"hooks"`
	MetricGates            types.Object   `tfsdk:"metric_gates"`
	Approval               types.Object   `tfsdk:"approval"`
	Events                 types.Object   `tfsdk:"events"`
	KeepVersions           types.Int64    `tfsdk:"keep_versions"`
	TrafficArrivesVia      types.String   `tfsdk:"traffic_arrives_via"`
	SkipDestroy            types.Bool     `tfsdk:"skip_destroy"`
	Timeouts               timeouts.Value `tfsdk:"timeouts"`
	Schedule               types.String   `tfsdk:"schedule"`
	LastDeployment         types.Object   `tfsdk:"last_deployment"`
}

type groupMember struct {
	FunctionName    types.String `tfsdk:"function_name"`
	Alias           types.String `tfsdk:"alias"`
	CodeSha256      types.String `tfsdk:"code_sha256"`
	Version         types.String `tfsdk:"version"`
	Description     types.String `tfsdk:"description"`
	Alarms          types.List   `tfsdk:"alarms"`
	MetricGates     types.Object `tfsdk:"metric_gates"`
	PreviousVersion types.String `tfsdk:"previous_version"`
	AliasARN        types.String `tfsdk:"alias_arn"`
}

var groupMemberType = types.ObjectType{AttrTypes: map[string]attr.Type{
	"function_name": types.StringType, "alias": types.StringType, "code_sha256": types.StringType,
	"version": types.StringType, "description": types.StringType, "alarms": types.ListType{ElemType: types.StringType},
	"previous_version": types.StringType, "alias_arn": types.StringType,
	"metric_gates": memberMetricGates().GetType(),
}}

// memberGatesType is the object type of a member's metric_gates.
var memberGatesType, _ = memberMetricGates().GetType().(types.ObjectType)

// target is how a member is matched across plans: its function and alias.
func (m groupMember) target() string {
	return m.FunctionName.ValueString() + ":" + m.Alias.ValueString()
}

func (m groupMember) known() bool {
	return !m.FunctionName.IsUnknown() && !m.Alias.IsUnknown()
}

func (r *deploymentGroupResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_deployment_group"
}

func (r *deploymentGroupResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		r.single.data = data
	}
}

func (r *deploymentGroupResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	_, errs := groupConfig(req.Config.Raw, "").resolve()
	resp.Diagnostics.Append(fieldDiagnostics(errs)...)
}

// members reads a map of members, sorted by label; nil when the map is unknown.
func members(ctx context.Context, m types.Map, diags *diag.Diagnostics) (keys []string, out map[string]groupMember) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out = map[string]groupMember{}
	diags.Append(m.ElementsAs(ctx, &out, false)...)
	for k := range out {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, out
}

func membersValue(ctx context.Context, ms map[string]groupMember, diags *diag.Diagnostics) types.Map {
	v, d := types.MapValueFrom(ctx, groupMemberType, ms)
	diags.Append(d...)
	return v
}

// memberPending says whether applying member m over prior (nil: a new member) moves
// traffic, by the rule of safelambda_deployment.
func memberPending(m groupMember, prior *groupMember) bool {
	if prior == nil || m.CodeSha256.IsUnknown() || m.Version.IsUnknown() || !m.known() {
		return true
	}
	if !m.CodeSha256.IsNull() {
		return prior.CodeSha256.IsNull() || !shift.SameCodeSha256(m.CodeSha256.ValueString(), prior.CodeSha256.ValueString())
	}
	if !m.Version.IsNull() {
		return !m.Version.Equal(prior.Version)
	}
	return false
}

func byTarget(keys []string, ms map[string]groupMember) map[string]groupMember {
	out := map[string]groupMember{}
	for _, k := range keys {
		out[ms[k].target()] = ms[k]
	}
	return out
}

func groupID(keys []string, ms map[string]groupMember) types.String {
	var ids []string
	for _, k := range keys {
		if !ms[k].known() {
			return types.StringUnknown()
		}
		ids = append(ids, ms[k].target())
	}
	sort.Strings(ids)
	return types.StringValue(strings.Join(ids, ","))
}

func (r *deploymentGroupResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, config groupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	var state *groupModel
	if !req.State.Raw.IsNull() {
		state = &groupModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	resolved, errs := groupConfig(req.Config.Raw, r.single.region()).resolve()
	resp.Diagnostics.Append(fieldDiagnostics(errs)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keys, planned := members(ctx, plan.Members, &resp.Diagnostics)
	_, configured := members(ctx, config.Members, &resp.Diagnostics)
	var prior map[string]groupMember
	if state != nil {
		pk, pm := members(ctx, state.Members, &resp.Diagnostics)
		prior = byTarget(pk, pm)
	}
	pending := planned == nil
	kept := map[string]bool{}
	for _, k := range keys {
		m := planned[k]
		var p *groupMember
		if old, ok := prior[m.target()]; ok && m.known() {
			p = &old
			kept[m.target()] = true
		}
		if !memberPending(configured[k], p) {
			if m.CodeSha256.IsNull() || m.CodeSha256.IsUnknown() {
				m.CodeSha256 = p.CodeSha256
			}
			if m.Version.IsNull() || m.Version.IsUnknown() {
				m.Version = p.Version
			}
			m.PreviousVersion, m.AliasARN = p.PreviousVersion, p.AliasARN
		} else {
			pending = true
			if m.Version.IsNull() || m.Version.IsUnknown() {
				m.Version = types.StringUnknown()
			}
			if m.CodeSha256.IsNull() {
				m.CodeSha256 = types.StringUnknown()
			}
			m.PreviousVersion, m.AliasARN = types.StringUnknown(), types.StringUnknown()
			if p != nil && p.AliasARN.ValueString() != "" {
				m.AliasARN = p.AliasARN
			}
		}
		planned[k] = m
	}
	if planned != nil {
		plan.Members = membersValue(ctx, planned, &resp.Diagnostics)
		plan.ID = groupID(keys, planned)
	} else {
		plan.ID = types.StringUnknown()
	}
	switch {
	case state != nil && !pending:
		// Nothing moves (a member removed only has its alias deleted): the words and the
		// last release recorded stay.
		plan.Schedule, plan.LastDeployment = state.Schedule, state.LastDeployment
	case resolved.Complete:
		plan.Schedule = types.StringValue(describeGroup(resolved.Release))
		plan.LastDeployment = types.ObjectUnknown(lastDeploymentAttrTypes)
	default:
		plan.Schedule = types.StringUnknown()
		plan.LastDeployment = types.ObjectUnknown(lastDeploymentAttrTypes)
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// describeGroup is the plan's words for a group: the schedule every member follows.
func describeGroup(rel shift.Release) string {
	var names []string
	for _, m := range rel.Members {
		names = append(names, m.Key)
	}
	return fmt.Sprintf("%s; every member (%s) at each step before its hold", shift.Describe(rel), strings.Join(names, ", "))
}

func (r *deploymentGroupResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan groupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resolved, errs := groupConfig(req.Config.Raw, r.single.region()).resolve()
	resp.Diagnostics.Append(fieldDiagnostics(errs)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state, ok := r.release(ctx, plan, nil, resolved.Release, resolved.CreateTimeout, &resp.Diagnostics)
	if !ok {
		return // as safelambda_deployment: a first release that failed records nothing
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *deploymentGroupResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config, prior groupModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keys, planned := members(ctx, config.Members, &resp.Diagnostics)
	pk, pm := members(ctx, prior.Members, &resp.Diagnostics)
	priorBy := byTarget(pk, pm)
	pending := false
	kept := map[string]bool{}
	for _, k := range keys {
		m := planned[k]
		p, ok := priorBy[m.target()]
		if ok {
			kept[m.target()] = true
		}
		var pp *groupMember
		if ok {
			pp = &p
		}
		if memberPending(m, pp) {
			pending = true
		}
	}
	state := plan
	if pending {
		resolved, errs := groupConfig(req.Config.Raw, r.single.region()).resolve()
		resp.Diagnostics.Append(fieldDiagnostics(errs)...)
		if resp.Diagnostics.HasError() {
			return
		}
		resolved.Release.LastDeploymentID = groupLastDeploymentID(prior)
		var ok bool
		state, ok = r.release(ctx, plan, priorBy, resolved.Release, resolved.UpdateTimeout, &resp.Diagnostics)
		if !ok {
			// What is live is recorded; the members removed from the configuration stay
			// in state until a release succeeds, so none is deleted under a failure.
			for _, k := range pk {
				if !kept[pm[k].target()] {
					r.keepRemoved(ctx, &state, k, pm[k], &resp.Diagnostics)
				}
			}
			resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			return
		}
	}
	for _, k := range pk {
		if m := pm[k]; !kept[m.target()] {
			if !r.removeMember(ctx, prior, m, &resp.Diagnostics) {
				r.keepRemoved(ctx, &state, k, m, &resp.Diagnostics)
			}
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// keepRemoved puts a member the configuration removed back in state, under a label no
// configuration uses, so the next apply deletes it again.
func (r *deploymentGroupResource) keepRemoved(ctx context.Context, state *groupModel, key string, m groupMember, diags *diag.Diagnostics) {
	keys, ms := members(ctx, state.Members, diags)
	_ = keys
	if ms == nil {
		return
	}
	ms["removed:"+key] = m
	state.Members = membersValue(ctx, ms, diags)
}

// removeMember deletes the alias of a member the configuration no longer has, or keeps
// it with skip_destroy. It says whether the member is gone from the group.
func (r *deploymentGroupResource) removeMember(ctx context.Context, prior groupModel, m groupMember, diags *diag.Diagnostics) bool {
	fn, alias := m.FunctionName.ValueString(), m.Alias.ValueString()
	if prior.SkipDestroy.ValueBool() {
		diags.AddWarning("Alias kept",
			fmt.Sprintf("skip_destroy is true: alias %q of function %q left the group and keeps serving version %s.", alias, fn, m.Version.ValueString()))
		return true
	}
	timeout, d := prior.Timeouts.Delete(ctx, shift.DefaultDeleteTimeout)
	diags.Append(d...)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := r.single.engine(ctx, fn, alias).Remove(ctx, fn, alias, groupLastDeploymentID(prior)); err != nil {
		diags.AddError("Cannot delete the alias of a removed member",
			fmt.Sprintf("Deleting alias %q of function %q failed: %v. Run terraform apply again once the cause is fixed.", alias, fn, err))
		return false
	}
	return true
}

func groupLastDeploymentID(m groupModel) string {
	return lastDeploymentID(deploymentModel{LastDeployment: m.LastDeployment})
}

// release runs the group's release and returns the state to record.
func (r *deploymentGroupResource) release(ctx context.Context, plan groupModel, prior map[string]groupMember, rel shift.Release, timeout time.Duration, diags *diag.Diagnostics) (groupModel, bool) {
	rel.RollbackTimeout = rollbackTimeout(timeout)
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	first := rel.Members[0]
	res, err := r.single.engine(ctx, first.Function, first.Alias).Run(runCtx, rel)

	state := plan
	keys, planned := members(ctx, plan.Members, diags)
	for i, k := range keys {
		m := planned[k]
		if i >= len(res.Members) {
			break
		}
		mr := res.Members[i]
		before := ""
		if p, ok := prior[m.target()]; ok {
			before = p.PreviousVersion.ValueString()
		}
		m.Version = types.StringValue(mr.LiveVersion)
		if err != nil || m.CodeSha256.IsNull() || m.CodeSha256.IsUnknown() {
			m.CodeSha256 = types.StringValue(mr.LiveCodeSha256)
		}
		m.PreviousVersion = types.StringValue(before)
		if err == nil && mr.Status != shift.StatusNoChange {
			m.PreviousVersion = types.StringValue(mr.PreviousVersion)
		}
		m.AliasARN = types.StringValue("")
		if mr.AliasExists {
			m.AliasARN = types.StringValue(mr.AliasARN)
		}
		planned[k] = m
	}
	state.Members = membersValue(ctx, planned, diags)
	state.ID = groupID(keys, planned)
	state.LastDeployment = lastDeploymentValue(res)
	if plan.Schedule.IsUnknown() {
		state.Schedule = types.StringValue(describeGroup(rel))
	}
	if err != nil {
		summary := fmt.Sprintf("Release of the group (%d members) failed", len(rel.Members))
		if res.Status == shift.StatusRolledBack {
			summary = fmt.Sprintf("Release of the group (%d members) rolled back", len(rel.Members))
		}
		diags.AddError(summary, err.Error())
		return state, false
	}
	addReleaseNotes(diags, rel, res)
	return state, true
}

func (r *deploymentGroupResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state groupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keys, ms := members(ctx, state.Members, &resp.Diagnostics)
	for _, k := range keys {
		m := ms[k]
		fn, alias := m.FunctionName.ValueString(), m.Alias.ValueString()
		known := shift.Known{Version: m.Version.ValueString(), CodeSha256: m.CodeSha256.ValueString()}
		live, err := r.single.planEngine(ctx, fn, alias).Inspect(ctx, fn, alias, known)
		if errors.Is(err, shift.ErrNotFound) {
			tflog.Warn(ctx, "a member's alias or function is gone; removing it from state", map[string]any{"function": fn, "alias": alias})
			delete(ms, k)
			continue
		}
		if err != nil {
			resp.Diagnostics.AddError("Cannot read the alias", fmt.Sprintf("Reading alias %q of function %q failed: %v", alias, fn, err))
			return
		}
		m.Version = types.StringValue(live.Version)
		if !shift.SameCodeSha256(m.CodeSha256.ValueString(), live.CodeSha256) {
			m.CodeSha256 = types.StringValue(live.CodeSha256)
		}
		m.AliasARN = types.StringValue(live.AliasARN)
		if len(live.Weights) > 0 {
			tflog.Warn(ctx, "a member's alias is split between versions; the next apply resumes or restores the group",
				map[string]any{"function": fn, "alias": alias, "version": live.Version, "weights": live.Weights})
			m.CodeSha256 = types.StringValue("") // pending: the next apply finishes the group
		}
		if live.PromotedFrom != "" {
			// Promoted by a release that has not finished (killed before its last write):
			// part of that release, resumed or restored with the other members.
			tflog.Warn(ctx, "a member's alias carries the lease of a release that promoted it but has not finished; the next apply resumes or restores the group",
				map[string]any{"function": fn, "alias": alias, "version": live.Version, "from": live.PromotedFrom})
			m.Version, m.CodeSha256 = types.StringValue(live.PromotedFrom), types.StringValue("")
		}
		ms[k] = m
	}
	if len(ms) == 0 {
		resp.State.RemoveResource(ctx)
		return
	}
	keys = keys[:0]
	for k := range ms {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	state.Members = membersValue(ctx, ms, &resp.Diagnostics)
	state.ID = groupID(keys, ms)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *deploymentGroupResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state groupModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	keys, ms := members(ctx, state.Members, &resp.Diagnostics)
	for _, k := range keys {
		r.removeMember(ctx, state, ms[k], &resp.Diagnostics)
	}
}

// ImportState takes the members as "<function>:<alias>,<function>:<alias>,…"; each is
// labelled by its function's name (by "<function>:<alias>" when two share a function).
// Refresh then records what each alias serves; nothing is written.
func (r *deploymentGroupResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	ms := map[string]groupMember{}
	parts := strings.Split(req.ID, ",")
	names := map[string]int{}
	type target struct{ fn, alias string }
	var targets []target
	for _, p := range parts {
		p = strings.TrimSpace(p)
		i := strings.LastIndex(p, ":")
		if i <= 0 || i == len(p)-1 {
			resp.Diagnostics.AddError("Invalid import id",
				fmt.Sprintf("Expected <function>:<alias>[,<function>:<alias>…], e.g. orders-api:live,orders-worker:live; got %q.", req.ID))
			return
		}
		t := target{fn: p[:i], alias: p[i+1:]}
		targets = append(targets, t)
		names[t.fn]++
	}
	for _, t := range targets {
		key := t.fn
		if ref, ok := shift.ParseFunction(t.fn); ok && ref.Name != "" {
			key = ref.Name
		}
		if names[t.fn] > 1 {
			key = key + ":" + t.alias
		}
		ms[key] = groupMember{
			FunctionName: types.StringValue(t.fn), Alias: types.StringValue(t.alias),
			CodeSha256: types.StringNull(), Version: types.StringNull(), Description: types.StringNull(),
			Alarms: types.ListNull(types.StringType), PreviousVersion: types.StringValue(""), AliasARN: types.StringNull(),
			MetricGates: types.ObjectNull(memberGatesType.AttrTypes),
		}
	}
	v := membersValue(ctx, ms, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("members"), v)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("alarm_poll_interval"), shift.DefaultAlarmPollInterval.String())...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ignore_alarms"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("ignore_poll_alarm_failure"), false)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("skip_destroy"), false)...)
}

// groupConfigs is a group's configuration as the engine reads it: the shared settings
// and each member's, labelled.
type groupConfigs struct {
	shared  shift.Config
	keys    []string
	members []shift.Config
	alarms  [][]string
	// unknownMembers: the members map itself is not known yet.
	unknownMembers bool
	// ownGates are the labels of the members with metric_gates of their own.
	ownGates        []string
	writesPerSecond float64
}

// groupConfig reads the group's raw configuration: the shared settings as
// safelambda_deployment's reader does, and each member's own.
func groupConfig(raw tftypes.Value, region string) groupConfigs {
	out := groupConfigs{shared: releaseConfig(raw, region)}
	rd := configReader{unknown: out.shared.Unknown}
	root, ok := rd.object(nil, raw)
	if !ok {
		out.unknownMembers = true
		return out
	}
	if f := rd.float([]any{"writes_per_second"}, root["writes_per_second"]); f != nil {
		out.writesPerSecond = *f
	}
	var mm map[string]tftypes.Value
	v := root["members"]
	if v.Type() == nil || !v.IsKnown() || v.IsNull() || v.As(&mm) != nil {
		out.unknownMembers = true
		return out
	}
	for k := range mm {
		out.keys = append(out.keys, k)
	}
	sort.Strings(out.keys)
	for _, k := range out.keys {
		c := out.shared
		c.Unknown = map[string]bool{}
		for p := range out.shared.Unknown {
			c.Unknown[p] = true
		}
		var alarms []string
		if mv := mm[k]; mv.Type() != nil && mv.IsKnown() && !mv.IsNull() {
			// A member reads as a deployment of its own: the same reader, paths relative
			// to the member.
			mc := releaseConfig(mv, region)
			for p := range mc.Unknown {
				c.Unknown[p] = true
			}
			c.Function, c.Alias = mc.Function, mc.Alias
			c.CodeSha256, c.Version, c.Description = mc.CodeSha256, mc.Version, mc.Description
			if mc.MetricGates != nil {
				c.MetricGates = mc.MetricGates
				out.ownGates = append(out.ownGates, k)
			}
			for _, a := range mc.Alarms {
				alarms = append(alarms, shift.AlarmName(a))
			}
		} else {
			c.Unknown["function_name"], c.Unknown["alias"], c.Unknown["code_sha256"] = true, true, true
		}
		out.members = append(out.members, c)
		out.alarms = append(out.alarms, alarms)
	}
	return out
}

// memberFields are the attributes a member sets itself; every other error is the group's.
var memberFields = map[string]bool{"function_name": true, "alias": true, "code_sha256": true, "version": true, "description": true}

func (g groupConfigs) hasOwnGates(key string) bool {
	for _, k := range g.ownGates {
		if k == key {
			return true
		}
	}
	return false
}

// resolve checks every member by the engine's rules (shift.Config.Resolve) and builds the
// group's Release; errors of a member's own attributes are put on members["label"].
func (g groupConfigs) resolve() (shift.Resolved, []shift.FieldError) {
	if g.unknownMembers {
		return shift.Resolved{}, nil
	}
	if len(g.keys) == 0 {
		return shift.Resolved{}, []shift.FieldError{{Path: []any{"members"}, Summary: "A group needs members",
			Detail: "members is empty: give at least one function and alias to release"}}
	}
	var out shift.Resolved
	var errs []shift.FieldError
	seen := map[string]bool{}
	targets := map[string]string{}
	complete := true
	sharedGatesFrom := ""
	for i, k := range g.keys {
		res, ferrs := g.members[i].Resolve()
		for _, e := range ferrs {
			if len(e.Path) > 0 {
				if name, ok := e.Path[0].(string); ok && (memberFields[name] || name == "metric_gates" && g.hasOwnGates(k)) {
					e.Path = append([]any{"members", mapKey(k)}, e.Path...)
					errs = append(errs, e)
					continue
				}
			}
			id := shift.FormatPath(e.Path) + "\x00" + e.Summary
			if !seen[id] {
				seen[id] = true
				errs = append(errs, e)
			}
		}
		complete = complete && res.Complete
		own := g.hasOwnGates(k)
		if i == 0 || sharedGatesFrom == "" && !own {
			// The group's settings, from a member judged by the group's metric gates.
			members := out.Release.Members
			out = res
			out.Release.Members = members
			if !own {
				sharedGatesFrom = k
			}
		}
		m := res.Release
		var gates *shift.MetricGates
		if own {
			gates = m.MetricGates
		}
		t := m.Function + ":" + m.Alias
		if other, dup := targets[t]; dup && m.Function != "" && m.Alias != "" {
			errs = append(errs, shift.FieldError{Path: []any{"members", mapKey(k)}, Summary: "Two members on one alias",
				Detail: fmt.Sprintf("members %q and %q both release alias %s of %s: give each member its own alias", other, k, m.Alias, m.Function)})
		}
		targets[t] = k
		out.Release.Members = append(out.Release.Members, shift.Member{Key: k, Function: m.Function, Alias: m.Alias,
			CodeSha256: m.CodeSha256, Version: m.Version, Description: m.Description, Alarms: g.alarms[i], MetricGates: gates})
	}
	if sharedGatesFrom == "" {
		out.Release.MetricGates = nil // every member has its own
	}
	out.Release.WritesPerSecond = g.writesPerSecond
	out.Complete = complete
	return out, errs
}
