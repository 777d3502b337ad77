package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// groupSharedAttributes are the settings a group shares with safelambda_deployment: taken
// from its schema so that both read and document them alike.
var groupSharedAttributes = []string{
	"traffic_shift", "alarms", "alarm_poll_interval", "ignore_alarms", "ignore_poll_alarm_failure",
	"hooks", "metric_gates", "approval", "events", "keep_versions", "skip_destroy", "timeouts",
	"traffic_arrives_via", "schedule", "last_deployment",
}

func (r *deploymentGroupResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	var single resource.SchemaResponse
	(&deploymentResource{}).Schema(ctx, resource.SchemaRequest{}, &single)
	attrs := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			Computed:            true,
			MarkdownDescription: "The members' `<function_name>:<alias>`, sorted and joined by commas.",
			PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
		},
		"members": schema.MapNestedAttribute{
			Required: true,
			MarkdownDescription: "The functions released together, keyed by a label of your choosing (a `for` expression over " +
				"`aws_lambda_function` resources fills it). A member is matched by its function and alias, not its label: " +
				"renaming a label changes nothing. A member added is released with the group (its alias created at promotion " +
				"if missing); a member removed has its alias deleted, or kept with `skip_destroy`.",
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"function_name": schema.StringAttribute{Required: true, MarkdownDescription: "Name or ARN of the function, unqualified."},
				"alias":         schema.StringAttribute{Required: true, MarkdownDescription: "The alias that serves this member's release."},
				"code_sha256": schema.StringAttribute{Optional: true, Computed: true,
					MarkdownDescription: "Release the code with this hash, as on `safelambda_deployment`. Exactly one of `code_sha256` and `version`."},
				"version": schema.StringAttribute{Optional: true, Computed: true,
					MarkdownDescription: "Release this published version; computed in `code_sha256` mode: the version the alias serves."},
				"description": schema.StringAttribute{Optional: true, MarkdownDescription: "Description for the version published (`code_sha256` mode)."},
				"alarms": schema.ListAttribute{Optional: true, ElementType: types.StringType,
					MarkdownDescription: "Alarms that watch this member only, besides the group's `alarms`: any of them in ALARM rolls back every member."},
				"metric_gates":     memberMetricGates(),
				"previous_version": schema.StringAttribute{Computed: true, MarkdownDescription: "What the alias served before the last release (`\"\"` on the first)."},
				"alias_arn":        schema.StringAttribute{Computed: true, MarkdownDescription: "ARN of the alias."},
			}},
		},
		"writes_per_second": schema.Float64Attribute{
			Optional: true,
			MarkdownDescription: "Pace of the group's alias writes. Default 5: each write is a GetAlias and an UpdateAlias, and " +
				"Lambda allows an account 15 control-plane requests a second in all (Lambda quotas, API requests), so the " +
				"default leaves room for the rest. A throttled write is tried again.",
		},
	}
	for _, name := range groupSharedAttributes {
		attrs[name] = single.Schema.Attributes[name]
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Releases several Lambda functions together, in lockstep: at every step of one schedule every " +
			"member's alias carries the step's weight before the hold starts, one set of alarms, metric gates and hooks " +
			"judges them all, and any trip rolls every member back. The same engine as `safelambda_deployment` (which is a " +
			"group of one).",
		Attributes: attrs,
	}
}

// memberMetricGates are metric gates on one member's alias, in place of the group's.
func memberMetricGates() schema.SingleNestedAttribute {
	a := metricGatesAttribute()
	a.MarkdownDescription = "Metric gates on this member's alias, in place of the group's `metric_gates` (same attributes). " +
		"A member without them is judged by the group's."
	return a
}
