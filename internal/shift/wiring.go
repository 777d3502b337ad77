package shift

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// This file owns the wiring check: where the function's traffic enters (event source
// mappings, function URLs, invoke permissions) and whether any of it goes through the
// alias the release shifts. A canary on an alias nobody is routed through shifts weights
// that carry no traffic, and its gates judge nothing.

// Values of Release.TrafficArrivesVia (traffic_arrives_via).
const (
	// ArrivesViaTriggers (the default, also "") says traffic arrives through triggers
	// Lambda can show: a gradual release that no trigger reaches through the alias is
	// refused before anything changes.
	ArrivesViaTriggers = "triggers"
	// ArrivesViaDirectInvoke says callers invoke function:alias themselves (the AWS SDK,
	// Step Functions, another service with an IAM role), which leaves no trace in the
	// function's triggers: the check only reports triggers that skip the alias.
	ArrivesViaDirectInvoke = "direct_invoke"
)

// TriggerKind names a way traffic enters a function.
type TriggerKind string

const (
	TriggerEventSourceMapping TriggerKind = "event source mapping"
	TriggerFunctionURL        TriggerKind = "function URL"
	TriggerPermission         TriggerKind = "invoke permission"
)

// Trigger is one way traffic enters the function, as Lambda reports it.
type Trigger struct {
	Kind TriggerKind
	// FunctionARN is what it invokes, qualified or not; Qualifier is its qualifier: ""
	// for the unqualified function, "$LATEST", an alias or a version.
	FunctionARN string
	Qualifier   string
	// ID names it: a mapping's UUID, a permission's statement id, a function URL.
	ID string
	// Source is where traffic comes from: a mapping's event source ARN, a permission's
	// principal (apigateway.amazonaws.com, an account), a URL's auth type.
	Source string
	// SourceARN is a permission's AWS:SourceArn condition ("" when none).
	SourceARN string
	// Disabled is a mapping that is not enabled: it delivers nothing now.
	Disabled bool
}

// Wiring is what a Triggers read found. Unread names each read that failed, with why
// ("the alias's resource policy (lambda:GetPolicy): AccessDeniedException: …"); the
// other reads still count.
type Wiring struct {
	Triggers []Trigger
	Unread   []string
}

// Triggers reads where a function's traffic enters.
type Triggers interface {
	// FunctionTriggers returns the event source mappings, function URLs and invoke
	// permissions on the unqualified function, on $LATEST and on alias. A read that fails
	// is named in Unread and the others are still made: none of them is an error.
	FunctionTriggers(ctx context.Context, function, alias string) Wiring
}

// WiringFinding is a trigger that skips the alias, in words, with the line to change.
type WiringFinding struct {
	Trigger Trigger
	Text    string // "event source mapping 14e0db71-… from arn:aws:sqs:…:orders invokes the unqualified function orders-api"
	Fix     string // "point function_name of aws_lambda_event_source_mapping at the alias ARN (alias_arn, …)"
}

func (f WiringFinding) String() string { return f.Text + ": " + f.Fix }

// WiringReport is the wiring check's verdict on one function and alias.
type WiringReport struct {
	Function string
	Alias    string
	// Checked is false when nothing could be read (no Triggers client).
	Checked bool
	// ThroughAlias are the triggers on the alias; Bypassing those on the unqualified
	// function or $LATEST, which a shift of the alias does not reach.
	ThroughAlias []Trigger
	Bypassing    []WiringFinding
	Unread       []string
}

// ReachesAlias says some enabled trigger invokes the alias.
func (w WiringReport) ReachesAlias() bool {
	for _, t := range w.ThroughAlias {
		if !t.Disabled {
			return true
		}
	}
	return false
}

// Complete says every read was made.
func (w WiringReport) Complete() bool { return w.Checked && len(w.Unread) == 0 }

// CheckWiring reads the function's triggers through AWS.Triggers and judges them against
// alias. It changes nothing; without a Triggers client the report says it is unchecked.
func (e *Engine) CheckWiring(ctx context.Context, function, alias string) WiringReport {
	if e.AWS.Triggers == nil {
		return WiringReport{Function: function, Alias: alias}
	}
	return JudgeWiring(e.AWS.Triggers.FunctionTriggers(ctx, function, alias), function, alias)
}

// JudgeWiring sorts what was read into the triggers that reach the alias and those that
// skip it, each with its fix. Triggers on other aliases or on versions are not the
// release's business and are left out.
func JudgeWiring(w Wiring, function, alias string) WiringReport {
	rep := WiringReport{Function: function, Alias: alias, Checked: true, Unread: w.Unread}
	seen := map[string]bool{}
	for _, t := range w.Triggers {
		key := string(t.Kind) + "|" + t.ID + "|" + t.FunctionARN
		if seen[key] {
			continue // a mapping listed under both the unqualified and the $LATEST ARN
		}
		seen[key] = true
		switch t.Qualifier {
		case alias:
			rep.ThroughAlias = append(rep.ThroughAlias, t)
		case "", "$LATEST":
			rep.Bypassing = append(rep.Bypassing, WiringFinding{Trigger: t, Text: describeTrigger(t, function), Fix: wiringFix(t, alias)})
		}
	}
	sort.SliceStable(rep.Bypassing, func(i, j int) bool { return rep.Bypassing[i].Text < rep.Bypassing[j].Text })
	return rep
}

func describeTrigger(t Trigger, function string) string {
	target := "the unqualified function " + function
	if t.Qualifier == "$LATEST" {
		target = function + ":$LATEST"
	}
	state := ""
	if t.Disabled {
		state = " (disabled)"
	}
	switch t.Kind {
	case TriggerEventSourceMapping:
		return fmt.Sprintf("event source mapping %s%s from %s invokes %s", t.ID, state, orNone(t.Source), target)
	case TriggerFunctionURL:
		return fmt.Sprintf("function URL %s (auth %s) invokes %s", t.ID, orNone(t.Source), target)
	}
	from := ""
	if t.SourceARN != "" {
		from = " from " + t.SourceARN
	}
	where := "the function's resource policy"
	if t.Qualifier == "$LATEST" {
		where = "the resource policy of $LATEST"
	}
	return fmt.Sprintf("invoke permission %q for %s%s is in %s, so it invokes %s", t.ID, t.Source, from, where, target)
}

// wiringFix is the line to change, in the words of the hashicorp/aws resource that
// usually holds the trigger.
func wiringFix(t Trigger, alias string) string {
	aliasARN := unqualifiedARN(t.FunctionARN) + ":" + alias
	switch t.Kind {
	case TriggerEventSourceMapping:
		return fmt.Sprintf("point function_name of aws_lambda_event_source_mapping at the alias ARN (alias_arn of safelambda_deployment, %s)", aliasARN)
	case TriggerFunctionURL:
		return fmt.Sprintf("set qualifier = %q on aws_lambda_function_url, so the URL invokes the alias", alias)
	}
	permission := fmt.Sprintf("set qualifier = %q on its aws_lambda_permission", alias)
	switch t.Source {
	case "apigateway.amazonaws.com":
		return permission + ", and point the API Gateway integration at the alias: uri = invoke_arn of safelambda_deployment"
	case "s3.amazonaws.com":
		return permission + fmt.Sprintf(", and lambda_function_arn of aws_s3_bucket_notification at the alias ARN (%s)", aliasARN)
	case "sns.amazonaws.com":
		return permission + fmt.Sprintf(", and endpoint of aws_sns_topic_subscription at the alias ARN (%s)", aliasARN)
	case "events.amazonaws.com":
		return permission + fmt.Sprintf(", and arn of aws_cloudwatch_event_target at the alias ARN (%s)", aliasARN)
	case "elasticloadbalancing.amazonaws.com":
		return permission + fmt.Sprintf(", and target_id of aws_lb_target_group_attachment at the alias ARN (%s)", aliasARN)
	}
	return permission + fmt.Sprintf(", and point the caller at the alias ARN (%s)", aliasARN)
}

// unqualifiedARN strips a qualifier from a function ARN (arn:…:function:name[:q]).
func unqualifiedARN(s string) string {
	parts := strings.Split(s, ":")
	if len(parts) == 8 && parts[5] == "function" {
		return strings.Join(parts[:7], ":")
	}
	return s
}

// TrafficArrivesViaProblem says what is wrong with a traffic_arrives_via value, or "".
func TrafficArrivesViaProblem(v string) string {
	switch v {
	case "", ArrivesViaTriggers, ArrivesViaDirectInvoke:
		return ""
	}
	return fmt.Sprintf("must be %q (traffic arrives through event source mappings, function URLs or invoke permissions, checked before a gradual release) "+
		"or %q (callers invoke the alias themselves, which Lambda cannot show), got %q", ArrivesViaTriggers, ArrivesViaDirectInvoke, v)
}

// checkWiring is the wiring check in preflight. It runs only where it can matter: a
// gradual shift of an existing alias onto another version. It refuses when no trigger
// reaches the alias, unless the release says traffic arrives by direct invocation, and
// it records each trigger that skips the alias as a warning. When reads fail, and what
// was read shows no trigger on the alias, the release goes on with a warning: a read
// permission missing from the deployer's policy is no evidence of bad wiring.
func (x *run) checkWiring() *failure {
	if x.e.AWS.Triggers == nil || len(x.r.Schedule.Steps) == 0 || !x.guard.exists() ||
		x.r.TrafficArrivesVia == ArrivesViaDirectInvoke {
		return nil
	}
	if len(nonZero(x.guard.left.weights)) > 0 {
		return nil // a split alias is resumed or restored, never left as it is
	}
	if x.nothingMoves() {
		return nil
	}
	rep := x.e.CheckWiring(x.ctx, x.r.Function, x.r.Alias)
	if err := x.ctx.Err(); err != nil {
		return x.interrupted(err, "reading the function's triggers")
	}
	for _, f := range rep.Bypassing {
		x.record(EventWarning, "%s", f)
	}
	for _, u := range rep.Unread {
		x.record(EventWarning, "wiring check: could not read %s; add the read action to the deployer's policy for a complete check", u)
	}
	if rep.ReachesAlias() || len(rep.Unread) > 0 {
		return nil
	}
	return &failure{
		cause:  fmt.Sprintf("no trigger reaches alias %s of %s, so a gradual release would shift weights no traffic goes through and its gates would judge nothing; nothing was changed", x.r.Alias, x.fn.Name),
		reason: rep.refusalReason(),
		next: fmt.Sprintf("Point the function's triggers at the alias (event source mappings and aws_lambda_permission with qualifier = %q, function URLs with qualifier = %q, integrations at invoke_arn). "+
			"If callers invoke %s:%s directly (the AWS SDK, Step Functions, another service with an IAM role), Lambda keeps no trace of it: say so with traffic_arrives_via = %q. "+
			"Or release AllAtOnce (leave traffic_shift out).", x.r.Alias, x.r.Alias, x.fn.Name, x.r.Alias, ArrivesViaDirectInvoke),
	}
}

func (rep WiringReport) refusalReason() string {
	var lines []string
	for _, f := range rep.Bypassing {
		lines = append(lines, f.String())
	}
	for _, t := range rep.ThroughAlias {
		lines = append(lines, describeTrigger(t, rep.Function)+" on the alias, but it is disabled")
	}
	if len(lines) == 0 {
		return "the function has no event source mapping, function URL or invoke permission on the alias, the unqualified function or $LATEST"
	}
	return strings.Join(lines, "; ")
}

// nothingMoves says the alias already serves what the release would put live (read
// through the cached live version, which the release reads anyway).
func (x *run) nothingMoves() bool {
	if x.r.Version != "" {
		return x.guard.left.version == x.r.Version
	}
	v, err := x.previousVersion()
	return err == nil && v.CodeSha256 == x.r.CodeSha256 && v.Version != "$LATEST"
}
