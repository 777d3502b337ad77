package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// What the plan does with configuration drift (as refresh found it) and with
// configuration_sha256, for each value of release_configuration, unknown included.
func TestPlanConfiguration(t *testing.T) {
	released := lastDeploymentValue(shift.Result{DeploymentID: "d-1", Status: shift.StatusSucceeded, TargetVersion: "3"})
	model := func(releaseConfiguration types.Bool, sha types.String, last types.Object) deploymentModel {
		return deploymentModel{
			FunctionName: types.StringValue("orders-api"), Alias: types.StringValue("live"),
			CodeSha256: types.StringValue(goodSha), Version: types.StringValue("3"),
			ReleaseConfiguration: releaseConfiguration, ConfigurationSha256: sha, LastDeployment: last,
		}
	}
	on, off, unknownBool := types.BoolValue(true), types.BoolValue(false), types.BoolUnknown()
	shaA, shaB := types.StringValue("a"), types.StringValue("b")
	for _, tc := range []struct {
		name        string
		release     types.Bool
		configSha   types.String
		stateSha    types.String
		last        types.Object
		drift       []string
		wantPending bool
		wantWhy     string
		wantWarning string // on the attribute named first
	}{
		{name: "no drift, nothing changes", release: on, configSha: shaA, stateSha: shaA, last: released},
		{name: "drift released", release: on, configSha: shaA, stateSha: shaA, last: released, drift: []string{"environment", "memory_size"},
			wantPending: true, wantWhy: "configuration change (environment, memory_size)"},
		{name: "drift with release_configuration unknown", release: unknownBool, configSha: shaA, stateSha: shaA, last: released, drift: []string{"layers"},
			wantPending: true, wantWhy: "configuration change (layers)"},
		{name: "configuration_sha256 changed", release: on, configSha: shaB, stateSha: shaA, last: released,
			wantPending: true, wantWhy: "configuration change (configuration_sha256 changed)"},
		{name: "configuration_sha256 unknown: pending, words unknown", release: on, configSha: types.StringUnknown(), stateSha: shaA, last: released,
			wantPending: true, wantWhy: ""},
		{name: "imported: the first configuration_sha256 is recorded, not released", release: on, configSha: shaA, stateSha: types.StringNull(),
			last: types.ObjectNull(lastDeploymentAttrTypes)},
		{name: "imported: a later configuration_sha256 change releases", release: on, configSha: shaB, stateSha: shaA,
			last: types.ObjectNull(lastDeploymentAttrTypes), wantPending: true, wantWhy: "configuration_sha256 changed"},
		{name: "code only: drift warns", release: off, configSha: shaA, stateSha: shaA, last: released, drift: []string{"environment"},
			wantWarning: "release_configuration: differs from $LATEST's in environment; release_configuration = false releases code only"},
		{name: "code only: configuration_sha256 change warns", release: off, configSha: shaB, stateSha: shaA, last: released,
			wantWarning: "configuration_sha256: release_configuration = false releases code only"},
		{name: "imported and never released: drift warns, moves nothing", release: on, configSha: types.StringNull(), stateSha: types.StringNull(),
			last: types.ObjectNull(lastDeploymentAttrTypes), drift: []string{"environment"},
			wantWarning: "release_configuration: This resource was imported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			config := model(tc.release, tc.configSha, tc.last)
			state := model(on, tc.stateSha, tc.last)
			var diags diag.Diagnostics
			got := planConfiguration(config, config, &state, tc.drift, &diags)
			if got.pending != tc.wantPending || !strings.Contains(got.why, tc.wantWhy) || (tc.wantWhy == "" && got.why != "") {
				t.Errorf("pending %v %q, want %v %q", got.pending, got.why, tc.wantPending, tc.wantWhy)
			}
			var warnings []string
			for _, d := range diags {
				p := ""
				if wp, ok := d.(diag.DiagnosticWithPath); ok {
					p = wp.Path().String()
				}
				warnings = append(warnings, p+": "+d.Detail())
			}
			if tc.wantWarning == "" {
				if len(warnings) > 0 {
					t.Errorf("unexpected warnings: %v", warnings)
				}
				return
			}
			attr, text, _ := strings.Cut(tc.wantWarning, ": ")
			if len(warnings) != 1 || !strings.HasPrefix(warnings[0], attr+": ") || !containsAll(warnings[0], strings.Split(text, "; ")...) {
				t.Errorf("warnings %v, want one on %s saying %q", warnings, attr, text)
			}
		})
	}
	t.Run("version mode and first release plan nothing", func(t *testing.T) {
		var diags diag.Diagnostics
		config := model(on, shaB, released)
		if got := planConfiguration(config, config, nil, []string{"environment"}, &diags); got.pending || len(diags) > 0 {
			t.Errorf("create: %+v %v", got, diags)
		}
		config.CodeSha256 = types.StringNull()
		state := model(on, shaA, released)
		if got := planConfiguration(config, config, &state, []string{"environment"}, &diags); got.pending || len(diags) > 0 {
			t.Errorf("version mode: %+v %v", got, diags)
		}
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
