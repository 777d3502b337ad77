package provider

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

var (
	_ list.ListResource              = (*deploymentListResource)(nil)
	_ list.ListResourceWithConfigure = (*deploymentListResource)(nil)
)

// NewDeploymentListResource lists the aliases of Lambda functions as safelambda_deployment
// instances, for terraform query: migrating aliases that SAM, CodeDeploy or a script
// manages today under this provider takes one query with -generate-config-out.
func NewDeploymentListResource() list.ListResource { return &deploymentListResource{} }

// deploymentListResource shares the managed resource's name and provider data.
type deploymentListResource struct {
	deploymentResource
}

type deploymentListModel struct {
	FunctionNames types.List `tfsdk:"function_names"`
	Aliases       types.List `tfsdk:"aliases"`
}

func (r *deploymentListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Finds Lambda aliases, with their routing, as `safelambda_deployment` instances: the aliases of " +
			"the functions named in `function_names`, or of every function in the provider's region. " +
			"`terraform query -generate-config-out=imported.tf` writes an import block and a configuration " +
			"(in `code_sha256` mode, pinned to the code each alias serves) that plans with nothing to change. " +
			"An alias split by a canary in progress is imported as it is: the import moves no traffic, and the split is " +
			"left until the configuration asks for a release. " +
			"Aliases that serve `$LATEST` are skipped with a warning: a release needs a published version.",
		Attributes: map[string]listschema.Attribute{
			"function_names": listschema.ListAttribute{
				ElementType: types.StringType,
				Optional:    true,
				MarkdownDescription: "Names or ARNs of the functions whose aliases to list. Unset lists the aliases of every " +
					"function in the region (one `ListFunctions` page per 50 functions, one `ListAliases` call per function, " +
					"and one `GetFunctionConfiguration` per alias when resources are included).",
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 170)),
				},
			},
			"aliases": listschema.ListAttribute{
				ElementType:         types.StringType,
				Optional:            true,
				MarkdownDescription: "Only aliases with these names (e.g. `[\"live\"]`). Unset lists every alias.",
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(aliasName()),
				},
			},
		},
	}
}

func (r *deploymentListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	var cfg deploymentListModel
	if diags := req.Config.Get(ctx, &cfg); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	if r.data == nil {
		var diags diag.Diagnostics
		diags.AddError("Provider not configured", "The safelambda provider was not configured before listing; this is a bug in the provider, please report it.")
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	var functions, wanted []string
	var diags diag.Diagnostics
	if !cfg.FunctionNames.IsNull() {
		diags.Append(cfg.FunctionNames.ElementsAs(ctx, &functions, false)...)
	}
	if !cfg.Aliases.IsNull() {
		diags.Append(cfg.Aliases.ElementsAs(ctx, &wanted, false)...)
	}
	if diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}

	stream.Results = func(push func(list.ListResult) bool) {
		sent := int64(0)
		// found sends the listed aliases of one function; it reports false when the
		// consumer has had enough (it stopped, or the limit is reached).
		found := func(function string, explicit bool) bool {
			aliases, err := r.data.clients.Engine().Aliases.ListAliases(ctx, function)
			if err != nil {
				var d diag.Diagnostics
				if errors.Is(err, shift.ErrNotFound) && explicit {
					d.AddAttributeError(path.Root("function_names"), "Function not found",
						fmt.Sprintf("Function %q does not exist in region %s: %v. Check the name and the provider's region.", function, r.data.clients.Region, err))
				} else if errors.Is(err, shift.ErrNotFound) {
					return true // deleted between ListFunctions and ListAliases
				} else {
					d.AddError("Cannot list aliases", fmt.Sprintf("Listing the aliases of function %q failed: %v", function, err))
				}
				return push(list.ListResult{Diagnostics: d})
			}
			sort.Slice(aliases, func(i, j int) bool { return aliases[i].Name < aliases[j].Name })
			for _, a := range aliases {
				if len(wanted) > 0 && !slices.Contains(wanted, a.Name) {
					continue
				}
				result, ok := r.result(ctx, req, function, a)
				if !ok {
					if !push(result) {
						return false
					}
					continue
				}
				if !push(result) {
					return false
				}
				if sent++; req.Limit > 0 && sent >= req.Limit {
					return false
				}
			}
			return true
		}
		if len(functions) > 0 {
			for _, fn := range functions {
				if !found(fn, true) {
					return
				}
			}
			return
		}
		more := true
		err := r.data.clients.EachFunction(ctx, func(name string) bool {
			more = found(name, false)
			return more
		})
		if err != nil && more {
			var d diag.Diagnostics
			d.AddError("Cannot list functions", fmt.Sprintf("Listing the functions of region %s failed: %v", r.data.clients.Region, err))
			push(list.ListResult{Diagnostics: d})
		}
	}
}

// result is one listed alias. ok is false when the alias cannot be managed (it serves
// $LATEST); the result then carries only a warning.
func (r *deploymentListResource) result(ctx context.Context, req list.ListRequest, function string, a shift.Alias) (list.ListResult, bool) {
	name := functionNameOf(function)
	if a.FunctionVersion == "$LATEST" || a.FunctionVersion == "" {
		var d diag.Diagnostics
		d.AddWarning("Alias serves $LATEST: skipped",
			fmt.Sprintf("Alias %s of function %s serves $LATEST, which cannot be released gradually or rolled back to. "+
				"Point it at a published version (aws lambda update-alias --function-version N) and list again to manage it.", a.Name, name))
		return list.ListResult{Diagnostics: d}, false
	}
	result := req.NewListResult(ctx)
	result.DisplayName = fmt.Sprintf("%s:%s → %s", name, a.Name, routingText(a.FunctionVersion, a.Weights))

	id, ok := identityFromARN(name, a.Name, a.ARN)
	if !ok {
		id = deploymentIdentity{
			FunctionName: types.StringValue(name),
			Alias:        types.StringValue(a.Name),
			Region:       types.StringValue(r.data.clients.Region),
			AccountID:    types.StringNull(),
		}
	}
	result.Diagnostics.Append(result.Identity.Set(ctx, id)...)
	if !req.IncludeResource {
		return result, true
	}
	// What an import of this alias records, in code_sha256 mode (as import itself does): the
	// generated configuration pins the code the alias serves, so it plans with nothing to
	// change; the hash of a published version never changes.
	v, err := r.data.clients.Engine().Functions.GetVersion(ctx, function, a.FunctionVersion)
	if err != nil {
		result.Diagnostics.AddError("Cannot read the version an alias serves",
			fmt.Sprintf("Reading version %s of function %s (served by alias %s) failed: %v", a.FunctionVersion, name, a.Name, err))
		return result, true
	}
	set := func(attr string, v any) {
		result.Diagnostics.Append(result.Resource.SetAttribute(ctx, path.Root(attr), v)...)
	}
	set("id", name+":"+a.Name)
	set("function_name", name)
	set("alias", a.Name)
	set("code_sha256", v.CodeSha256)
	set("alarm_poll_interval", shift.DefaultAlarmPollInterval.String())
	set("ignore_alarms", false)
	set("ignore_poll_alarm_failure", false)
	set("previous_version", "")
	set("alias_arn", a.ARN)
	set("invoke_arn", invokeARN(a.ARN))
	set("additional_version_weights", weightsValue(a.Weights))
	return result, true
}

// routingText is how an alias routes traffic, in words: "4", or "4 (10% on 5)".
func routingText(version string, weights map[string]float64) string {
	if len(weights) == 0 {
		return version
	}
	return fmt.Sprintf("%s (%s)", version, weightsText(weights))
}

// weightsText is an alias's additional version weights in words: "10% on 5".
func weightsText(weights map[string]float64) string {
	var parts []string
	for v, w := range weights {
		parts = append(parts, fmt.Sprintf("%s%% on %s", shift.FormatPercent(w*100), v))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
