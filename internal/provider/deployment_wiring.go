package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// This file owns the wiring check at plan time: the reads are the engine's (one set per
// planned release), the words on the plan are Terraform's.

func trafficArrivesViaAttribute() schema.StringAttribute {
	return schema.StringAttribute{
		Optional: true,
		MarkdownDescription: "How traffic reaches the alias. `\"triggers\"` (the default when unset): through event source mappings, " +
			"function URLs or invoke permissions (API Gateway, S3, SNS, EventBridge, …). Before a gradual release the provider " +
			"reads them (`ListEventSourceMappings`, `ListFunctionUrlConfigs`, `GetPolicy`) and refuses to start when none reaches " +
			"the alias: a canary on an alias nobody is routed through shifts weights that carry no traffic, and its gates judge " +
			"nothing. `\"direct_invoke\"`: callers invoke `function:alias` themselves (the AWS SDK, Step Functions, another " +
			"service with an IAM role), which leaves no trace Lambda can show; nothing is refused. Either way the plan warns about " +
			"each trigger on the unqualified function or `$LATEST`, which a release of the alias never reaches. See the " +
			"[operating releases guide](../guides/operating-releases.md#wiring-checks).",
	}
}

// wiringReadTimeout bounds the plan's wiring reads.
const wiringReadTimeout = 30 * time.Second

// warnWiring reads where the function's traffic enters and warns, on the plan of a
// pending release of an existing resource, about each trigger that skips the alias,
// about reads it could not make, and (when it shifts gradually) that the apply will
// refuse when no trigger reaches the alias. A create reads nothing at plan: its first
// release puts a new alias on the version directly, and plans of new resources make no
// AWS call; one that adopts an existing alias is still checked at apply.
func (r *deploymentResource) warnWiring(ctx context.Context, config deploymentModel, resolved shift.Resolved, diags *diag.Diagnostics) {
	if r.data == nil || config.FunctionName.IsUnknown() || config.Alias.IsUnknown() {
		return
	}
	fn, alias := config.FunctionName.ValueString(), config.Alias.ValueString()
	readCtx, cancel := context.WithTimeout(ctx, wiringReadTimeout)
	defer cancel()
	rep := r.planEngine(ctx, fn, alias).CheckWiring(readCtx, fn, alias)
	if !rep.Checked {
		return
	}
	for _, f := range rep.Bypassing {
		diags.AddAttributeWarning(path.Root("function_name"), fmt.Sprintf("A trigger skips alias %s", alias),
			fmt.Sprintf("The %s. A release shifts alias %s only, so this trigger's traffic never reaches the version being released, "+
				"and the release's alarms, metric gates and hooks do not see it. To route it through the alias, %s.", f.Text, alias, f.Fix))
	}
	if len(rep.Unread) > 0 {
		diags.AddAttributeWarning(path.Root("function_name"), "Wiring check incomplete",
			fmt.Sprintf("Where traffic enters %s could not be fully read: %s. Grant lambda:ListEventSourceMappings, lambda:ListFunctionUrlConfigs and lambda:GetPolicy "+
				"(see the IAM permissions guide); a release goes on when only these reads fail.", fn, strings.Join(rep.Unread, "; ")))
		return
	}
	gradual := len(resolved.Release.Schedule.Steps) > 0
	settingKnown := !config.TrafficArrivesVia.IsUnknown() && resolved.Complete
	if gradual && settingKnown && resolved.Release.TrafficArrivesVia != shift.ArrivesViaDirectInvoke && !rep.ReachesAlias() {
		diags.AddAttributeWarning(path.Root("traffic_shift"), "The release will refuse to shift gradually",
			fmt.Sprintf("No event source mapping, function URL or invoke permission reaches alias %s of %s, so the apply will refuse this gradual release before "+
				"changing anything: its weights would carry no traffic and its gates would judge nothing. Point the triggers at the alias; or, if callers invoke "+
				"%s:%s directly (the AWS SDK, Step Functions, another service with an IAM role), which Lambda keeps no trace of, set traffic_arrives_via = %q; "+
				"or release AllAtOnce.", alias, fn, fn, alias, shift.ArrivesViaDirectInvoke))
	}
}
