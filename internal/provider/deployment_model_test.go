package provider

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// plannedModel is a plan as Terraform sends it for a release: the inputs set, the
// computed outputs unknown, read through the framework like Create and Update read it.
func plannedModel(t *testing.T, attrs map[string]any) (deploymentModel, tfsdk.State) {
	t.Helper()
	ctx := context.Background()
	var sr resource.SchemaResponse
	(&deploymentResource{}).Schema(ctx, resource.SchemaRequest{}, &sr)
	typ := sr.Schema.Type().TerraformType(ctx)
	vals := map[string]any{
		"function_name": "orders-api", "alias": "live", "alarm_poll_interval": "10s",
		"ignore_alarms": false, "ignore_poll_alarm_failure": false, "skip_destroy": false,
		"id": unknown, "version": unknown, "previous_version": unknown, "alias_arn": unknown, "invoke_arn": unknown,
		"schedule": unknown, "additional_version_weights": map[string]any{}, "last_deployment": unknown,
	}
	for k, v := range attrs {
		vals[k] = v
	}
	plan := tfsdk.Plan{Schema: sr.Schema, Raw: objectValue(t, typ, vals)}
	var m deploymentModel
	if diags := plan.Get(ctx, &m); diags.HasError() {
		t.Fatalf("read plan: %v", diags)
	}
	return m, tfsdk.State{Schema: sr.Schema, Raw: tftypes.NewValue(typ, nil)}
}

const aliasARN = "arn:aws:lambda:eu-central-1:123456789012:function:orders-api:live"

// The result-to-state mapping, through framework values: every outcome records what is
// live, leaves nothing unknown, and keeps the release inputs where the next plan needs them.
func TestStateAfterRelease(t *testing.T) {
	canary, _ := shift.ResolveSchedule(shift.ScheduleSpec{Preset: "Canary10Percent5Minutes"})
	rel := shift.Release{Function: "orders-api", Alias: "live", CodeSha256: goodSha, Schedule: canary}
	start := time.Date(2026, 12, 2, 5, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		res     shift.Result
		failed  bool
		prior   string
		want    map[string]string // attribute → value in state
		weights int
	}{
		{
			name: "succeeded",
			res: shift.Result{DeploymentID: "d-1", Status: shift.StatusSucceeded, TargetVersion: "4", PreviousVersion: "3",
				AliasExists: true, AliasARN: aliasARN, LiveVersion: "4", LiveCodeSha256: goodSha, StartedAt: start, FinishedAt: start.Add(6 * time.Minute)},
			prior: "2",
			want: map[string]string{"version": "4", "previous_version": "3", "code_sha256": goodSha, "alias_arn": aliasARN, "id": "orders-api:live",
				"invoke_arn": "arn:aws:apigateway:eu-central-1:lambda:path/2015-03-31/functions/" + aliasARN + "/invocations",
				"schedule":   "10% for 5m0s, 100%; no alarms; at least 5m0s", "last_deployment.status": "Succeeded",
				"last_deployment.finished_at": "2026-12-02T05:06:00Z"},
		},
		{
			name: "nothing to do keeps the previous version",
			res: shift.Result{Status: shift.StatusNoChange, TargetVersion: "3", PreviousVersion: "3",
				AliasExists: true, AliasARN: aliasARN, LiveVersion: "3", LiveCodeSha256: goodSha},
			prior: "2",
			want:  map[string]string{"version": "3", "previous_version": "2", "last_deployment.status": "NoChange"},
		},
		{
			name:   "rolled back records what is live, so the release stays pending",
			failed: true,
			res: shift.Result{Status: shift.StatusRolledBack, TargetVersion: "4", PreviousVersion: "3",
				AliasExists: true, AliasARN: aliasARN, LiveVersion: "3", LiveCodeSha256: "old-hash"},
			prior: "2",
			want:  map[string]string{"version": "3", "previous_version": "2", "code_sha256": "old-hash", "last_deployment.status": "RolledBack", "last_deployment.target_version": "4"},
		},
		{
			name:   "cut off mid-shift records the split",
			failed: true,
			res: shift.Result{Status: shift.StatusFailed, TargetVersion: "4", AliasExists: true, AliasARN: aliasARN,
				LiveVersion: "3", LiveWeights: map[string]float64{"4": 0.1}, LiveCodeSha256: "old-hash"},
			want:    map[string]string{"version": "3", "code_sha256": "old-hash", "last_deployment.status": "Failed"},
			weights: 1,
		},
		{
			name:   "a failed first release leaves no alias",
			failed: true,
			res:    shift.Result{Status: shift.StatusRolledBack, TargetVersion: "1"},
			want:   map[string]string{"alias_arn": "", "invoke_arn": "", "version": "", "previous_version": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			planned, st := plannedModel(t, map[string]any{"code_sha256": goodSha})
			got := stateAfterRelease(planned, rel, tt.res, tt.failed, tt.prior)
			if diags := st.Set(ctx, &got); diags.HasError() {
				t.Fatalf("set state: %v", diags)
			}
			if !st.Raw.IsFullyKnown() {
				t.Fatalf("state holds unknown values: %s", st.Raw)
			}
			for attr, want := range tt.want {
				p := path.Root(attr)
				if parent, child, ok := cut(attr); ok {
					p = path.Root(parent).AtName(child)
				}
				var v types.String
				if diags := st.GetAttribute(ctx, p, &v); diags.HasError() {
					t.Fatalf("read %s: %v", attr, diags)
				}
				if v.ValueString() != want {
					t.Errorf("%s = %q, want %q", attr, v.ValueString(), want)
				}
			}
			var w types.Map
			st.GetAttribute(ctx, path.Root("additional_version_weights"), &w)
			if len(w.Elements()) != tt.weights {
				t.Errorf("additional_version_weights = %v, want %d entries", w, tt.weights)
			}
		})
	}
}

func cut(s string) (string, string, bool) {
	for i := range s {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// ModifyPlan and Update decide "release or settings only" with the same function.
func TestReleasePending(t *testing.T) {
	state := &deploymentModel{CodeSha256: types.StringValue(goodSha), Version: types.StringValue("3"),
		AdditionalVersionWeights: weightsValue(nil)}
	split := *state
	split.AdditionalVersionWeights = weightsValue(map[string]float64{"4": 0.1})
	null := types.StringNull()
	tests := []struct {
		name          string
		sha, version  types.String
		state         *deploymentModel
		wantReleasing bool
	}{
		{"new resource", types.StringValue(goodSha), null, nil, true},
		{"same hash", types.StringValue(goodSha), null, state, false},
		{"new hash", types.StringValue("new"), null, state, true},
		{"hash not known yet", types.StringUnknown(), null, state, true},
		{"same version", null, types.StringValue("3"), state, false},
		{"new version", null, types.StringValue("4"), state, true},
		{"version not known yet", null, types.StringUnknown(), state, true},
		{"alias left split", types.StringValue(goodSha), null, &split, true},
	}
	for _, tt := range tests {
		if got := releasePending(tt.sha, tt.version, tt.state, false); got != tt.wantReleasing {
			t.Errorf("%s: releasePending = %v, want %v", tt.name, got, tt.wantReleasing)
		}
	}
	// A split found at import is left until the configuration asks for a release.
	for _, tt := range []struct {
		name          string
		sha, version  types.String
		wantReleasing bool
	}{
		{"adopted split, same hash", types.StringValue(goodSha), null, false},
		{"adopted split, same version", null, types.StringValue("3"), false},
		{"adopted split, a release asked for", types.StringValue("new"), null, true},
		{"adopted split, the weighted version asked for", null, types.StringValue("4"), true},
		{"adopted split, hash not known yet", types.StringUnknown(), null, true},
	} {
		if got := releasePending(tt.sha, tt.version, &split, true); got != tt.wantReleasing {
			t.Errorf("%s: releasePending = %v, want %v", tt.name, got, tt.wantReleasing)
		}
	}
}

// The id of the last release is read from state as the engine needs it: through the
// framework's object value, "" for a resource that has none yet.
func TestLastDeploymentID(t *testing.T) {
	m, _ := plannedModel(t, nil)
	if got := lastDeploymentID(m); got != "" {
		t.Errorf("unknown last_deployment: %q", got)
	}
	rec := stateAfterRelease(m, shift.Release{Function: "orders-api", Alias: "live"},
		shift.Result{DeploymentID: "d-7", Status: shift.StatusSucceeded, TargetVersion: "4", LiveVersion: "4", AliasExists: true, AliasARN: aliasARN}, false, "")
	if got := lastDeploymentID(rec); got != "d-7" {
		t.Errorf("lastDeploymentID = %q, want d-7", got)
	}
	rec.LastDeployment = types.ObjectNull(lastDeploymentAttrTypes)
	if got := lastDeploymentID(rec); got != "" {
		t.Errorf("null last_deployment: %q", got)
	}
}
