package provider

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/awsapi"
)

const (
	minRoleDuration = 15 * time.Minute
	maxRoleDuration = 12 * time.Hour
)

func pathRoot(name string) path.Expression { return path.MatchRoot(name) }

// settings turns the provider block into awsapi.Settings. Unknown values (known only
// after apply) count as unset.
func (m providerModel) settings(ctx context.Context, version string) (awsapi.Settings, diag.Diagnostics) {
	var diags diag.Diagnostics
	s := awsapi.Settings{
		Region:           m.Region.ValueString(),
		Profile:          m.Profile.ValueString(),
		AccessKey:        m.AccessKey.ValueString(),
		SecretKey:        m.SecretKey.ValueString(),
		Token:            m.Token.ValueString(),
		UserAgentName:    "terraform-provider-safelambda",
		UserAgentVersion: version,
	}
	if !m.MaxRetries.IsNull() && !m.MaxRetries.IsUnknown() {
		n := int(m.MaxRetries.ValueInt64())
		s.MaxRetries = &n
	}
	diags.Append(stringList(ctx, m.SharedConfigFiles, &s.SharedConfigFiles)...)
	diags.Append(stringList(ctx, m.SharedCredentialsFiles, &s.SharedCredentialsFiles)...)
	if len(m.AssumeRole) == 1 {
		ar := m.AssumeRole[0]
		s.AssumeRole = &awsapi.AssumeRole{
			RoleARN:     ar.RoleARN.ValueString(),
			SessionName: ar.SessionName.ValueString(),
			ExternalID:  ar.ExternalID.ValueString(),
		}
		if d, ok := goDuration(ar.Duration); ok {
			s.AssumeRole.Duration = d
		}
	}
	if len(m.Endpoints) == 1 {
		e := m.Endpoints[0]
		s.Endpoints = awsapi.Endpoints{
			Lambda:     e.Lambda.ValueString(),
			CloudWatch: e.CloudWatch.ValueString(),
			STS:        e.STS.ValueString(),
		}
	}
	return s, diags
}

func stringList(ctx context.Context, l types.List, into *[]string) diag.Diagnostics {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	return l.ElementsAs(ctx, into, false)
}

// goDuration returns a known, parsable GoDuration's value.
func goDuration(d timetypes.GoDuration) (time.Duration, bool) {
	if d.IsNull() || d.IsUnknown() {
		return 0, false
	}
	v, diags := d.ValueGoDuration()
	if diags.HasError() {
		return 0, false
	}
	return v, true
}

// durationBetweenValidator checks a timetypes.GoDuration attribute's range; the type
// itself already refuses unparsable text.
type durationBetweenValidator struct{ min, max time.Duration }

func durationBetween(least, most time.Duration) validator.String {
	return durationBetweenValidator{min: least, max: most}
}

func (v durationBetweenValidator) Description(context.Context) string {
	if v.max == 0 {
		return fmt.Sprintf("must be a duration of at least %s", v.min)
	}
	return fmt.Sprintf("must be a duration between %s and %s", v.min, v.max)
}

func (v durationBetweenValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v durationBetweenValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	d, err := time.ParseDuration(req.ConfigValue.ValueString())
	if err != nil {
		return // reported by the GoDuration type
	}
	if d < v.min || (v.max > 0 && d > v.max) {
		resp.Diagnostics.AddAttributeError(req.Path, "Duration out of range",
			fmt.Sprintf("%s %s, got %q.", req.Path, v.Description(context.Background()), req.ConfigValue.ValueString()))
	}
}

// endpointURLValidator accepts absolute http(s) URLs with a host.
type endpointURLValidator struct{}

func endpointURL() validator.String { return endpointURLValidator{} }

func (endpointURLValidator) Description(context.Context) string {
	return "must be an absolute http:// or https:// URL with a host, such as http://127.0.0.1:5000"
}

func (v endpointURLValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v endpointURLValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	raw := req.ConfigValue.ValueString()
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid endpoint URL",
			fmt.Sprintf("%s %s, got %q.", req.Path, v.Description(ctx), raw))
	}
}
