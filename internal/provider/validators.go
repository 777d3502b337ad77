package provider

import (
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"

	"context"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// The provider block's checks, in one place. The resource's inputs are checked by the
// engine (shift.Config.Resolve), not here.

const (
	minRoleDuration = 15 * time.Minute
	maxRoleDuration = 12 * time.Hour
)

var (
	roleARNPattern     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	regionPattern      = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
)

func pathRoot(name string) path.Expression { return path.MatchRoot(name) }

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

// aliasNameValidator applies the engine's alias-name rule to attributes outside the
// deployment resource (the list resource's filter, the rollback action).
type aliasNameValidator struct{}

func aliasName() validator.String { return aliasNameValidator{} }

func (aliasNameValidator) Description(context.Context) string {
	return "must be 1 to 128 letters, digits, '-' or '_', and not all digits"
}

func (v aliasNameValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (aliasNameValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if detail := shift.AliasNameProblem(req.ConfigValue.ValueString()); detail != "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid alias name", req.Path.String()+" "+detail)
	}
}
