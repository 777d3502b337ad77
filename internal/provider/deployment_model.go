package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// deploymentModel is safelambda_deployment's state and plan. Nested inputs stay framework
// objects: any of them may be unknown at plan time, and the engine reads them through
// releaseConfig.
type deploymentModel struct {
	ID                       types.String   `tfsdk:"id"`
	FunctionName             types.String   `tfsdk:"function_name"`
	Alias                    types.String   `tfsdk:"alias"`
	CodeSha256               types.String   `tfsdk:"code_sha256"`
	Version                  types.String   `tfsdk:"version"`
	Description              types.String   `tfsdk:"description"`
	TrafficShift             types.Object   `tfsdk:"traffic_shift"`
	Alarms                   types.List     `tfsdk:"alarms"`
	AlarmPollInterval        types.String   `tfsdk:"alarm_poll_interval"`
	IgnoreAlarms             types.Bool     `tfsdk:"ignore_alarms"`
	IgnorePollAlarmFailure   types.Bool     `tfsdk:"ignore_poll_alarm_failure"`
	Hooks                    types.Object   `tfsdk:"hooks"`
	MetricGates              types.Object   `tfsdk:"metric_gates"`
	Approval                 types.Object   `tfsdk:"approval"`
	Events                   types.Object   `tfsdk:"events"`
	KeepVersions             types.Int64    `tfsdk:"keep_versions"`
	TrafficArrivesVia        types.String   `tfsdk:"traffic_arrives_via"`
	SkipDestroy              types.Bool     `tfsdk:"skip_destroy"`
	Timeouts                 timeouts.Value `tfsdk:"timeouts"`
	PreviousVersion          types.String   `tfsdk:"previous_version"`
	AliasARN                 types.String   `tfsdk:"alias_arn"`
	InvokeARN                types.String   `tfsdk:"invoke_arn"`
	Schedule                 types.String   `tfsdk:"schedule"`
	AdditionalVersionWeights types.Map      `tfsdk:"additional_version_weights"`
	LastDeployment           types.Object   `tfsdk:"last_deployment"`

	ReleaseConfiguration types.Bool   `tfsdk:"release_configuration"`
	ConfigurationSha256  types.String `tfsdk:"configuration_sha256"`
}

// fieldDiagnostics puts the engine's validation errors on their attributes.
func fieldDiagnostics(errs []shift.FieldError) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, e := range errs {
		p := attrPath(e.Path)
		// Terraform points at the resource, not the attribute, when the path runs into an
		// object value: name the attribute in the text too.
		detail := e.Detail
		if !strings.HasPrefix(detail, p.String()) {
			detail = p.String() + ": " + detail
		}
		diags.AddAttributeError(p, e.Summary, detail)
	}
	return diags
}

// mapKey is a step of an attribute path into a map (members["api"]).
type mapKey string

func (k mapKey) String() string { return fmt.Sprintf("[%q]", string(k)) }

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
		case mapKey:
			p = p.AtMapKey(string(v))
		}
	}
	return p
}

// releasePending reports whether applying the configured code_sha256 and version over
// state moves traffic: a new resource, a new hash or version, or an alias left split by an
// interrupted release. A split found at import (adopted, see deployment_split.go) is left
// until the configuration asks for a release. ModifyPlan plans with it and Update acts on
// it, so the two always agree.
func releasePending(codeSha256, version types.String, state *deploymentModel, adopted bool) bool {
	if state == nil {
		return true
	}
	if !adopted && !state.AdditionalVersionWeights.IsNull() && len(state.AdditionalVersionWeights.Elements()) > 0 {
		return true
	}
	if codeSha256.IsUnknown() || version.IsUnknown() {
		return true
	}
	if !codeSha256.IsNull() {
		// A digest written "sha256:…" names the code Lambda reports as bare hex.
		return state.CodeSha256.IsNull() || !shift.SameCodeSha256(codeSha256.ValueString(), state.CodeSha256.ValueString())
	}
	return !version.Equal(state.Version)
}

// stateAfterRelease is the state to record after a release: what is live, whatever the
// outcome. planned is the plan the release ran for, priorPrevious the previous_version
// already in state (kept when nothing moved or the release failed). On failure the
// release inputs are set to what is live, so the next plan shows the release as pending.
func stateAfterRelease(planned deploymentModel, rel shift.Release, res shift.Result, failed bool, priorPrevious string) deploymentModel {
	state := planned
	state.ID = types.StringValue(rel.Function + ":" + rel.Alias)
	state.LastDeployment = lastDeploymentValue(res)
	state.AdditionalVersionWeights = weightsValue(res.LiveWeights)
	if planned.Schedule.IsUnknown() {
		state.Schedule = types.StringValue(shift.Describe(rel))
	}
	state.AliasARN, state.InvokeARN = types.StringValue(""), types.StringValue("")
	if res.AliasExists {
		state.AliasARN = types.StringValue(res.AliasARN)
		state.InvokeARN = types.StringValue(invokeARN(res.AliasARN))
	}
	state.Version = types.StringValue(res.LiveVersion)
	state.CodeSha256 = types.StringValue(res.LiveCodeSha256)
	state.PreviousVersion = types.StringValue(priorPrevious)
	if failed {
		return state
	}
	if !planned.CodeSha256.IsUnknown() && !planned.CodeSha256.IsNull() {
		// What the configuration says, byte for byte, so the next plan compares equal.
		state.CodeSha256 = planned.CodeSha256
	}
	if res.Status != shift.StatusNoChange {
		state.PreviousVersion = types.StringValue(res.PreviousVersion)
	}
	return state
}

var lastDeploymentAttrTypes = map[string]attr.Type{
	"id":               types.StringType,
	"status":           types.StringType,
	"target_version":   types.StringType,
	"started_at":       types.StringType,
	"finished_at":      types.StringType,
	"message":          types.StringType,
	"deleted_versions": types.ListType{ElemType: types.StringType},
	"kept_versions":    types.ListType{ElemType: types.StringType},
}

// lastDeploymentID is the id of the release state last recorded ("" when none).
func lastDeploymentID(m deploymentModel) string {
	if m.LastDeployment.IsNull() || m.LastDeployment.IsUnknown() {
		return ""
	}
	id, ok := m.LastDeployment.Attributes()["id"].(types.String)
	if !ok {
		return ""
	}
	return id.ValueString()
}

// lastDeploymentValue records a release result.
func lastDeploymentValue(res shift.Result) types.Object {
	deleted := make([]attr.Value, 0, len(res.DeletedVersions))
	for _, v := range res.DeletedVersions {
		deleted = append(deleted, types.StringValue(v))
	}
	kept := make([]attr.Value, 0, len(res.KeptVersions))
	for _, k := range res.KeptVersions {
		kept = append(kept, types.StringValue(k.Version+": "+k.Reason))
	}
	return types.ObjectValueMust(lastDeploymentAttrTypes, map[string]attr.Value{
		"id":               types.StringValue(res.DeploymentID),
		"status":           types.StringValue(string(res.Status)),
		"target_version":   types.StringValue(res.TargetVersion),
		"started_at":       types.StringValue(formatTime(res.StartedAt)),
		"finished_at":      types.StringValue(formatTime(res.FinishedAt)),
		"message":          types.StringValue(res.Message),
		"deleted_versions": types.ListValueMust(types.StringType, deleted),
		"kept_versions":    types.ListValueMust(types.StringType, kept),
	})
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func weightsValue(w map[string]float64) types.Map {
	elems := make(map[string]attr.Value, len(w))
	for k, v := range w {
		elems[k] = types.Float64Value(v)
	}
	return types.MapValueMust(types.Float64Type, elems)
}

// invokeARN is the API Gateway integration URI of an alias ARN
// (arn:<partition>:lambda:<region>:<account>:function:<name>:<alias>).
func invokeARN(aliasARN string) string {
	a, err := arn.Parse(aliasARN)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", a.Partition, a.Region, aliasARN)
}

// privateLastReleased keeps the id of this configuration's last release that succeeded:
// after a release that failed without moving traffic, the alias still carries that
// release's mark, which is this configuration's own, not another's (see checkFlipFlop).
const privateLastReleased = "last_released"

// lastReleasedID reads the id of this configuration's last successful release ("" when
// none is recorded).
func lastReleasedID(ctx context.Context, priv privateState) string {
	if priv == nil {
		return ""
	}
	b, _ := priv.GetKey(ctx, privateLastReleased)
	var id string
	if len(b) == 0 || json.Unmarshal(b, &id) != nil {
		return ""
	}
	return id
}

// setLastReleasedID records the release in state as this configuration's last successful
// one, when it succeeded.
func setLastReleasedID(ctx context.Context, out privateWriter, state deploymentModel, diags *diag.Diagnostics) {
	id := lastDeploymentID(state)
	if id == "" || out == nil {
		return
	}
	status, _ := state.LastDeployment.Attributes()["status"].(types.String)
	if status.ValueString() != string(shift.StatusSucceeded) {
		return
	}
	b, _ := json.Marshal(id)
	diags.Append(out.SetKey(ctx, privateLastReleased, b)...)
}
