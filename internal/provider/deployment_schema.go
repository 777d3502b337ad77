package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

var (
	aliasNamePattern        = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	lastDeploymentAttrTypes = map[string]attr.Type{
		"id":               types.StringType,
		"status":           types.StringType,
		"target_version":   types.StringType,
		"started_at":       types.StringType,
		"finished_at":      types.StringType,
		"message":          types.StringType,
		"deleted_versions": types.ListType{ElemType: types.StringType},
		"kept_versions":    types.ListType{ElemType: types.StringType},
	}
)

func (r *deploymentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	percentage := func(what string) schema.Float64Attribute {
		return schema.Float64Attribute{
			Required:            true,
			MarkdownDescription: what + " Greater than 0 and less than 100; fractions are allowed (`0.5`).",
		}
	}
	interval := func(what string) schema.StringAttribute {
		return schema.StringAttribute{
			CustomType:          timetypes.GoDurationType{},
			Required:            true,
			MarkdownDescription: what + " A Go duration (`90s`, `5m`), at least `1s`.",
			Validators:          []validator.String{durationBetween(minHold, 0)},
		}
	}
	kinds := []path.Expression{
		path.MatchRelative().AtParent().AtName("preset"),
		path.MatchRelative().AtParent().AtName("canary"),
		path.MatchRelative().AtParent().AtName("linear"),
		path.MatchRelative().AtParent().AtName("steps"),
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "Releases a Lambda function version behind an alias the way AWS SAM's `AutoPublishAlias` " +
			"and `DeploymentPreference` do, inside `terraform apply` and with the AWS SDK only: it publishes a " +
			"version (or takes a published one), runs the `pre_traffic` hook, shifts the alias to the new version " +
			"step by step while polling CloudWatch alarms, promotes it, runs the `post_traffic` hook, and rolls the " +
			"alias back by itself when any check trips, the apply is interrupted or times out.\n\n" +
			"A failed release fails the apply with a message that says what tripped, what the alias serves now and " +
			"a timeline; state keeps what is live, so the next plan shows the release as still pending.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "`<function_name>:<alias>`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"function_name": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name or unqualified ARN of the Lambda function. Changing it replaces the resource.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 170)},
			},
			"alias": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Alias that serves the release (created on the first release if missing). " +
					"1–128 of `[a-zA-Z0-9-_]`, not all digits. Changing it replaces the resource.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators: []validator.String{
					stringvalidator.RegexMatches(aliasNamePattern, "must be 1-128 characters of letters, digits, - and _"),
					stringvalidator.RegexMatches(regexp.MustCompile(`[^0-9]`), "must not be all digits (that would name a version, not an alias)"),
				},
			},
			"code_sha256": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Release the function's code with this SHA-256 (base64, as `aws_lambda_function.code_sha256`). " +
					"The newest published version with this hash is reused; otherwise `$LATEST` is published with the hash " +
					"as a precondition. Exactly one of `code_sha256` and `version`. Refresh reports the hash of the version " +
					"the alias serves, so a release that did not finish shows as pending.",
				Validators: []validator.String{
					stringvalidator.ExactlyOneOf(path.MatchRoot("code_sha256"), path.MatchRoot("version")),
					stringvalidator.LengthAtLeast(1),
				},
			},
			"version": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The version the alias serves. As an input: release this already published version " +
					"(use with `publish = true` on the function to release every change). Computed in `code_sha256` mode. " +
					"Never `$LATEST`.",
				Validators: []validator.String{
					stringvalidator.RegexMatches(regexp.MustCompile(`^[0-9]+$`), "must be a published version number such as \"4\" ($LATEST cannot be released)"),
				},
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Description for the version the release publishes (`code_sha256` mode).",
				Validators:          []validator.String{stringvalidator.LengthAtMost(256)},
			},
			"traffic_shift": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "How traffic moves to the new version: exactly one of `preset`, `canary`, `linear` and " +
					"`steps`. Omitted means `AllAtOnce`.",
				Attributes: map[string]schema.Attribute{
					"preset": schema.StringAttribute{
						Optional: true,
						MarkdownDescription: "A SAM deployment preference type (`Canary10Percent5Minutes`, `Linear10PercentEvery1Minute`, " +
							"`AllAtOnce`, …) or its CodeDeploy spelling (`CodeDeployDefault.LambdaCanary10Percent5Minutes`, …).",
						Validators: []validator.String{
							stringvalidator.OneOf(shift.PresetNames()...),
							stringvalidator.ConflictsWith(kinds[1:]...),
						},
					},
					"canary": schema.SingleNestedAttribute{
						Optional:            true,
						MarkdownDescription: "`percentage` at once, held for `interval`, then 100%.",
						Validators:          []validator.Object{objectvalidator.ConflictsWith(kinds[2:]...)},
						Attributes: map[string]schema.Attribute{
							"percentage": percentage("Share of traffic on the new version during the canary."),
							"interval":   interval("How long the canary is held."),
						},
					},
					"linear": schema.SingleNestedAttribute{
						Optional:            true,
						MarkdownDescription: "`percentage`, then `percentage` more after every `interval`, then 100% (30 → 30, 60, 90, 100).",
						Validators:          []validator.Object{objectvalidator.ConflictsWith(kinds[3:]...)},
						Attributes: map[string]schema.Attribute{
							"percentage": percentage("Increment of traffic on the new version."),
							"interval":   interval("How long each increment is held."),
						},
					},
					"steps": schema.ListNestedAttribute{
						Optional:            true,
						MarkdownDescription: "Custom steps: each percentage in turn, held for its `hold`, then 100%. Percentages strictly increase.",
						Validators:          []validator.List{listvalidator.SizeAtLeast(1)},
						NestedObject: schema.NestedAttributeObject{
							Attributes: map[string]schema.Attribute{
								"percentage": percentage("Share of traffic on the new version at this step."),
								"hold":       interval("How long this step is held."),
							},
						},
					},
				},
			},
			"alarms": schema.ListAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "CloudWatch alarm names (an alarm ARN is reduced to its name). The release stops and rolls " +
					"back when any is in `ALARM` (`INSUFFICIENT_DATA` does not trip). Every alarm must exist; none may be in " +
					"`ALARM` when the release starts.",
				Validators: []validator.List{
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 2048)),
				},
			},
			"alarm_poll_interval": schema.StringAttribute{
				CustomType:          timetypes.GoDurationType{},
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(shift.DefaultAlarmPollInterval.String()),
				MarkdownDescription: "How often alarms and `metric_gates` are read while a step is held (one `DescribeAlarms` call per 100 alarms, one `GetMetricData` call for all metric gates). Default `10s`, at least `1s`.",
				Validators:          []validator.String{durationBetween(minHold, 0)},
			},
			"ignore_alarms": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Hotfix override: alarms are not gated (the release's timeline and message say so). Default `false`.",
			},
			"ignore_poll_alarm_failure": schema.BoolAttribute{
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
				MarkdownDescription: "Go on when alarm states (or the metrics of `metric_gates`) cannot be read, instead of rolling back. Default `false`.",
			},
			"hooks": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Lambda functions invoked synchronously around the traffic shift with a JSON payload " +
					"(`DeploymentId`, `LifecycleEvent`, `FunctionName`, `Alias`, `CurrentVersion`, `TargetVersion`, " +
					"`TargetVersionArn`, …). A hook fails on a function error or a response `{\"status\": \"Failed\", \"reason\": …}`.",
				Attributes: map[string]schema.Attribute{
					"pre_traffic": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Runs before any traffic moves; failure stops the release with traffic untouched.",
						Validators:          []validator.String{stringvalidator.LengthBetween(1, 170)},
					},
					"post_traffic": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Runs after the alias is promoted; failure rolls back.",
						Validators:          []validator.String{stringvalidator.LengthBetween(1, 170)},
					},
				},
			},
			"metric_gates": metricGatesAttribute(),
			"keep_versions": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "After a successful release, delete published versions beyond the newest N, never one " +
					"that any alias of the function references (as its version or by weight) nor `previous_version`, the " +
					"rollback target; `last_deployment.deleted_versions` lists what was deleted. Failed or rolled-back releases " +
					"delete nothing. Unset keeps every version.",
				Validators: []validator.Int64{int64validator.AtLeast(1)},
			},
			"timeouts": timeouts.Attributes(ctx, timeouts.Opts{Create: true, Update: true, Delete: true}),

			"previous_version": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "What the alias served before the last release (`\"\"` on the first).",
			},
			"alias_arn": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "ARN of the alias, for event source mappings and permissions.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"invoke_arn": schema.StringAttribute{
				Computed:            true,
				MarkdownDescription: "ARN to use in an API Gateway integration's `uri`.",
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"schedule": schema.StringAttribute{
				Computed: true,
				MarkdownDescription: "The release plan in words, known at plan time, e.g. `pre_traffic hook, 10% for 5m0s, 100%, " +
					"post_traffic hook; 2 alarms polled every 10s; at least 5m0s`.",
			},
			"additional_version_weights": schema.MapAttribute{
				Computed:    true,
				ElementType: types.Float64Type,
				MarkdownDescription: "Traffic the alias routes to a version other than `version` (0–1). Empty except when a " +
					"release was cut off mid-shift or the alias was split outside Terraform; the next apply then resumes " +
					"(when the weighted version is the target) or restores the primary first.",
			},
			"last_deployment": schema.SingleNestedAttribute{
				Computed:            true,
				MarkdownDescription: "The last release this resource ran.",
				Attributes: map[string]schema.Attribute{
					"id":             schema.StringAttribute{Computed: true, MarkdownDescription: "Release identifier, also sent to hooks as `DeploymentId`."},
					"status":         schema.StringAttribute{Computed: true, MarkdownDescription: "`Succeeded`, `RolledBack`, `Failed` or `NoChange`."},
					"target_version": schema.StringAttribute{Computed: true, MarkdownDescription: "The version the release tried to put live."},
					"started_at":     schema.StringAttribute{Computed: true, MarkdownDescription: "RFC 3339 start time."},
					"finished_at":    schema.StringAttribute{Computed: true, MarkdownDescription: "RFC 3339 end time."},
					"message":        schema.StringAttribute{Computed: true, MarkdownDescription: "What happened, in words."},
					"deleted_versions": schema.ListAttribute{
						Computed:            true,
						ElementType:         types.StringType,
						MarkdownDescription: "Versions deleted by `keep_versions` after this release.",
					},
					"kept_versions": schema.ListAttribute{
						Computed:    true,
						ElementType: types.StringType,
						MarkdownDescription: "Versions `keep_versions` would have deleted but kept, each with why: an event source mapping " +
							"or a provisioned-concurrency configuration uses it (deleting it would break them), e.g. " +
							"`3: used by event source mapping 14e0db71-… from arn:aws:sqs:…:orders`.",
					},
				},
			},
		},
	}
}
