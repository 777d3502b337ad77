package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

var _ shift.Triggers = (*Lambda)(nil)

// FunctionTriggers reads where function's traffic enters, for the wiring check:
//
//   - event source mappings: ListEventSourceMappings filtered by FunctionName matches
//     the unqualified function and each qualified ARN separately (a mapping on an alias
//     is listed under the alias's ARN only), so it is asked for the function, for
//     function:$LATEST and for function:alias;
//   - function URLs: ListFunctionUrlConfigs lists the unqualified one and every alias's;
//   - invoke permissions: GetPolicy is the function's own policy, GetPolicy with
//     Qualifier the alias's policy, where a permission added with that qualifier lives.
//     Lambda answers 404 ResourceNotFoundException "The resource you requested does not
//     exist." when there is no policy: no permission, not a failure.
//
// A read that fails (most often AccessDeniedException for a policy without the read
// action) is named in Unread with AWS's words; the others are still made.
func (l *Lambda) FunctionTriggers(ctx context.Context, function, alias string) shift.Wiring {
	var w shift.Wiring
	unread := func(what, action string, err error) {
		w.Unread = append(w.Unread, fmt.Sprintf("%s (%s): %v", what, action, err))
	}

	for _, name := range []string{function, function + ":$LATEST", function + ":" + alias} {
		ts, err := l.mappings(ctx, name)
		if err != nil {
			unread("the event source mappings of "+name, "lambda:ListEventSourceMappings", err)
			continue
		}
		w.Triggers = append(w.Triggers, ts...)
	}

	urls, err := l.functionURLs(ctx, function)
	if err != nil {
		unread("the function URLs of "+function, "lambda:ListFunctionUrlConfigs", err)
	}
	w.Triggers = append(w.Triggers, urls...)

	for _, q := range []string{"", alias} {
		what := "the function's resource policy"
		if q != "" {
			what = "the resource policy of alias " + q
		}
		ts, err := l.invokePermissions(ctx, function, q)
		if err != nil {
			unread(what, "lambda:GetPolicy", err)
			continue
		}
		w.Triggers = append(w.Triggers, ts...)
	}
	return w
}

func (l *Lambda) mappings(ctx context.Context, functionName string) ([]shift.Trigger, error) {
	var out []shift.Trigger
	p := lambda.NewListEventSourceMappingsPaginator(l.API, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(functionName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			err = l.wrap("ListEventSourceMappings", err)
			if errors.Is(err, shift.ErrNotFound) {
				return nil, nil // no such alias (yet): nothing is mapped to it
			}
			return nil, err
		}
		for _, m := range page.EventSourceMappings {
			arn := aws.ToString(m.FunctionArn)
			source := aws.ToString(m.EventSourceArn)
			if source == "" {
				source = "a self-managed event source"
			}
			state := aws.ToString(m.State)
			out = append(out, shift.Trigger{
				Kind: shift.TriggerEventSourceMapping, FunctionARN: arn, Qualifier: qualifier(arn),
				ID: aws.ToString(m.UUID), Source: source,
				// Lambda's mapping states: Creating, Enabling, Enabled, Disabling, Disabled,
				// Updating, Deleting; a disabled or going mapping delivers nothing.
				Disabled: slices.Contains([]string{"Disabled", "Disabling", "Deleting"}, state),
			})
		}
	}
	return out, nil
}

func (l *Lambda) functionURLs(ctx context.Context, function string) ([]shift.Trigger, error) {
	var out []shift.Trigger
	p := lambda.NewListFunctionUrlConfigsPaginator(l.API, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String(function)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, l.wrap("ListFunctionUrlConfigs", err)
		}
		for _, u := range page.FunctionUrlConfigs {
			arn := aws.ToString(u.FunctionArn)
			out = append(out, shift.Trigger{
				Kind: shift.TriggerFunctionURL, FunctionARN: arn, Qualifier: qualifier(arn),
				ID: aws.ToString(u.FunctionUrl), Source: string(u.AuthType),
			})
		}
	}
	return out, nil
}

// policyDocument is the resource policy GetPolicy returns as a JSON string. Principal,
// Action and the condition values may each be a string or a list.
type policyDocument struct {
	Statement []struct {
		Sid       string
		Effect    string
		Principal json.RawMessage
		Action    json.RawMessage
		Resource  json.RawMessage
		Condition map[string]map[string]json.RawMessage
	}
}

// invokePermissions reads the invoke permissions of the policy of function (q "") or of
// its alias q.
func (l *Lambda) invokePermissions(ctx context.Context, function, q string) ([]shift.Trigger, error) {
	in := &lambda.GetPolicyInput{FunctionName: aws.String(function)}
	if q != "" {
		in.Qualifier = aws.String(q)
	}
	out, err := l.API.GetPolicy(ctx, in)
	if err != nil {
		err = l.wrap("GetPolicy", err)
		if errors.Is(err, shift.ErrNotFound) {
			return nil, nil // no policy: no permission
		}
		return nil, err
	}
	var doc policyDocument
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc); err != nil {
		return nil, fmt.Errorf("Lambda GetPolicy: the policy is not JSON: %w", err)
	}
	var ts []shift.Trigger
	for _, s := range doc.Statement {
		if s.Effect != "Allow" || !invokes(stringsOf(s.Action)) {
			continue
		}
		arn := firstOf(stringsOf(s.Resource))
		sourceARN := ""
		for _, op := range []string{"ArnLike", "ArnEquals", "StringEquals", "StringLike"} {
			if v := firstOf(stringsOf(s.Condition[op]["AWS:SourceArn"])); v != "" {
				sourceARN = v
				break
			}
		}
		for _, p := range principals(s.Principal) {
			ts = append(ts, shift.Trigger{
				Kind: shift.TriggerPermission, FunctionARN: arn, Qualifier: q,
				ID: s.Sid, Source: p, SourceARN: sourceARN,
			})
		}
	}
	return ts, nil
}

// invokes says a statement's actions include invoking the function (not only its URL,
// which the function URL read covers).
func invokes(actions []string) bool {
	for _, a := range actions {
		switch a {
		case "lambda:InvokeFunction", "lambda:*", "*":
			return true
		}
	}
	return false
}

// principals flattens "*", {"Service": "s3.amazonaws.com"} and {"AWS": ["arn…", …]}.
func principals(raw json.RawMessage) []string {
	if s := stringsOf(raw); len(s) > 0 {
		return s
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	for _, k := range []string{"Service", "AWS", "Federated", "CanonicalUser"} {
		out = append(out, stringsOf(m[k])...)
	}
	return out
}

// stringsOf reads a policy value that is a string or a list of strings.
func stringsOf(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		return many
	}
	return nil
}

func firstOf(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
