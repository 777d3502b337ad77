package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-log/tflog"

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

// privateServedConfiguration holds the configuration of the version the alias serves,
// as refresh last read it: published versions never change, so it is read once per
// version, and the plan compares it with $LATEST's without another call.
const privateServedConfiguration = "served_configuration"

type servedConfiguration struct {
	Version       string              `json:"version"`
	Configuration shift.Configuration `json:"configuration"`
}

// privateGetter is the part of private state a request offers.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

// cachedServedConfiguration is the served version's configuration kept in private state,
// nil when none is kept for version.
func cachedServedConfiguration(ctx context.Context, private privateGetter, version string) shift.Configuration {
	if private == nil {
		return nil
	}
	b, _ := private.GetKey(ctx, privateServedConfiguration)
	var s servedConfiguration
	if len(b) == 0 || json.Unmarshal(b, &s) != nil || s.Version != version || s.Configuration == nil {
		return nil
	}
	return s.Configuration
}

func servedConfigurationBytes(version string, c shift.Configuration) []byte {
	b, _ := json.Marshal(servedConfiguration{Version: version, Configuration: c})
	return b
}

// configurationPlan is what the plan found about configuration.
type configurationPlan struct {
	pending bool
	// why says what is released, for the schedule: "configuration change (environment)".
	why string
}

// planConfiguration compares $LATEST's configuration (latest, the plan's one read of it;
// nil when it could not be read) with the served version's, and configuration_sha256 with
// state. Where configuration is released it plans a release; where it is not, it warns
// with the line to change. Only setting names are ever shown.
func (r *deploymentResource) planConfiguration(ctx context.Context, private privateGetter, plan, config deploymentModel, state *deploymentModel, latest *shift.Version, diags *diag.Diagnostics) configurationPlan {
	if state == nil || config.CodeSha256.IsNull() {
		return configurationPlan{}
	}
	fn, alias := config.FunctionName.ValueString(), config.Alias.ValueString()
	var drift []string
	if latest != nil && !state.Version.IsNull() && !state.Version.IsUnknown() && state.Version.ValueString() != "" && latest.CodeSha256 == config.CodeSha256.ValueString() {
		served := cachedServedConfiguration(ctx, private, state.Version.ValueString())
		if served == nil {
			// No refresh since the alias last moved (-refresh=false): read it once.
			readCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			v, err := r.planEngine(ctx, fn, alias).AWS.Functions.GetVersion(readCtx, fn, state.Version.ValueString())
			cancel()
			if err == nil {
				served = v.Configuration
			} else {
				tflog.Debug(ctx, "cannot read the served version's configuration", map[string]any{"function": fn, "error": err.Error()})
			}
		}
		drift = shift.ConfigurationDiff(served, latest.Configuration)
	}
	shaChanged := !config.ConfigurationSha256.Equal(state.ConfigurationSha256)

	released := plan.ReleaseConfiguration
	switch {
	case !released.IsUnknown() && !released.ValueBool():
		if len(drift) > 0 {
			diags.AddAttributeWarning(path.Root("release_configuration"), "Configuration change not released",
				fmt.Sprintf("Alias %s serves version %s, whose configuration differs from $LATEST's in %s; release_configuration = false releases code only, "+
					"so the alias keeps serving the old configuration. Set release_configuration = true (the default) to release configuration changes, "+
					"or change the function back.", alias, state.Version.ValueString(), strings.Join(drift, ", ")))
		} else if shaChanged {
			diags.AddAttributeWarning(path.Root("configuration_sha256"), "Configuration change not released",
				"configuration_sha256 changes, but release_configuration = false releases code only: the function's new configuration will not reach "+
					"the alias. Set release_configuration = true (the default) to release it.")
		}
		return configurationPlan{}
	case len(drift) > 0 && state.LastDeployment.IsNull():
		// Imported and not released by this configuration yet: importing moves no traffic.
		diags.AddAttributeWarning(path.Root("release_configuration"), "Configuration not yet released",
			fmt.Sprintf("Alias %s serves version %s, whose configuration differs from $LATEST's in %s. This resource was imported and has not released "+
				"anything yet, so this plan moves no traffic; the next release (a change of code_sha256 or configuration_sha256) releases it.",
				alias, state.Version.ValueString(), strings.Join(drift, ", ")))
		return configurationPlan{}
	case len(drift) > 0:
		return configurationPlan{pending: true, why: "configuration change (" + strings.Join(drift, ", ") + ")"}
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
