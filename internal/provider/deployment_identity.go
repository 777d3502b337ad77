package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

var _ resource.ResourceWithIdentity = (*deploymentResource)(nil)

// deploymentIdentity names the alias a safelambda_deployment manages, independent of how
// the configuration spells the function (name or ARN). Region and account make it
// unambiguous across provider configurations; they come from the alias ARN.
type deploymentIdentity struct {
	FunctionName types.String `tfsdk:"function_name"`
	Alias        types.String `tfsdk:"alias"`
	Region       types.String `tfsdk:"region"`
	AccountID    types.String `tfsdk:"account_id"`
}

func (r *deploymentResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"function_name": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "Name of the Lambda function (a plain name, even when the configuration gives an ARN).",
			},
			"alias": identityschema.StringAttribute{
				RequiredForImport: true,
				Description:       "Name of the alias.",
			},
			"region": identityschema.StringAttribute{
				OptionalForImport: true,
				Description:       "Region of the function. Defaults to the provider's region; an import naming another region is refused.",
			},
			"account_id": identityschema.StringAttribute{
				OptionalForImport: true,
				Description:       "AWS account of the function. An import naming an account other than the one the provider's credentials reach is refused.",
			},
		},
	}
}

// functionNameOf reduces a function ARN (qualified or not) to the function's name; a
// plain name is returned as given.
func functionNameOf(function string) string {
	if ref, ok := shift.ParseFunction(function); ok && ref.Name != "" {
		return ref.Name
	}
	return function
}

// identityFromARN builds the identity of alias on function from the alias ARN Lambda
// returned. ok is false when the ARN is empty or unparsable: the caller then keeps the
// identity it had, since an identity must not change once recorded.
func identityFromARN(function, alias, aliasARN string) (deploymentIdentity, bool) {
	a, err := arn.Parse(aliasARN)
	if aliasARN == "" || err != nil {
		return deploymentIdentity{}, false
	}
	return deploymentIdentity{
		FunctionName: types.StringValue(functionNameOf(function)),
		Alias:        types.StringValue(alias),
		Region:       types.StringValue(a.Region),
		AccountID:    types.StringValue(a.AccountID),
	}, true
}

// setIdentity records the identity of the alias in state's model, when its ARN is known.
// identity is nil under Terraform versions that do not support resource identity.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, m deploymentModel, diags *diag.Diagnostics) {
	if identity == nil {
		return
	}
	id, ok := identityFromARN(m.FunctionName.ValueString(), m.Alias.ValueString(), m.AliasARN.ValueString())
	if !ok {
		return
	}
	diags.Append(identity.Set(ctx, id)...)
}

// importTarget says which alias an import names: "<function>:<alias>" (the function may
// be an ARN) or an identity. region, when the identity gives one, must be the provider's;
// account is checked by checkImportedAccount once the alias has been read.
func (r *deploymentResource) importTarget(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics) (fn, alias string) {
	if req.ID != "" || req.Identity == nil || req.Identity.Raw.IsNull() {
		i := strings.LastIndex(req.ID, ":")
		if i <= 0 || i == len(req.ID)-1 {
			diags.AddError("Invalid import ID",
				fmt.Sprintf("Expected <function_name>:<alias> (the function may be an ARN), got %q. "+
					"Example: terraform import safelambda_deployment.api orders-api:live, or an import block with "+
					"identity = { function_name = \"orders-api\", alias = \"live\" }", req.ID))
			return "", ""
		}
		return req.ID[:i], req.ID[i+1:]
	}
	var id deploymentIdentity
	diags.Append(req.Identity.Get(ctx, &id)...)
	if diags.HasError() {
		return "", ""
	}
	fn, alias = id.FunctionName.ValueString(), id.Alias.ValueString()
	if fn == "" || alias == "" {
		diags.AddAttributeError(path.Root("identity"), "Incomplete import identity",
			"identity needs function_name and alias, e.g. identity = { function_name = \"orders-api\", alias = \"live\" }.")
		return "", ""
	}
	if want := id.Region.ValueString(); want != "" && r.data != nil && r.data.clients.Region != "" && want != r.data.clients.Region {
		diags.AddAttributeError(path.Root("identity").AtName("region"), "Import identity in another region",
			fmt.Sprintf("The identity names region %s, but this provider configuration works in %s. "+
				"Import with a provider configuration for %s (provider = safelambda.<alias>), or drop region from the identity.",
				want, r.data.clients.Region, want))
		return "", ""
	}
	return functionNameOf(fn), alias
}

// checkImportedAccount refuses an identity import whose account_id is not the account the
// alias was found in: the credentials reach another account than the one meant.
func checkImportedAccount(ctx context.Context, prior *tfsdk.ResourceIdentity, aliasARN string, diags *diag.Diagnostics) {
	if prior == nil || prior.Raw.IsNull() || aliasARN == "" {
		return
	}
	var id deploymentIdentity
	if d := prior.Get(ctx, &id); d.HasError() {
		return
	}
	a, err := arn.Parse(aliasARN)
	if err != nil || id.AccountID.IsNull() || id.AccountID.ValueString() == "" || id.AccountID.ValueString() == a.AccountID {
		return
	}
	diags.AddError("Alias found in another account",
		fmt.Sprintf("The identity names account %s, but alias %s of function %s was found in account %s with this provider's credentials. "+
			"Nothing was changed. Use credentials (or assume_role) for account %s.",
			id.AccountID.ValueString(), id.Alias.ValueString(), id.FunctionName.ValueString(), a.AccountID, id.AccountID.ValueString()))
}
