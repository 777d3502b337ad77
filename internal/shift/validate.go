package shift

import (
	"fmt"
	"regexp"
	"strings"
	"time"
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
	aliasNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	allDigitsRE = regexp.MustCompile(`^[0-9]+$`)
)

// ValidateRelease checks what the engine owns beyond the schedule (see ResolveSchedule):
// the alias name, what to release, the poll interval, the alarm list, the metric gates
// and keep_versions. A zero
// AlarmPollInterval means DefaultAlarmPollInterval and is valid.
func ValidateRelease(r Release) []FieldError {
	var errs []FieldError
	add := func(path []any, summary, detail string, args ...any) {
		errs = append(errs, FieldError{Path: path, Summary: summary, Detail: fmt.Sprintf(detail, args...)})
	}

	if strings.TrimSpace(r.Function) == "" {
		add([]any{"function_name"}, "Missing function name", "function_name must name a Lambda function (its name or unqualified ARN)")
	}

	switch {
	case r.Alias == "":
		add([]any{"alias"}, "Invalid alias name", "alias must not be empty: use 1 to 128 letters, digits, '-' or '_', such as \"live\"")
	case !aliasNameRE.MatchString(r.Alias):
		add([]any{"alias"}, "Invalid alias name",
			"alias must be 1 to 128 letters, digits, '-' or '_', got %q", r.Alias)
	case allDigitsRE.MatchString(r.Alias):
		add([]any{"alias"}, "Invalid alias name",
			"alias must not be all digits, got %q: Lambda reserves numbers for versions; use a name such as \"live\"", r.Alias)
	}

	switch {
	case r.CodeSha256 != "" && r.Version != "":
		add([]any{"version"}, "Conflicting code_sha256 and version",
			"set either code_sha256 (publish $LATEST guarded by its hash) or version (release an already published version), not both")
	case r.CodeSha256 == "" && r.Version == "":
		add([]any{"code_sha256"}, "Nothing to release",
			"set code_sha256 (publish $LATEST guarded by its hash) or version (release an already published version)")
	case r.Version == "$LATEST":
		add([]any{"version"}, "Unpublished version",
			"version must be a published version number, got \"$LATEST\": aliases with traffic shifting cannot point at $LATEST; use code_sha256 to publish it")
	case r.Version != "" && !allDigitsRE.MatchString(r.Version):
		add([]any{"version"}, "Invalid version",
			"version must be a published version number such as \"4\", got %q", r.Version)
	}

	if r.AlarmPollInterval != 0 && r.AlarmPollInterval < MinDurationUnit {
		add([]any{"alarm_poll_interval"}, "Poll interval too short",
			"alarm_poll_interval must be at least 1s, got %s", r.AlarmPollInterval)
	}

	seen := map[string]int{}
	for i, a := range r.Alarms {
		name := AlarmName(a)
		if name == "" {
			add([]any{"alarms"}, "Empty alarm name", "alarms[%d] is empty: give an alarm name or ARN", i)
			continue
		}
		if j, dup := seen[name]; dup {
			add([]any{"alarms"}, "Duplicated alarm",
				"alarm %q is listed twice (alarms[%d] and alarms[%d]): list each alarm once", name, j, i)
			continue
		}
		seen[name] = i
	}

	if g := r.MetricGates; g != nil {
		at := func(name string) []any { return []any{"metric_gates", name} }
		if v := g.MaxErrorRate; v != nil && !(*v >= 0 && *v <= 1) {
			add(at("max_error_rate"), "Invalid max_error_rate",
				"max_error_rate is a fraction of invocations from 0 to 1 (0.01 is 1%%), got %v", *v)
		}
		if v := g.MaxP99Duration; v != nil && *v < MinP99Duration {
			add(at("max_p99_duration"), "Invalid max_p99_duration", "max_p99_duration must be at least %s, got %s", MinP99Duration, *v)
		}
		if c := g.Confidence; c != 0 && !(c > 0.5 && c < 1) {
			add(at("confidence"), "Invalid confidence",
				"confidence must be greater than 0.5 and less than 1 (0.95 trips when a worse canary is less than 5%% likely to be luck), got %v", c)
		}
		if g.MinInvocations < 0 {
			add(at("min_invocations"), "Invalid min_invocations", "min_invocations must be 0 (no minimum) or more, got %d", g.MinInvocations)
		}
	}

	if r.KeepVersions < 0 {
		add([]any{"keep_versions"}, "Invalid keep_versions", "keep_versions must be 0 (keep every version) or more, got %d", r.KeepVersions)
	}
	return errs
}

// validateSchedule re-checks a resolved Schedule, for callers that built one by hand.
func validateSchedule(s Schedule) []FieldError {
	return validateSteps([]any{"traffic_shift", "steps"}, s.Steps)
}

// MinP99Duration is the smallest max_p99_duration accepted.
const MinP99Duration = time.Millisecond

// AlarmName reduces an alarm ARN (arn:aws:cloudwatch:region:account:alarm:NAME) to NAME;
// anything else is returned unchanged. Alarm names may themselves contain ':'.
func AlarmName(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	parts := strings.SplitN(s, ":", 7)
	if len(parts) == 7 && parts[2] == "cloudwatch" && parts[5] == "alarm" {
		return parts[6]
	}
	return s
}
