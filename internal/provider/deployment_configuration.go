package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// This file owns configuration releases at the Terraform boundary: the two attributes,
// the served version's configuration that refresh keeps (in private state), and what the
// plan says when $LATEST's configuration differs from what the alias serves.

func releaseConfigurationAttribute() schema.BoolAttribute {
	return schema.BoolAttribute{
		Optional: true,
		Computed: true,
		Default:  booldefault.StaticBool(true),
		MarkdownDescription: "In `code_sha256` mode, release a change to the function's configuration too (environment, " +
			"memory size, timeout, ephemeral storage, layers, runtime, handler, image config, architectures, role, VPC, " +
			"file systems, dead-letter target, tracing, logging, KMS key, SnapStart), as SAM's `AutoPublishAliasAllProperties` does: " +
			"a published version is reused only when its code and configuration both match `$LATEST`'s, otherwise `$LATEST` " +
			"is published. `false` keys releases on the code alone (SAM's `AutoPublishAlias` default): a version with the " +
			"code is reused whatever its configuration, and the plan warns when the alias serves a configuration other than " +
			"`$LATEST`'s. Default `true`. Not used in `version` mode.",
	}
}

func configurationSha256Attribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "Any value that changes at plan time when the function's configuration does, so that a " +
			"configuration-only change made in the same apply is released in that apply: hashicorp/aws changes no attribute " +
			"of `aws_lambda_function` at plan time for it (with `publish = false`). Write a hash of the settings, never the " +
			"values (environment values are secrets): `sha256(jsonencode([aws_lambda_function.x.environment, " +
			"aws_lambda_function.x.memory_size, …]))`. A change plans a release; what is released is decided by comparing " +
			"the configurations Lambda reports, so its form is yours. `code_sha256` mode only.",
	}
}

// privateRefreshed is what refresh read besides the alias (refreshed, JSON): the served
// version's configuration (published versions never change, so it is read once per
// version) and what $LATEST held then. The plan judges configuration drift from it and
// not from a read of its own: the plan made again during apply must come out the same,
// even after aws_lambda_function changed $LATEST earlier in that apply.
const privateRefreshed = "refreshed"

type refreshed struct {
	Version          string              `json:"version"`
	Configuration    shift.Configuration `json:"configuration,omitempty"`
	LatestCodeSha256 string              `json:"latest_code_sha256,omitempty"`
	Drift            []string            `json:"drift,omitempty"`
}

// privateGetter is the part of private state a request offers.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// refreshedFor is what refresh recorded for version, nil when it recorded nothing for it
// (no refresh since the last release, or -refresh=false after one).
func refreshedFor(ctx context.Context, private privateGetter, version string) *refreshed {
	if private == nil {
		return nil
	}
	b, _ := private.GetKey(ctx, privateRefreshed)
	var r refreshed
	if len(b) == 0 || json.Unmarshal(b, &r) != nil || r.Version != version {
		return nil
	}
	return &r
}

func refreshedBytes(live shift.Live) []byte {
	b, _ := json.Marshal(refreshed{Version: live.Version, Configuration: live.Configuration, LatestCodeSha256: live.LatestCodeSha256, Drift: live.ConfigurationDrift})
	return b
}

// configurationPlan is what the plan found about configuration.
type configurationPlan struct {
	pending bool
	// why says what is released, for the schedule: "configuration change (environment)";
	// "" while it is not known (configuration_sha256 unknown: the release may not happen).
	why string
}

// planConfiguration plans a release of configuration: where refresh found $LATEST's
// configuration differing from the served version's (drift, names only), or
// configuration_sha256 changed. Where configuration is not released it warns instead,
// with the line to change.
func planConfiguration(plan, config deploymentModel, state *deploymentModel, drift []string, diags *diag.Diagnostics) configurationPlan {
	if state == nil || config.CodeSha256.IsNull() {
		return configurationPlan{}
	}
	alias, served := config.Alias.ValueString(), state.Version.ValueString()
	shaChanged := !config.ConfigurationSha256.Equal(state.ConfigurationSha256)
	// Imported and not released by this configuration yet: its first configuration_sha256
	// is recorded, not released (importing moves no traffic); later changes release.
	neverReleased := state.LastDeployment.IsNull()
	if neverReleased && state.ConfigurationSha256.IsNull() {
		shaChanged = false
	}
	released := plan.ReleaseConfiguration
	switch {
	case !released.IsUnknown() && !released.ValueBool():
		if len(drift) > 0 {
			diags.AddAttributeWarning(path.Root("release_configuration"), "Configuration change not released",
				fmt.Sprintf("Alias %s serves version %s, whose configuration differs from $LATEST's in %s; release_configuration = false releases code only, "+
					"so the alias keeps serving the old configuration. Set release_configuration = true (the default) to release configuration changes, "+
					"or change the function back.", alias, served, strings.Join(drift, ", ")))
		} else if shaChanged {
			diags.AddAttributeWarning(path.Root("configuration_sha256"), "Configuration change not released",
				"configuration_sha256 changes, but release_configuration = false releases code only: the function's new configuration will not reach "+
					"the alias. Set release_configuration = true (the default) to release it.")
		}
		return configurationPlan{}
	case len(drift) > 0 && neverReleased && !shaChanged:
		// Imported and not released by this configuration yet: importing moves no traffic.
		diags.AddAttributeWarning(path.Root("release_configuration"), "Configuration not yet released",
			fmt.Sprintf("Alias %s serves version %s, whose configuration differs from $LATEST's in %s. This resource was imported and has not released "+
				"anything yet, so this plan moves no traffic; the next release (a change of code_sha256 or configuration_sha256) carries it.",
				alias, served, strings.Join(drift, ", ")))
		return configurationPlan{}
	case len(drift) > 0:
		return configurationPlan{pending: true, why: "configuration change (" + strings.Join(drift, ", ") + ")"}
	case shaChanged && config.ConfigurationSha256.IsUnknown():
		return configurationPlan{pending: true}
	case shaChanged:
		return configurationPlan{pending: true, why: "configuration change (configuration_sha256 changed)"}
	}
	return configurationPlan{}
}

// configurationReleasePlanned reports whether the plan Update applies holds a release the
// configuration asked for: ModifyPlan leaves version unknown for it in code_sha256 mode.
func configurationReleasePlanned(config, plan deploymentModel) bool {
	return !config.CodeSha256.IsNull() && plan.Version.IsUnknown()
}
