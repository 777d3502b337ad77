package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// The schema holds structure only (types, required, defaults). What a valid release is
// (names, hashes, durations, percentages, conflicts, timeouts) is decided in one place,
// the engine's Config.Resolve, which sees unknown values for what they are.

func (r *deploymentResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	percentage := func(what string) schema.Float64Attribute {
		return schema.Float64Attribute{
			Required:            true,
			MarkdownDescription: what + " Greater than 0 and less than 100; fractions are allowed (`0.5`).",
		}
	}
	interval := func(what string) schema.StringAttribute {
		return schema.StringAttribute{
			Required:            true,
			MarkdownDescription: what + " A Go duration (`90s`, `5m`, `1h30m`), at least `1s`.",
		}
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
				Required: true,
				MarkdownDescription: "Name, full ARN or partial ARN (`123456789012:function:NAME`) of the Lambda function, " +
					"unqualified: the alias goes in `alias`. Switching between the forms of one function changes nothing; " +
					"naming another function replaces the resource.",
				PlanModifiers: []planmodifier.String{sameFunctionOrReplace()},
			},
			"alias": schema.StringAttribute{
				Required: true,
				MarkdownDescription: "Alias that serves the release (created on the first release if missing). " +
					"1–128 of `[a-zA-Z0-9-_]`, not all digits. Changing it replaces the resource.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"code_sha256": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "Release the function's code with this hash, in the form Lambda reports it: for a zip " +
					"package the base64 SHA-256 of the zip, for a container image the image digest (lowercase hex; " +
					"a `sha256:` prefix or upper case is accepted and compared as Lambda's form). Wire it to a value that changes " +
					"at plan time when the code changes: `aws_lambda_function.x.source_code_hash` set from " +
					"`filebase64sha256(\"lambda.zip\")`, or that expression itself, or the digest `image_uri` is pinned by " +
					"(`aws_ecr_image.x.image_digest`); not `aws_lambda_function.x.code_sha256`, " +
					"which hashicorp/aws only updates after the apply, so the release would run one apply late. " +
					"The newest published version with this hash is reused; otherwise `$LATEST` is published with the hash " +
					"as a precondition. Exactly one of `code_sha256` and `version`. Refresh reports the hash of the version " +
					"the alias serves, so a release that did not finish shows as pending.",
			},
			"version": schema.StringAttribute{
				Optional: true,
				Computed: true,
				MarkdownDescription: "The version the alias serves. As an input: release this already published version " +
					"(use with `publish = true` on the function to release every change). Computed in `code_sha256` mode. " +
					"Never `$LATEST`.",
			},
			"description": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Description for the version the release publishes (`code_sha256` mode only; refused with `version`), at most 256 characters.",
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
					},
					"canary": schema.SingleNestedAttribute{
						Optional:            true,
						MarkdownDescription: "`percentage` at once, held for `interval`, then 100%.",
						Attributes: map[string]schema.Attribute{
							"percentage": percentage("Share of traffic on the new version during the canary."),
							"interval":   interval("How long the canary is held."),
						},
					},
					"linear": schema.SingleNestedAttribute{
						Optional:            true,
						MarkdownDescription: "`percentage`, then `percentage` more after every `interval`, then 100% (30 → 30, 60, 90, 100).",
						Attributes: map[string]schema.Attribute{
							"percentage": percentage("Increment of traffic on the new version."),
							"interval":   interval("How long each increment is held."),
						},
					},
					"steps": schema.ListNestedAttribute{
						Optional:            true,
						MarkdownDescription: "Custom steps: each percentage in turn, held for its `hold`, then 100%. Percentages strictly increase.",
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
			},
			"alarm_poll_interval": schema.StringAttribute{
				Optional:            true,
				Computed:            true,
				Default:             stringdefault.StaticString(shift.DefaultAlarmPollInterval.String()),
				MarkdownDescription: "How often alarms and `metric_gates` are read while a step is held (one `DescribeAlarms` call per 100 alarms, one `GetMetricData` call for all metric gates). Default `10s`, at least `1s`.",
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
					},
					"post_traffic": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Runs after the alias is promoted; failure rolls back.",
					},
				},
			},
			"metric_gates": metricGatesAttribute(),
			"approval":     approvalAttribute(),
			"events": schema.SingleNestedAttribute{
				Optional: true,
				MarkdownDescription: "Put an event on an Amazon EventBridge bus at each moment of a release: started, each step, " +
					"each trip, a rollback, the promotion and the end (source `safelambda`, detail-types `Release Started`, " +
					"`Release Step`, `Release Tripped`, `Release Rolled Back`, `Release Promoted`, `Release Finished`). " +
					"Events never block or fail a release: one that cannot be put is tried again with the next and at the end, " +
					"then reported as a warning. Needs `events:PutEvents` on the bus. The detail schema and examples are in the " +
					"Operating releases guide.",
				Attributes: map[string]schema.Attribute{
					"event_bus": schema.StringAttribute{
						Required:            true,
						MarkdownDescription: "Name or ARN of the event bus, in the provider's region: `\"default\"` for the account's default bus, or `aws_cloudwatch_event_bus.x.name`.",
					},
				},
			},
			"keep_versions": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "After a successful release, delete published versions beyond the newest N, never one " +
					"that any alias of the function references (as its version or by weight) nor `previous_version`, the " +
					"rollback target; `last_deployment.deleted_versions` lists what was deleted. Failed or rolled-back releases " +
					"delete nothing. Unset keeps every version.",
			},
			"traffic_arrives_via": trafficArrivesViaAttribute(),
			"skip_destroy": schema.BoolAttribute{
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
				MarkdownDescription: "Keep the alias when the resource is destroyed or replaced: it is only removed from the " +
					"state, and keeps serving what it serves. With `create_before_destroy`, a replacement then never leaves the " +
					"alias missing: the new resource adopts the alias, and the old one lets go of it. Default `false` (destroy deletes the alias).",
			},
			"timeouts": timeoutsAttribute(),

			"release_configuration": releaseConfigurationAttribute(),
			"configuration_sha256":  configurationSha256Attribute(),

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

// timeoutsAttribute is timeouts.Attributes without its own parse check: the engine checks
// each timeout, on its own path and together with the schedule it must hold.
func timeoutsAttribute() schema.SingleNestedAttribute {
	timeout := func(op, more string) schema.StringAttribute {
		return schema.StringAttribute{
			Optional:            true,
			MarkdownDescription: "How long " + op + " may take, a Go duration (`90m`, `2h`)." + more,
		}
	}
	return schema.SingleNestedAttribute{
		Optional:            true,
		CustomType:          timeouts.Type{ObjectType: types.ObjectType{AttrTypes: map[string]attr.Type{"create": types.StringType, "update": types.StringType, "delete": types.StringType}}},
		MarkdownDescription: "Operation timeouts. Default `60m` for create and update (one release each), `5m` for delete.",
		Attributes: map[string]schema.Attribute{
			"create": timeout("a create (the first release)", " It must hold the whole schedule plus one alarm poll."),
			"update": timeout("an update (a release)", " It must hold the whole schedule plus one alarm poll."),
			"delete": timeout("a destroy", ""),
		},
	}
}

// sameFunctionOrReplace replaces the resource when function_name names another function,
// not when it names the same one in another form (name, partial ARN, full ARN): a
// replacement deletes the live alias.
func sameFunctionOrReplace() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(_ context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = req.PlanValue.IsUnknown() || !shift.SameFunction(req.StateValue.ValueString(), req.PlanValue.ValueString())
	}, "Naming another function replaces the resource; another form of the same function's name does not.",
		"Naming another function replaces the resource; another form of the same function's name does not.")
}

// metricGatesAttribute is metric_gates: checks on the alias's own Lambda metrics, split by
// ExecutedVersion, judged at every poll of every weighted step.
func metricGatesAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "Checks on the alias's own Lambda metrics (`AWS/Lambda` `Invocations`, `Errors` and `Duration` on " +
			"`Resource = <function>:<alias>`, split by `ExecutedVersion` into the new version, the canary, and the " +
			"previous one, the baseline), read together with the alarms at every poll of every weighted step, over the " +
			"step so far, in one `GetMetricData` call. A tripped gate rolls the release back like an alarm, and the error " +
			"carries the numbers. Lambda emits no datapoint for a zero count, so missing data counts as zero. There is " +
			"nothing to judge without a weighted step (`AllAtOnce`, a first release). " +
			"See the [metric gates guide](../guides/metric-gates.md) for the statistics in plain words.",
		Attributes: map[string]schema.Attribute{
			"max_error_rate": schema.Float64Attribute{
				Optional: true,
				MarkdownDescription: "Highest canary error rate (`Errors / Invocations` over the step so far) allowed, " +
					"from `0` to `1`: `0.01` is 1%. Judged from the first invocation on.",
			},
			"max_p99_duration": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Highest canary p99 `Duration` allowed over the step so far, a Go duration (`800ms`), at least `1ms`.",
			},
			"compare_to_baseline": schema.BoolAttribute{
				Optional: true,
				MarkdownDescription: "Trip when the canary's error rate is significantly worse than the baseline's, by a " +
					"one-sided two-proportion z-test at `confidence`. Default `false`.",
			},
			"confidence": schema.Float64Attribute{
				Optional: true,
				MarkdownDescription: "Confidence for `compare_to_baseline`, greater than `0.5` and less than `1`: at `0.95` " +
					"the gate trips when a canary this much worse would be less than 5% likely by chance. Default `0.95`.",
			},
			"min_invocations": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "Fewest canary invocations each step must see by the end of its hold; fewer fails the " +
					"release (\"not enough traffic to judge\") and rolls it back. `0` or unset disables.",
			},
			"arrival_delay": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "How long after its minute ends a Lambda metric is taken to have arrived in CloudWatch, a Go " +
					"duration from `0s` to `15m`. Default `2m`. Lambda sends its metrics at one-minute resolution, timestamped " +
					"at the start of each invocation, and they arrive late; a datapoint still on its way reads like no traffic " +
					"and no errors. So the gates judge only minutes that have arrived, and each hold is extended by one minute " +
					"plus this delay (shown in `schedule` and counted against the timeouts) so that its own minutes are judged " +
					"before the release moves on. `0s` is for a metrics source that delivers at once, such as an emulator.",
			},
		},
	}
}
