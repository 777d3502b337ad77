package shift

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Defaults and limits of a release, in one place.
const (
	// DefaultAlarmPollInterval is used when Release.AlarmPollInterval is zero.
	DefaultAlarmPollInterval = 10 * time.Second
	// MinDurationUnit is the shortest interval, hold or poll interval accepted.
	MinDurationUnit = time.Second
	// MinP99Duration is the smallest max_p99_duration accepted.
	MinP99Duration = time.Millisecond
	// DefaultApplyTimeout bounds a create or update (one release) when timeouts says nothing.
	DefaultApplyTimeout = 60 * time.Minute
	// DefaultDeleteTimeout bounds a destroy when timeouts says nothing.
	DefaultDeleteTimeout = 5 * time.Minute
)

// FieldError is invalid input, found without calling AWS. Path is rooted at the resource:
// string elements are attribute names, int elements list indexes, e.g.
// []any{"traffic_shift", "steps", 2, "percentage"}.
type FieldError struct {
	Path    []any
	Summary string
	Detail  string
}

func (e FieldError) Error() string {
	if len(e.Path) == 0 {
		return e.Summary + ": " + e.Detail
	}
	return fmt.Sprintf("%s: %s: %s", FormatPath(e.Path), e.Summary, e.Detail)
}

// FormatPath prints a FieldError path the way Terraform does: traffic_shift.steps[2].percentage.
func FormatPath(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		default:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			fmt.Fprint(&b, p)
		}
	}
	return b.String()
}

var (
	aliasNameRE    = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	allDigitsRE    = regexp.MustCompile(`^[0-9]+$`)
	versionRE      = regexp.MustCompile(`^[1-9][0-9]*$`)
	functionNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	accountRE      = regexp.MustCompile(`^[0-9]{12}$`)
	hexSha256RE    = regexp.MustCompile(`^[0-9a-fA-F]{64}$`)
	md5HexRE       = regexp.MustCompile(`^"?[0-9a-fA-F]{32}"?$`)
)

// ValidateRelease checks a Release built by hand (the engine's own guard before it
// touches AWS): the alias name, what to release, the poll interval, the alarm list, the
// metric gates and keep_versions. The provider checks the configuration with
// Config.Resolve, which applies these same rules and more to what the user wrote.
func ValidateRelease(r Release) []FieldError {
	return append(validateWhat(r), validateRelease(r, func([]any) bool { return false })...)
}

// validateRelease applies the rules on a Release to its known parts: unknown(path)
// reports whether the input at path is not known yet, and its rules wait.
func validateRelease(r Release, unknown func([]any) bool) []FieldError {
	var errs []FieldError
	add := func(path []any, summary, detail string, args ...any) {
		errs = append(errs, FieldError{Path: path, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
	}

	if !unknown([]any{"function_name"}) && strings.TrimSpace(r.Function) == "" {
		add([]any{"function_name"}, "Missing function name", "function_name must name a Lambda function: write its name (\"orders-api\") or its unqualified ARN")
	}

	if !unknown([]any{"alias"}) {
		if detail := AliasNameProblem(r.Alias); detail != "" {
			add([]any{"alias"}, "Invalid alias name", "alias %s", detail)
		}
	}

	if !unknown([]any{"alarm_poll_interval"}) && r.AlarmPollInterval != 0 && r.AlarmPollInterval < MinDurationUnit {
		add([]any{"alarm_poll_interval"}, "Poll interval too short",
			"alarm_poll_interval must be at least 1s, got %s: write a Go duration such as \"10s\"", r.AlarmPollInterval)
	}

	if !unknown([]any{"alarms"}) {
		seen := map[string]int{}
		for i, a := range r.Alarms {
			at := []any{"alarms", i}
			if unknown(at) {
				continue
			}
			name := AlarmName(a)
			if strings.TrimSpace(name) == "" {
				add(at, "Empty alarm name", "alarms[%d] is empty: write a CloudWatch alarm name or ARN", i)
				continue
			}
			if j, dup := seen[name]; dup {
				add(at, "Duplicated alarm",
					"alarms[%d] (%q) names the same alarm as alarms[%d] (%q): list each alarm once", i, a, j, r.Alarms[j])
				continue
			}
			seen[name] = i
		}
	}

	if g := r.MetricGates; g != nil {
		at := func(name string) []any { return []any{"metric_gates", name} }
		if v := g.MaxErrorRate; v != nil && !unknown(at("max_error_rate")) && !(*v >= 0 && *v <= 1) {
			add(at("max_error_rate"), "Invalid max_error_rate",
				"max_error_rate is a fraction of invocations from 0 to 1, got %v: write 0.01 for 1%%", *v)
		}
		if v := g.MaxP99Duration; v != nil && !unknown(at("max_p99_duration")) && *v < MinP99Duration {
			add(at("max_p99_duration"), "Invalid max_p99_duration", "max_p99_duration must be at least %s, got %s: write a Go duration such as \"800ms\"", MinP99Duration, *v)
		}
		if c := g.Confidence; c != 0 && !unknown(at("confidence")) && !(c > 0.5 && c < 1) {
			add(at("confidence"), "Invalid confidence",
				"confidence must be greater than 0.5 and less than 1, got %v: write 0.95 to trip when a worse canary is less than 5%% likely to be luck", c)
		}
		if g.MinInvocations < 0 && !unknown(at("min_invocations")) {
			add(at("min_invocations"), "Invalid min_invocations", "min_invocations must be 0 (no minimum) or more, got %d", g.MinInvocations)
		}
	}

	errs = append(errs, validateApproval(r.Approval)...)

	if problem := TrafficArrivesViaProblem(r.TrafficArrivesVia); problem != "" && !unknown([]any{"traffic_arrives_via"}) {
		add([]any{"traffic_arrives_via"}, "Invalid traffic_arrives_via", "traffic_arrives_via %s", problem)
	}

	if r.KeepVersions < 0 && !unknown([]any{"keep_versions"}) {
		add([]any{"keep_versions"}, "Invalid keep_versions", "keep_versions must be at least 1 (or unset to keep every version), got %d", r.KeepVersions)
	}
	return errs
}

// validateWhat checks what to release on a hand-built Release: exactly one of CodeSha256
// and Version, never $LATEST.
func validateWhat(r Release) []FieldError {
	switch {
	case r.CodeSha256 != "" && r.Version != "":
		return []FieldError{conflictingWhat()}
	case r.CodeSha256 == "" && r.Version == "":
		return []FieldError{nothingToRelease()}
	case r.Version != "":
		if e, bad := checkVersion(r.Version); bad {
			return []FieldError{e}
		}
	}
	return nil
}

func conflictingWhat() FieldError {
	return FieldError{Path: []any{"version"}, Summary: "Conflicting code_sha256 and version",
		Detail: "set either code_sha256 (publish $LATEST guarded by its hash) or version (release an already published version), not both: remove one of them"}
}

func nothingToRelease() FieldError {
	return FieldError{Path: []any{"code_sha256"}, Summary: "Nothing to release",
		Detail: "set code_sha256 (publish $LATEST guarded by its hash, e.g. code_sha256 = aws_lambda_function.x.source_code_hash) " +
			"or version (release an already published version, e.g. version = aws_lambda_function.x.version with publish = true)"}
}

func checkVersion(v string) (FieldError, bool) {
	at := []any{"version"}
	switch {
	case v == "$LATEST":
		return FieldError{Path: at, Summary: "Unpublished version",
			Detail: "version must be a published version number, got \"$LATEST\": $LATEST cannot be released behind a weighted alias; use code_sha256 to publish it"}, true
	case !versionRE.MatchString(v):
		return FieldError{Path: at, Summary: "Invalid version",
			Detail: fmt.Sprintf("version must be a published version number (1, 2, …), got %q: write version = aws_lambda_function.x.version with publish = true on the function", v)}, true
	}
	return FieldError{}, false
}

// AlarmName reduces an alarm ARN (arn:aws:cloudwatch:region:account:alarm:NAME) to NAME;
// anything else is returned unchanged. Alarm names may themselves contain ':'.
func AlarmName(s string) string {
	if a, ok := alarmARN(s); ok {
		return strings.TrimPrefix(a.Resource, "alarm:")
	}
	return s
}

func alarmARN(s string) (arn.ARN, bool) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "cloudwatch" || !strings.HasPrefix(a.Resource, "alarm:") {
		return arn.ARN{}, false
	}
	return a, true
}

// FunctionRef is a function_name taken apart: a plain name, a partial ARN
// (123456789012:function:NAME) or a full ARN.
type FunctionRef struct {
	Name      string
	Account   string // "" when not given
	Region    string // "" when not given
	Qualifier string // a version or alias after the name; never valid in function_name
}

// ParseFunction takes a function_name apart; ok is false when it is none of the forms
// Lambda accepts.
func ParseFunction(s string) (FunctionRef, bool) {
	if strings.HasPrefix(s, "arn:") {
		a, err := arn.Parse(s)
		if err != nil || a.Service != "lambda" {
			return FunctionRef{}, false
		}
		parts := strings.Split(a.Resource, ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] != "function" {
			return FunctionRef{}, false
		}
		ref := FunctionRef{Name: parts[1], Account: a.AccountID, Region: a.Region}
		if len(parts) == 3 {
			ref.Qualifier = parts[2]
		}
		return ref, functionNameRE.MatchString(ref.Name) && accountRE.MatchString(ref.Account) && ref.Region != ""
	}
	parts := strings.Split(s, ":")
	var ref FunctionRef
	switch {
	case len(parts) == 1:
		ref.Name = parts[0]
	case len(parts) == 2:
		ref.Name, ref.Qualifier = parts[0], parts[1]
	case (len(parts) == 3 || len(parts) == 4) && parts[1] == "function":
		ref.Account, ref.Name = parts[0], parts[2]
		if len(parts) == 4 {
			ref.Qualifier = parts[3]
		}
		if !accountRE.MatchString(ref.Account) {
			return FunctionRef{}, false
		}
	default:
		return FunctionRef{}, false
	}
	return ref, functionNameRE.MatchString(ref.Name)
}

// SameFunction reports whether two function_name values name one function: the same name,
// and the same account and region wherever both say one. Switching between a name and an
// ARN of one function must not replace the resource (that would delete the live alias).
func SameFunction(a, b string) bool {
	if a == b {
		return true
	}
	x, ok1 := ParseFunction(a)
	y, ok2 := ParseFunction(b)
	if !ok1 || !ok2 || x.Qualifier != "" || y.Qualifier != "" || x.Name != y.Name {
		return false
	}
	if x.Account != "" && y.Account != "" && x.Account != y.Account {
		return false
	}
	return x.Region == "" || y.Region == "" || x.Region == y.Region
}

// checkFunction refuses a function_name Lambda would not take, or one that names a
// version or alias: the alias this resource manages belongs in alias.
func checkFunction(s string) (FieldError, bool) {
	at := []any{"function_name"}
	ref, ok := ParseFunction(s)
	switch {
	case strings.TrimSpace(s) == "":
		return FieldError{Path: at, Summary: "Missing function name",
			Detail: "function_name must name a Lambda function: write its name (\"orders-api\") or its unqualified ARN"}, true
	case ok && ref.Qualifier != "":
		return FieldError{Path: at, Summary: "Qualified function name",
			Detail: fmt.Sprintf("function_name %q names %s %q of function %q: write the function alone (function_name = %q) and put the alias in alias",
				s, qualifierKind(ref.Qualifier), ref.Qualifier, ref.Name, ref.Name)}, true
	case !ok:
		return FieldError{Path: at, Summary: "Invalid function name",
			Detail: fmt.Sprintf("function_name must be a function name of 1 to 64 letters, digits, '-' or '_', a partial ARN "+
				"(123456789012:function:NAME) or a full ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME), got %q", s)}, true
	}
	return FieldError{}, false
}

func qualifierKind(q string) string {
	if q == "$LATEST" || allDigitsRE.MatchString(q) {
		return "version"
	}
	return "alias"
}

// NormalizeCodeSha256 is the one rule for code_sha256: it returns the hash in the form
// Lambda reports and compares, and ok=false when s is no such hash. Lambda reports a zip
// package's CodeSha256 as the base64 SHA-256 of the zip (kept as written), and a container
// image's as the image's digest in lowercase hex (it equals the digest in
// Code.ResolvedImageUri): a digest written "sha256:…" (as ECR and aws_ecr_image give it) or
// in upper case is brought to that form.
func NormalizeCodeSha256(s string) (string, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return s, true
	}
	digest := s
	if len(digest) > len(digestPrefix) && strings.EqualFold(digest[:len(digestPrefix)], digestPrefix) {
		digest = digest[len(digestPrefix):]
	}
	if hexSha256RE.MatchString(digest) {
		return strings.ToLower(digest), true
	}
	return "", false
}

// SameCodeSha256 reports whether two code_sha256 values name the same code: equal once
// normalised (a digest with and without "sha256:" is one digest). Values that are no hash
// are compared as written.
func SameCodeSha256(a, b string) bool {
	return canonicalCodeSha256(a) == canonicalCodeSha256(b)
}

// canonicalCodeSha256 is s normalised, or s itself when it is no hash (validation refuses
// it with the reason).
func canonicalCodeSha256(s string) string {
	if n, ok := NormalizeCodeSha256(s); ok {
		return n
	}
	return s
}

// digestPrefix is how ECR, Docker and aws_ecr_image write an image digest.
const digestPrefix = "sha256:"

// codeSha256Forms is what code_sha256 takes, for error messages.
const codeSha256Forms = "the hash Lambda reports for the function's code: for a zip package the base64 SHA-256 of the zip " +
	"(44 characters ending in '=': filebase64sha256(\"lambda.zip\") or aws_lambda_function.x.source_code_hash), " +
	"for a container image the image digest (64 hex characters, \"sha256:\" optional: aws_ecr_image.x.image_digest)"

// checkCodeSha256 refuses what is neither form NormalizeCodeSha256 takes, with a hint for
// the values people write by mistake: an image URI, an MD5 (an S3 ETag), a hash of text.
func checkCodeSha256(s string) (FieldError, bool) {
	if _, ok := NormalizeCodeSha256(s); ok {
		return FieldError{}, false
	}
	at := []any{"code_sha256"}
	detail := fmt.Sprintf("code_sha256 must be %s, got %q", codeSha256Forms, s)
	switch {
	case s == "":
		detail = "code_sha256 is empty: write code_sha256 = filebase64sha256(\"lambda.zip\") or aws_lambda_function.x.source_code_hash " +
			"(a zip), or the image digest (a container image), or remove it and set version"
	case strings.Contains(s, "@"):
		_, digest, _ := strings.Cut(s, "@")
		detail = fmt.Sprintf("code_sha256 is an image URI, got %q: write its digest alone (%q), e.g. code_sha256 = aws_ecr_image.x.image_digest "+
			"and image_uri = aws_ecr_image.x.image_uri on the function", s, digest)
	case len(s) > len(digestPrefix) && strings.EqualFold(s[:len(digestPrefix)], digestPrefix):
		detail = fmt.Sprintf("code_sha256 starts with \"sha256:\", which only an image digest does, but %q is not 64 hex characters after it: "+
			"write the image digest (aws_ecr_image.x.image_digest), or, for a zip, its base64 SHA-256 without prefix (44 characters ending in '=': filebase64sha256(\"lambda.zip\"))", s)
	case strings.Contains(s, ".dkr.ecr.") || strings.Contains(s, "/") && strings.Contains(s, ":"):
		detail = fmt.Sprintf("code_sha256 looks like an image reference, got %q: an image pinned by tag has no digest to compare; "+
			"pin the image by digest (image_uri = aws_ecr_image.x.image_uri) and write code_sha256 = aws_ecr_image.x.image_digest", s)
	case md5HexRE.MatchString(s):
		detail = fmt.Sprintf("code_sha256 is 32 hex characters, got %q: an MD5 such as an S3 object's ETag is not the SHA-256 Lambda compares; "+
			"write filebase64sha256(\"lambda.zip\"), or see the guide on S3 packages for a checksum S3 computes (checksum_sha256 is that base64 SHA-256)", s)
	}
	return FieldError{Path: at, Summary: "Invalid code_sha256", Detail: detail}, true
}

// codeSha256Mismatch says why code_sha256 matches nothing when the two hashes are of
// different kinds: a hex digest against a zip function (filesha256 where filebase64sha256
// was meant) or a base64 hash against a container image.
func codeSha256Mismatch(want, latest string) string {
	wantHex, latestHex := hexSha256RE.MatchString(want), hexSha256RE.MatchString(latest)
	switch {
	case wantHex && !latestHex:
		raw, _ := hex.DecodeString(want)
		return fmt.Sprintf("The function is a zip package, whose hash Lambda reports in base64, and code_sha256 is a hex digest (as filesha256 gives; in base64 it is %q): "+
			"write filebase64sha256(\"lambda.zip\") instead of filesha256(\"lambda.zip\"), or aws_lambda_function.x.source_code_hash.",
			base64.StdEncoding.EncodeToString(raw))
	case !wantHex && latestHex:
		return "The function is a container image, whose hash Lambda reports as the image digest (64 hex characters), and code_sha256 is a base64 hash: " +
			"write the digest of the image to release, e.g. code_sha256 = aws_ecr_image.x.image_digest with image_uri pinned by that digest."
	}
	return "Deploy the code with that hash to the function first (aws_lambda_function with source_code_hash = filebase64sha256(the zip), " +
		"or image_uri pinned by the digest), or set code_sha256 to the hash of the code to release."
}

// Config is a release as the user configured it, before anything is resolved: durations
// as written, optional values nil when unset. At plan time some values are not known yet
// (for_each keys, references to resources not yet created, whole objects from variables);
// Unknown holds their paths as FormatPath prints them ("alarms[1]", "traffic_shift",
// "timeouts.update"), and every rule that needs one of them waits.
type Config struct {
	Function    string
	Alias       string
	CodeSha256  *string
	Version     *string
	Description *string

	Shift *ShiftConfig

	Alarms                 []string
	AlarmPollInterval      *string
	IgnoreAlarms           bool
	IgnorePollAlarmFailure bool

	Hooks       *HooksConfig
	Approval    *ApprovalConfig
	MetricGates *MetricGatesConfig
	Events      *EventsConfig
	// KeepVersions is nil when unset.
	KeepVersions *int64
	// TrafficArrivesVia is nil when unset (see wiring.go).
	TrafficArrivesVia *string

	// Timeouts are the create, update and delete timeouts as written; unset ones are absent.
	Timeouts map[string]string

	// ReleaseConfiguration is release_configuration (nil: unset, true by default);
	// ConfigurationSha256 is configuration_sha256 as written (see resolveConfiguration).
	ReleaseConfiguration *bool
	ConfigurationSha256  *string

	Unknown map[string]bool

	// Region is where the provider works, "" when not known (validation without a
	// configured provider); alarms named by ARN must be there.
	Region string
}

// ShiftConfig is traffic_shift as written. StepsSet tells `steps = []` from no steps.
type ShiftConfig struct {
	Preset   *string
	Canary   *IntervalConfig
	Linear   *IntervalConfig
	Steps    []StepConfig
	StepsSet bool
}

// IntervalConfig is a canary or linear block as written.
type IntervalConfig struct {
	Percentage float64
	Interval   string
}

// StepConfig is one element of steps as written.
type StepConfig struct {
	Percentage float64
	Hold       string
}

// HooksConfig is hooks as written; nil fields are unset.
type HooksConfig struct {
	PreTraffic  *string
	PostTraffic *string
}

// MetricGatesConfig is metric_gates as written; nil fields are unset.
type MetricGatesConfig struct {
	MaxErrorRate      *float64
	MaxP99Duration    *string
	CompareToBaseline *bool
	Confidence        *float64
	MinInvocations    *int64
	ArrivalDelay      *string
}

// AliasNameProblem says what is wrong with an alias name ("must be …: write …"), or ""
// when Lambda accepts it. Every attribute that names an alias is checked with it.
func AliasNameProblem(name string) string {
	switch {
	case name == "":
		return "must not be empty: write 1 to 128 letters, digits, '-' or '_', such as \"live\""
	case !aliasNameRE.MatchString(name):
		return fmt.Sprintf("must be 1 to 128 letters, digits, '-' or '_', got %q: write a name such as \"live\"", name)
	case allDigitsRE.MatchString(name):
		return fmt.Sprintf("must not be all digits, got %q: Lambda reserves numbers for versions; write a name such as \"live\"", name)
	}
	return ""
}

// Resolved is a Config turned into a Release, with the operation timeouts.
type Resolved struct {
	Release Release
	// Complete is true when everything Describe needs is known: the schedule text can be
	// planned.
	Complete bool

	CreateTimeout, UpdateTimeout time.Duration
}

// misspelled explains why an empty object is refused: Terraform drops unknown keys of an
// object value, so a misspelled key arrives as an empty object that would otherwise
// release with no canary, hook or gate without a word.
const misspelled = " A misspelled key is dropped by Terraform and lands here."

// Resolve checks a configuration and builds the Release it asks for. It is the one place
// that decides what a valid release is: every error names the attribute path at fault and
// says what to write instead. Rules that need a value not known yet wait; Resolved.Complete
// says whether the Release is whole.
func (c Config) Resolve() (Resolved, []FieldError) {
	var errs []FieldError
	unknown := func(path []any) bool {
		if len(c.Unknown) == 0 {
			return false
		}
		for i := 1; i <= len(path); i++ {
			if c.Unknown[FormatPath(path[:i])] {
				return true
			}
		}
		return false
	}
	fail := func(e FieldError) { errs = append(errs, e) }
	out := Resolved{Complete: true, CreateTimeout: DefaultApplyTimeout, UpdateTimeout: DefaultApplyTimeout}
	r := &out.Release
	r.Function, r.Alias = c.Function, c.Alias
	r.IgnoreAlarms, r.IgnorePollAlarmFailure = c.IgnoreAlarms, c.IgnorePollAlarmFailure
	if unknown([]any{"ignore_alarms"}) {
		out.Complete = false
	}

	if !unknown([]any{"function_name"}) {
		if e, bad := checkFunction(c.Function); bad {
			fail(e)
		}
	}

	// What to release.
	shaUnknown, versionUnknown := unknown([]any{"code_sha256"}), unknown([]any{"version"})
	switch {
	case c.CodeSha256 != nil && c.Version != nil:
		fail(conflictingWhat())
	case c.CodeSha256 == nil && c.Version == nil && !shaUnknown && !versionUnknown:
		fail(nothingToRelease())
	case c.CodeSha256 != nil && !shaUnknown:
		if e, bad := checkCodeSha256(*c.CodeSha256); bad {
			fail(e)
		}
		r.CodeSha256 = canonicalCodeSha256(*c.CodeSha256)
	case c.Version != nil && !versionUnknown:
		if e, bad := checkVersion(*c.Version); bad {
			fail(e)
		}
		r.Version = *c.Version
	}
	if c.Description != nil && !unknown([]any{"description"}) {
		switch {
		case c.Version != nil:
			fail(FieldError{Path: []any{"description"}, Summary: "description is not used in version mode",
				Detail: "description is written on the version a code_sha256 release publishes; a version release publishes nothing, so it would be ignored: " +
					"remove description, or set the version's description on aws_lambda_function"})
		case len(*c.Description) > 256:
			fail(FieldError{Path: []any{"description"}, Summary: "description too long",
				Detail: fmt.Sprintf("description may hold at most 256 characters (Lambda's limit for a version), got %d: shorten it", len(*c.Description))})
		default:
			r.Description = *c.Description
		}
	}

	// The schedule.
	sched, complete, serrs := c.resolveShift(unknown)
	errs = append(errs, serrs...)
	r.Schedule = sched
	out.Complete = out.Complete && complete

	// Alarms and the poll interval.
	r.AlarmPollInterval = DefaultAlarmPollInterval
	if c.AlarmPollInterval != nil {
		if unknown([]any{"alarm_poll_interval"}) {
			out.Complete = false
		} else if d, e, bad := parseDuration([]any{"alarm_poll_interval"}, *c.AlarmPollInterval, "10s"); bad {
			fail(e)
		} else {
			r.AlarmPollInterval = d
		}
	}
	if unknown([]any{"alarms"}) {
		out.Complete = false
	}
	for i, a := range c.Alarms {
		if unknown([]any{"alarms", i}) {
			r.Alarms = append(r.Alarms, "")
			continue
		}
		if arnOf, ok := alarmARN(a); ok && c.Region != "" && arnOf.Region != c.Region {
			fail(FieldError{Path: []any{"alarms", i}, Summary: "Alarm in another region",
				Detail: fmt.Sprintf("alarms[%d] is an alarm in %s, but this provider works in %s and CloudWatch alarms are read in their own region: "+
					"name an alarm in %s, or use a provider configured for %s", i, arnOf.Region, c.Region, c.Region, arnOf.Region)})
		}
		if ref, ok := ParseFunction(c.Function); ok && !unknown([]any{"function_name"}) {
			if arnOf, isARN := alarmARN(a); isARN && ref.Account != "" && arnOf.AccountID != ref.Account {
				fail(FieldError{Path: []any{"alarms", i}, Summary: "Alarm in another account",
					Detail: fmt.Sprintf("alarms[%d] is an alarm of account %s, but the function belongs to account %s and alarms are read with its credentials: "+
						"name an alarm of account %s", i, arnOf.AccountID, ref.Account, ref.Account)})
			}
		}
		r.Alarms = append(r.Alarms, AlarmName(a))
	}

	// Hooks.
	if h := c.Hooks; h != nil {
		if unknown([]any{"hooks"}) {
			out.Complete = false
		} else {
			if h.PreTraffic == nil && h.PostTraffic == nil && !unknown([]any{"hooks", "pre_traffic"}) && !unknown([]any{"hooks", "post_traffic"}) {
				fail(FieldError{Path: []any{"hooks"}, Summary: "Empty hooks",
					Detail: "hooks needs pre_traffic, post_traffic or both: omit hooks for none." + misspelled})
			}
			for _, hook := range []struct {
				name string
				v    *string
				into *string
			}{{"pre_traffic", h.PreTraffic, &r.PreTrafficHook}, {"post_traffic", h.PostTraffic, &r.PostTrafficHook}} {
				at := []any{"hooks", hook.name}
				if unknown(at) {
					out.Complete = false
					*hook.into = "(known after apply)"
					continue
				}
				if hook.v == nil {
					continue
				}
				if e, bad := checkFunction(*hook.v); bad {
					e.Path = at
					e.Detail = strings.ReplaceAll(e.Detail, "function_name", "hooks."+hook.name)
					if strings.Contains(e.Detail, "put the alias in alias") {
						e.Detail = strings.Replace(e.Detail, "and put the alias in alias", "(a hook is invoked at $LATEST; give the function alone)", 1)
					}
					fail(e)
				}
				*hook.into = *hook.v
			}
		}
	}

	// Approval (approval.go).
	approvalComplete := !unknown([]any{"approval"})
	if c.Approval != nil {
		var steps *bool
		if complete {
			has := len(r.Schedule.Steps) > 0
			steps = &has
		}
		a, acomplete, aerrs := resolveApproval(c.Approval, steps, unknown)
		errs = append(errs, aerrs...)
		r.Approval, approvalComplete = a, acomplete
	}
	out.Complete = out.Complete && approvalComplete

	// Metric gates.
	if g := c.MetricGates; g != nil {
		gates, complete, gerrs := resolveGates(g, unknown)
		errs = append(errs, gerrs...)
		r.MetricGates = gates
		out.Complete = out.Complete && complete
	}

	errs = append(errs, resolveEvents(c.Events, c.Region, unknown, r)...)
	// Configuration releases.
	errs = append(errs, c.resolveConfiguration(r, unknown)...)

	if c.KeepVersions != nil && !unknown([]any{"keep_versions"}) {
		if *c.KeepVersions < 1 {
			fail(FieldError{Path: []any{"keep_versions"}, Summary: "Invalid keep_versions",
				Detail: fmt.Sprintf("keep_versions must be at least 1, got %d: remove it to keep every version", *c.KeepVersions)})
		} else {
			r.KeepVersions = int(*c.KeepVersions)
		}
	}

	if v := c.TrafficArrivesVia; v != nil && !unknown([]any{"traffic_arrives_via"}) {
		if problem := TrafficArrivesViaProblem(*v); problem != "" {
			fail(FieldError{Path: []any{"traffic_arrives_via"}, Summary: "Invalid traffic_arrives_via", Detail: "traffic_arrives_via " + problem})
		} else {
			r.TrafficArrivesVia = *v
		}
	}

	// The rules shared with hand-built releases (alias, poll interval, alarms, gates).
	for _, e := range validateRelease(*r, unknown) {
		if len(e.Path) > 0 && (e.Path[0] == "function_name" || e.Path[0] == "keep_versions" || e.Path[0] == "approval") {
			continue // checked above with the configuration's own words
		}
		if len(e.Path) > 1 && e.Path[0] == "metric_gates" && e.Path[1] == "max_p99_duration" {
			continue // parsed above, where the text is known
		}
		errs = append(errs, e)
	}

	// Timeouts: each parses, and create and update hold the schedule plus one poll.
	for _, name := range []string{"create", "update", "delete"} {
		text, set := c.Timeouts[name]
		at := []any{"timeouts", name}
		if !set || unknown(at) {
			continue
		}
		d, e, bad := parseDuration(at, text, "60m")
		if bad {
			fail(e)
			continue
		}
		switch name {
		case "create":
			out.CreateTimeout = d
		case "update":
			out.UpdateTimeout = d
		case "delete":
			// Checked only: a destroy reads it from the state (timeouts.Delete), which
			// outlives the configuration.
		}
	}
	if complete && !unknown([]any{"timeouts"}) {
		need := MinReleaseDuration(*r) + pollInterval(*r)
		for _, t := range []struct {
			name  string
			limit time.Duration
		}{{"create", out.CreateTimeout}, {"update", out.UpdateTimeout}} {
			if need < t.limit || unknown([]any{"timeouts", t.name}) {
				continue
			}
			// On the timeouts attribute itself: Terraform shows a path that runs into an
			// object value (timeouts.update) at the resource's first line, not at the
			// line to change. With no timeouts written, the schedule is what to look at.
			at := []any{"timeouts"}
			if _, set := c.Timeouts[t.name]; !set {
				at = []any{"traffic_shift"}
			}
			fail(FieldError{Path: at, Summary: "Schedule longer than its timeout",
				Detail: fmt.Sprintf("timeouts.%s is %s, but the traffic shift holds for at least %s and the alarms are read once more every %s, "+
					"so the release could only time out and roll back: shorten the schedule or write timeouts = { %s = %q }",
					t.name, t.limit, MinReleaseDuration(*r), pollInterval(*r), t.name, suggestTimeout(need))})
			break
		}
	}
	if complete && approvalComplete && len(errs) == 0 && !unknown([]any{"timeouts"}) && !unknown([]any{"timeouts", "create"}) && !unknown([]any{"timeouts", "update"}) {
		if e := checkApprovalTimeout(c, out); e != nil {
			fail(*e)
		}
	}
	if len(errs) > 0 {
		out.Complete = false
	}
	return out, errs
}

// suggestTimeout is a timeout with room to spare for hooks and API calls.
func suggestTimeout(need time.Duration) string {
	d := (need + need/2 + time.Minute).Round(time.Minute)
	return strings.TrimSuffix(strings.Replace(d.String(), "h0m", "h", 1), "0s")
}

// resolveShift turns traffic_shift into a Schedule. complete is false while any part of it
// is unknown.
func (c Config) resolveShift(unknown func([]any) bool) (Schedule, bool, []FieldError) {
	root := []any{"traffic_shift"}
	s := c.Shift
	if unknown(root) { // before the nil check: an unknown traffic_shift reads as nil
		return Schedule{}, false, nil
	}
	if s == nil {
		return Schedule{Name: allAtOnce}, true, nil
	}
	// A kind not known yet may turn out null: conflicts are judged among the known ones.
	var set []string
	pending := false
	for _, k := range []struct {
		name string
		set  bool
	}{{"preset", s.Preset != nil}, {"canary", s.Canary != nil}, {"linear", s.Linear != nil}, {"steps", s.StepsSet}} {
		switch {
		case unknown(withPath(root, k.name)):
			pending = true
		case k.set:
			set = append(set, k.name)
		}
	}
	switch {
	case len(set) > 1:
		return Schedule{}, false, []FieldError{{Path: withPath(root, set[1]), Summary: "Conflicting traffic shift kinds",
			Detail: fmt.Sprintf("traffic_shift sets %s: keep exactly one of preset, canary, linear and steps (or omit traffic_shift for AllAtOnce)",
				strings.Join(set, " and "))}}
	case len(set) == 0 && !pending:
		return Schedule{}, false, []FieldError{{Path: root, Summary: "Empty traffic_shift",
			Detail: "traffic_shift needs exactly one of preset, canary, linear or steps: omit traffic_shift for AllAtOnce." + misspelled}}
	case len(set) == 0:
		return Schedule{}, false, nil
	}

	var errs []FieldError
	interval := func(kind string, iv *IntervalConfig) (Interval, bool) {
		at := withPath(root, kind)
		if unknown(at) {
			return Interval{}, false
		}
		out, known := Interval{Percent: iv.Percentage}, true
		if unknown(withPath(at, "percentage")) {
			known = false
		} else if e, bad := checkPercent(withPath(at, "percentage"), iv.Percentage); bad {
			errs = append(errs, e)
		}
		if unknown(withPath(at, "interval")) {
			known = false
		} else if d, e, bad := parseDuration(withPath(at, "interval"), iv.Interval, "5m"); bad {
			errs = append(errs, e)
		} else {
			out.Every = d
		}
		return out, known
	}
	switch set[0] {
	case "preset":
		if unknown(withPath(root, "preset")) {
			return Schedule{}, false, nil
		}
		p, ok := lookupPreset(*s.Preset)
		if !ok {
			return Schedule{}, false, []FieldError{unknownPreset(*s.Preset)}
		}
		sched := buildSchedule(p.kind, p.interval)
		sched.Name = *s.Preset
		return sched, !pending, nil
	case "canary", "linear":
		iv := s.Canary
		if set[0] == "linear" {
			iv = s.Linear
		}
		v, known := interval(set[0], iv)
		if len(errs) > 0 || !known {
			return Schedule{}, false, errs
		}
		return buildSchedule(set[0], v), !pending, nil
	}
	at := withPath(root, "steps")
	if unknown(at) {
		return Schedule{}, false, nil
	}
	if len(s.Steps) == 0 {
		return Schedule{}, false, []FieldError{{Path: at, Summary: "Empty steps",
			Detail: "steps needs at least one step such as { percentage = 10, hold = \"5m\" }: omit traffic_shift for AllAtOnce"}}
	}
	known := true
	steps := make([]Step, len(s.Steps))
	for i, st := range s.Steps {
		sat := withPath(at, i)
		if unknown(sat) {
			known = false
			continue
		}
		steps[i].Percent = st.Percentage
		if unknown(withPath(sat, "percentage")) {
			known = false
		} else if e, bad := checkPercent(withPath(sat, "percentage"), st.Percentage); bad {
			errs = append(errs, e)
		} else if i > 0 && !unknown(withPath(at, i-1)) && !unknown(withPath(at, i-1, "percentage")) && st.Percentage <= s.Steps[i-1].Percentage {
			errs = append(errs, notIncreasing(withPath(sat, "percentage"), s.Steps[i-1].Percentage, st.Percentage))
		}
		if unknown(withPath(sat, "hold")) {
			known = false
		} else if d, e, bad := parseDuration(withPath(sat, "hold"), st.Hold, "5m"); bad {
			errs = append(errs, e)
		} else {
			steps[i].Hold = d
		}
	}
	if len(errs) > 0 || !known {
		return Schedule{}, false, errs
	}
	return Schedule{Name: kindSteps, Steps: steps}, !pending, nil
}

// resolveGates turns metric_gates into MetricGates.
func resolveGates(g *MetricGatesConfig, unknown func([]any) bool) (*MetricGates, bool, []FieldError) {
	root := []any{"metric_gates"}
	if unknown(root) {
		return nil, false, nil
	}
	at := func(name string) []any { return withPath(root, name) }
	names := []string{"max_error_rate", "max_p99_duration", "compare_to_baseline", "min_invocations"}
	anyUnknown := false
	for _, n := range append(names, "confidence") {
		anyUnknown = anyUnknown || unknown(at(n))
	}
	if g.MaxErrorRate == nil && g.MaxP99Duration == nil && g.CompareToBaseline == nil && g.MinInvocations == nil && !anyUnknown {
		return nil, false, []FieldError{{Path: root, Summary: "Empty metric_gates",
			Detail: "metric_gates needs at least one of max_error_rate, max_p99_duration, compare_to_baseline or min_invocations: omit metric_gates for none." + misspelled}}
	}
	var errs []FieldError
	out := &MetricGates{}
	if v := g.MaxErrorRate; v != nil {
		out.MaxErrorRate = v
	}
	if v := g.MaxP99Duration; v != nil && !unknown(at("max_p99_duration")) {
		d, e, bad := parseDuration(at("max_p99_duration"), *v, "800ms")
		switch {
		case bad:
			errs = append(errs, e)
		case d < MinP99Duration:
			errs = append(errs, FieldError{Path: at("max_p99_duration"), Summary: "Invalid max_p99_duration",
				Detail: fmt.Sprintf("max_p99_duration must be at least %s, got %s: write a Go duration such as \"800ms\"", MinP99Duration, d)})
		default:
			out.MaxP99Duration = &d
		}
	}
	if v := g.CompareToBaseline; v != nil {
		out.CompareToBaseline = *v
	}
	if v := g.Confidence; v != nil {
		out.Confidence = *v
		if *v == 0 && !unknown(at("confidence")) {
			errs = append(errs, FieldError{Path: at("confidence"), Summary: "Invalid confidence",
				Detail: "confidence must be greater than 0.5 and less than 1, got 0: write 0.95, or remove it for the default"})
		}
	}
	if v := g.MinInvocations; v != nil {
		out.MinInvocations = int(*v)
	}
	if v := g.ArrivalDelay; v != nil && !unknown(at("arrival_delay")) {
		d, e, bad := parseDuration(at("arrival_delay"), *v, "2m")
		switch {
		case bad:
			errs = append(errs, e)
		case d < 0 || d > MaxMetricArrivalDelay:
			errs = append(errs, FieldError{Path: at("arrival_delay"), Summary: "Invalid arrival_delay",
				Detail: fmt.Sprintf("arrival_delay must be from 0s to %s, got %s: write \"2m\" (the default) for AWS, \"0s\" for an emulator", MaxMetricArrivalDelay, d)})
		default:
			out.ArrivalDelay = &d
		}
	}
	return out, !anyUnknown && !unknown(at("arrival_delay")), errs
}

// parseDuration reads a Go duration as written in the configuration, with an error that
// names the attribute and says what to write (example is a sensible value for it).
func parseDuration(path []any, text, example string) (time.Duration, FieldError, bool) {
	name := FormatPath(path)
	bad := func(detail string) (time.Duration, FieldError, bool) {
		return 0, FieldError{Path: path, Summary: "Invalid duration", Detail: detail}, true
	}
	t := strings.TrimSpace(text)
	if t == "" {
		return bad(fmt.Sprintf("%s is empty: write a Go duration such as %q", name, example))
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		hint := ""
		switch {
		case allDigitsRE.MatchString(t):
			hint = fmt.Sprintf(" (a number needs a unit: write \"%ss\" or \"%sm\")", t, t)
		case strings.HasSuffix(t, "d") && allDigitsRE.MatchString(strings.TrimSuffix(t, "d")):
			hint = " (there is no day unit: write hours, 24h for a day)"
		}
		return bad(fmt.Sprintf("%s must be a Go duration: a number and a unit among h, m, s and ms, such as %q or \"1h30m\"; got %q%s",
			name, example, text, hint))
	}
	subSecond := len(path) == 2 && (path[1] == "max_p99_duration" || path[1] == "arrival_delay")
	if d < MinDurationUnit && !subSecond {
		return bad(fmt.Sprintf("%s must be at least 1s, got %q: write a Go duration such as %q", name, text, example))
	}
	return d, FieldError{}, false
}

// validateSchedule re-checks a resolved Schedule, for callers that built one by hand.
func validateSchedule(s Schedule) []FieldError {
	return validateSteps([]any{"traffic_shift", "steps"}, s.Steps)
}

// resolveConfiguration sets whether a code_sha256 release carries $LATEST's configuration
// (release_configuration, true unless set false: a Terraform user who edits
// aws_lambda_function expects the edit to reach the alias). configuration_sha256 only
// tells the plan that the configuration changes in this apply; it means nothing where a
// version is released as published.
func (c Config) resolveConfiguration(r *Release, unknown func([]any) bool) []FieldError {
	r.ReleaseConfiguration = c.ReleaseConfiguration == nil || *c.ReleaseConfiguration
	if c.ConfigurationSha256 != nil && c.Version != nil && !unknown([]any{"version"}) {
		return []FieldError{{Path: []any{"configuration_sha256"}, Summary: "configuration_sha256 is not used in version mode",
			Detail: "configuration_sha256 plans a release of $LATEST when the function's configuration changes; a version release publishes nothing: " +
				"remove configuration_sha256 (with publish = true, aws_lambda_function.NAME.version already changes with the configuration), or release by code_sha256"}}
	}
	return nil
}
