package provider

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/awsapi"
)

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
			Events:     e.Events.ValueString(),
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
