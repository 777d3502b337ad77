// Package provider is the Terraform glue of terraform-provider-safelambda: schema, plan
// modifiers, CRUD, import and diagnostics. Release logic lives in internal/shift.
package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/awsapi"
)

// Address is the provider's registry address.
const Address = "registry.terraform.io/safelambda/safelambda"

// New returns the provider factory for the given build version.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return &safelambdaProvider{version: version} }
}

type safelambdaProvider struct {
	version string
}

var (
	_ provider.Provider                  = (*safelambdaProvider)(nil)
	_ provider.ProviderWithListResources = (*safelambdaProvider)(nil)
	_ provider.ProviderWithActions       = (*safelambdaProvider)(nil)
)

// providerModel is the provider block.
type providerModel struct {
	Region                 types.String      `tfsdk:"region"`
	Profile                types.String      `tfsdk:"profile"`
	SharedConfigFiles      types.List        `tfsdk:"shared_config_files"`
	SharedCredentialsFiles types.List        `tfsdk:"shared_credentials_files"`
	AccessKey              types.String      `tfsdk:"access_key"`
	SecretKey              types.String      `tfsdk:"secret_key"`
	Token                  types.String      `tfsdk:"token"`
	MaxRetries             types.Int64       `tfsdk:"max_retries"`
	AssumeRole             []assumeRoleModel `tfsdk:"assume_role"`
	Endpoints              []endpointsModel  `tfsdk:"endpoints"`
}

type assumeRoleModel struct {
	RoleARN     types.String         `tfsdk:"role_arn"`
	SessionName types.String         `tfsdk:"session_name"`
	ExternalID  types.String         `tfsdk:"external_id"`
	Duration    timetypes.GoDuration `tfsdk:"duration"`
}

type endpointsModel struct {
	Lambda     types.String `tfsdk:"lambda"`
	CloudWatch types.String `tfsdk:"cloudwatch"`
	STS        types.String `tfsdk:"sts"`
	Events     types.String `tfsdk:"events"`
}

// providerData is what resources receive from Configure.
type providerData struct {
	clients *awsapi.Clients
}

func (p *safelambdaProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "safelambda"
	resp.Version = p.version
}

func (p *safelambdaProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The safelambda provider releases AWS Lambda versions gradually behind an alias, " +
			"watching CloudWatch alarms and running test hooks, and rolls back by itself when a check trips. " +
			"Its settings mirror the `hashicorp/aws` provider's, so they can be copied across; every one is optional, " +
			"and with no provider block the standard AWS credential chain and the SDK's environment variables " +
			"(`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_LAMBDA`, …) apply.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "AWS region. Defaults to `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's region.",
				Validators:          []validator.String{stringvalidator.RegexMatches(regionPattern, "must be an AWS region name such as eu-central-1")},
			},
			"profile": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Named profile from the shared config and credentials files. Defaults to `AWS_PROFILE`.",
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"shared_config_files": schema.ListAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Paths of shared config files (`~` expands to the home directory). Defaults to `~/.aws/config`.",
				Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"shared_credentials_files": schema.ListAttribute{
				Optional:            true,
				ElementType:         types.StringType,
				MarkdownDescription: "Paths of shared credentials files (`~` expands to the home directory). Defaults to `~/.aws/credentials`.",
				Validators:          []validator.List{listvalidator.ValueStringsAre(stringvalidator.LengthAtLeast(1))},
			},
			"access_key": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Static access key ID. Prefer the environment (`AWS_ACCESS_KEY_ID`) or a profile.",
				Validators:          []validator.String{stringvalidator.AlsoRequires(pathRoot("secret_key"))},
			},
			"secret_key": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Static secret access key; requires `access_key`.",
				Validators:          []validator.String{stringvalidator.AlsoRequires(pathRoot("access_key"))},
			},
			"token": schema.StringAttribute{
				Optional:            true,
				Sensitive:           true,
				MarkdownDescription: "Session token for temporary static credentials; requires `access_key` and `secret_key`.",
				Validators:          []validator.String{stringvalidator.AlsoRequires(pathRoot("access_key"), pathRoot("secret_key"))},
			},
			"max_retries": schema.Int64Attribute{
				Optional: true,
				MarkdownDescription: "How many times a throttled (429), failed (5xx) or unreachable request is retried, " +
					"with the SDK's adaptive backoff. Default `25`.",
				Validators: []validator.Int64{int64validator.Between(0, 100)},
			},
		},
		Blocks: map[string]schema.Block{
			"assume_role": schema.ListNestedBlock{
				MarkdownDescription: "Assume an IAM role (through STS) for every call the provider makes.",
				Validators:          []validator.List{listvalidator.SizeAtMost(1)},
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"role_arn": schema.StringAttribute{
							Required:            true,
							MarkdownDescription: "ARN of the role to assume, e.g. `arn:aws:iam::123456789012:role/deployer`.",
							Validators: []validator.String{stringvalidator.RegexMatches(roleARNPattern,
								"must be an IAM role ARN such as arn:aws:iam::123456789012:role/deployer")},
						},
						"session_name": schema.StringAttribute{
							Optional:            true,
							MarkdownDescription: "Session name recorded in CloudTrail (2–64 of `[\\w+=,.@-]`).",
							Validators: []validator.String{stringvalidator.RegexMatches(sessionNamePattern,
								"must be 2-64 characters of letters, digits and +=,.@_-")},
						},
						"external_id": schema.StringAttribute{
							Optional:            true,
							MarkdownDescription: "External ID the role's trust policy requires, if any.",
							Validators:          []validator.String{stringvalidator.LengthBetween(2, 1224)},
						},
						"duration": schema.StringAttribute{
							CustomType:          timetypes.GoDurationType{},
							Optional:            true,
							MarkdownDescription: "Session duration as a Go duration (`1h`, `90m`), between 15m and 12h. Default 15m.",
							Validators:          []validator.String{durationBetween(minRoleDuration, maxRoleDuration)},
						},
					},
				},
			},
			"endpoints": schema.ListNestedBlock{
				MarkdownDescription: "Custom service endpoints: emulators (moto, LocalStack) or VPC endpoints. " +
					"Unset services use `AWS_ENDPOINT_URL_<SERVICE>`, then `AWS_ENDPOINT_URL`, then AWS.",
				Validators: []validator.List{listvalidator.SizeAtMost(1)},
				NestedObject: schema.NestedBlockObject{
					Attributes: map[string]schema.Attribute{
						"lambda":     endpointAttribute("Lambda"),
						"cloudwatch": endpointAttribute("CloudWatch"),
						"sts":        endpointAttribute("STS (used by `assume_role`)"),
						"events":     endpointAttribute("Amazon EventBridge (used by a deployment's `events`; hashicorp/aws calls it `events` too)"),
					},
				},
			},
		},
	}
}

func endpointAttribute(service string) schema.StringAttribute {
	return schema.StringAttribute{
		Optional:            true,
		MarkdownDescription: "Endpoint URL for " + service + ", e.g. `http://127.0.0.1:5000`.",
		Validators:          []validator.String{endpointURL()},
	}
}

func (p *safelambdaProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var m providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	settings, diags := m.settings(ctx, p.version)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	clients, err := awsapi.NewClients(ctx, settings)
	if err != nil {
		resp.Diagnostics.AddError("Cannot configure the safelambda provider", err.Error())
		return
	}
	data := &providerData{clients: clients}
	resp.ResourceData = data
	resp.ListResourceData = data
	resp.ActionData = data
}

func (p *safelambdaProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewDeploymentResource, NewDeploymentGroupResource}
}

func (p *safelambdaProvider) DataSources(context.Context) []func() datasource.DataSource {
	return nil
}

// ListResources serve terraform query (Terraform 1.14+; other CLIs never ask).
func (p *safelambdaProvider) ListResources(context.Context) []func() list.ListResource {
	return []func() list.ListResource{NewDeploymentListResource}
}

// Actions serve terraform apply -invoke (Terraform 1.14+; other CLIs never ask).
func (p *safelambdaProvider) Actions(context.Context) []func() action.Action {
	return []func() action.Action{NewRollbackAction}
}

// providerDataFrom is what Configure hands a resource, list resource or action; nil
// before the provider is configured (validation, early plan).
func providerDataFrom(pd any, diags *diag.Diagnostics) *providerData {
	if pd == nil {
		return nil
	}
	data, ok := pd.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("got %T; this is a bug in the provider, please report it", pd))
		return nil
	}
	return data
}
