package provider

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	actionschema "github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

var (
	_ action.Action              = (*rollbackAction)(nil)
	_ action.ActionWithConfigure = (*rollbackAction)(nil)
)

// NewRollbackAction is the safelambda_rollback action: the incident button that puts an
// alias back on an earlier version, on demand, through the engine's guarded rollback.
func NewRollbackAction() action.Action { return &rollbackAction{} }

type rollbackAction struct {
	data *providerData
}

type rollbackModel struct {
	FunctionName types.String `tfsdk:"function_name"`
	Alias        types.String `tfsdk:"alias"`
	ToVersion    types.String `tfsdk:"to_version"`
	Alarms       types.List   `tfsdk:"alarms"`
}

func (a *rollbackAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_rollback"
}

func (a *rollbackAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	if data := providerDataFrom(req.ProviderData, &resp.Diagnostics); data != nil {
		a.data = data
	}
}

func (a *rollbackAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = actionschema.Schema{
		MarkdownDescription: "Puts a Lambda alias back on an earlier version with no weights, now: " +
			"`terraform apply -invoke=action.safelambda_rollback.<name>` (Terraform 1.14 and later). " +
			"The alias moves through the same guarded rollback a failed release uses (it must still be as found, " +
			"the write carries its RevisionId, the result is read back, and an interrupt cannot leave it half done); " +
			"then `alarms` are read once. Progress is printed as it happens (`alias live: 100% → 4 (was 5)`, `alarms OK`).",
		Attributes: map[string]actionschema.Attribute{
			"function_name": actionschema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name or ARN of the Lambda function, e.g. `safelambda_deployment.api.function_name`.",
				Validators:          []validator.String{stringvalidator.LengthBetween(1, 170)},
			},
			"alias": actionschema.StringAttribute{
				Required:            true,
				MarkdownDescription: "The alias to move back, e.g. `safelambda_deployment.api.alias`.",
				Validators: []validator.String{
					aliasName(),
				},
			},
			"to_version": actionschema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The published version to serve. Default: the version the alias served before. For an alias " +
					"split between versions, that is its primary version (the weighted one is the release being tried); for an alias " +
					"on one version, the version recorded by the release that put it there (every release records in the alias " +
					"description the version it moved the alias off). An alias a rollback already took back stays where it is: " +
					"a second invocation does not move it again. Only where the alias records nothing (an alias released before " +
					"this record existed, moved outside safelambda, or created by a first release) does the rollback fall back to " +
					"the newest published version older than the live one, and then it says so in a warning. " +
					"The progress line names the rule used.",
				Validators: []validator.String{
					stringvalidator.RegexMatches(regexp.MustCompile(`^[0-9]+$`), "must be a published version number such as \"4\" ($LATEST cannot be rolled back to)"),
				},
			},
			"alarms": actionschema.ListAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "CloudWatch alarm names (or ARNs) read once after the move; one still in `ALARM` is reported as a warning (the fault may not be in the release). Typically `safelambda_deployment.api.alarms`.",
				Validators: []validator.List{
					listvalidator.UniqueValues(),
					listvalidator.ValueStringsAre(stringvalidator.LengthBetween(1, 2048)),
				},
			},
		},
	}
}

func (a *rollbackAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m rollbackModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if a.data == nil {
		resp.Diagnostics.AddError("Provider not configured", "The safelambda provider was not configured before the action ran; this is a bug in the provider, please report it.")
		return
	}
	fn, alias := m.FunctionName.ValueString(), m.Alias.ValueString()
	var alarms []string
	if !m.Alarms.IsNull() {
		var given []string
		resp.Diagnostics.Append(m.Alarms.ElementsAs(ctx, &given, false)...)
		for _, n := range given {
			alarms = append(alarms, shift.AlarmName(n))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	progress := func(format string, args ...any) {
		if resp.SendProgress != nil {
			resp.SendProgress(action.InvokeProgressEvent{Message: fmt.Sprintf(format, args...)})
		}
	}

	eng := (&deploymentResource{data: a.data}).engine(ctx, fn, alias)
	log := eng.Observer
	eng.Observer = func(e shift.Event) {
		log(e)
		// Where it goes and by which rule, retries, and a rollback that meets a moved alias
		// are worth seeing as they happen.
		if e.Kind == shift.EventPreflight || e.Kind == shift.EventRollback || e.Kind == shift.EventTrip {
			msg := e.Detail
			if !strings.HasPrefix(msg, "alias ") {
				msg = "alias " + alias + ": " + msg
			}
			progress("%s", msg)
		}
	}
	res, err := eng.Restore(ctx, shift.RestoreRequest{
		Function: fn,
		Alias:    alias,
		Version:  m.ToVersion.ValueString(),
		Alarms:   alarms,
		Timeout:  shift.DefaultRollbackTimeout,
	})
	if err != nil {
		summary := "Rollback did not complete"
		at := path.Empty()
		switch {
		case res.WasVersion != "" && errors.Is(err, shift.ErrNotFound) && m.ToVersion.ValueString() != "":
			at = path.Root("to_version")
		case res.WasVersion == "" && errors.Is(err, shift.ErrNotFound):
			at = path.Root("alias")
		}
		if res.WasVersion == "" || errors.Is(err, shift.ErrNotFound) {
			// A missing alias or version stops the restore before any write.
			summary = "Nothing was rolled back"
		}
		detail := err.Error()
		if res.WasVersion != "" {
			detail += fmt.Sprintf("\n\nWhen the action started, alias %s served %s.", alias, wasText(res))
		}
		if at.Equal(path.Empty()) {
			resp.Diagnostics.AddError(summary, detail)
		} else {
			resp.Diagnostics.AddAttributeError(at, summary, detail)
		}
		return
	}
	if p := res.Previous; p.Rule == shift.PreviousOlder {
		resp.Diagnostics.AddWarning("Rollback target chosen by the fallback rule",
			fmt.Sprintf("Alias %s of function %s records no version it served before, so the rollback went to version %s, %s. "+
				"If that is not the version that served before, run the action again with to_version set.", alias, fn, p.Version, p.Why))
	}
	switch {
	case res.Status == shift.StatusRolledBack:
		progress("alias %s: 100%% → %s (was %s)", alias, res.TargetVersion, wasText(res))
	case res.Previous.Rule == shift.PreviousStay:
		progress("alias %s: already rolled back; stays 100%% on %s, nothing to move", alias, res.TargetVersion)
	default:
		progress("alias %s: already 100%% on %s; nothing to move", alias, res.TargetVersion)
	}
	switch {
	case res.AlarmsRead == 0:
	case res.AlarmsErr != nil && len(res.Firing) == 0:
		progress("alarms not checked: %v", res.AlarmsErr)
		resp.Diagnostics.AddWarning("Alarms could not be read after the rollback",
			fmt.Sprintf("Alias %s of function %s serves %s with no weights, but reading the alarms afterwards failed: %v", alias, fn, res.TargetVersion, res.AlarmsErr))
	case len(res.Firing) > 0:
		var names []string
		for _, s := range res.Firing {
			names = append(names, s.Name)
		}
		verb := "are"
		if len(names) == 1 {
			verb = "is"
		}
		progress("alarms still in ALARM: %s", strings.Join(names, ", "))
		resp.Diagnostics.AddWarning("Alarms still in ALARM after the rollback",
			fmt.Sprintf("Alias %s of function %s serves %s with no weights, and %s %s still in ALARM: the fault may not be in the release, "+
				"or the alarm has not recovered yet (alarms evaluate over their period). Check again in a few minutes.",
				alias, fn, res.TargetVersion, strings.Join(names, ", "), verb))
	default:
		progress("alarms OK (%d read, none in ALARM)", res.AlarmsRead)
	}
}

// wasText is the routing the alias had before the move: "5", or "4, 10% on 5".
func wasText(r shift.Restored) string {
	if len(r.WasWeights) == 0 {
		return r.WasVersion
	}
	return r.WasVersion + ", " + weightsText(r.WasWeights)
}
