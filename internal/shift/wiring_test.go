package shift

import (
	"context"
	"strings"
	"testing"
)

// fakeTriggers answers FunctionTriggers with what an adapter reads from Lambda: mappings,
// URLs and permissions as Lambda names them, and the reads it could not make in the
// words the adapter uses (AWS's error code and message kept).
type fakeTriggers struct {
	triggers []Trigger
	unread   []string
	calls    int
}

func (f *fakeTriggers) FunctionTriggers(ctx context.Context, function, alias string) Wiring {
	f.calls++
	if ctx.Err() != nil {
		return Wiring{Unread: []string{"event source mappings (lambda:ListEventSourceMappings): " + ctx.Err().Error()}}
	}
	return Wiring{Triggers: f.triggers, Unread: f.unread}
}

const (
	queueARN   = "arn:aws:sqs:eu-central-1:123456789012:orders"
	mappingID  = "14e0db71-5d43-4b7e-9a0c-3f1b2c4d5e6f"
	apiARN     = "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/*/*"
	aliasLive  = fnARN + ":live"
	latestQual = fnARN + ":$LATEST"
)

func mappingOn(qualifier string) Trigger {
	arn := fnARN
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return Trigger{Kind: TriggerEventSourceMapping, FunctionARN: arn, Qualifier: qualifier, ID: mappingID, Source: queueARN}
}

func apiPermissionOn(qualifier string) Trigger {
	arn := fnARN
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return Trigger{Kind: TriggerPermission, FunctionARN: arn, Qualifier: qualifier, ID: "AllowAPIGatewayInvoke", Source: "apigateway.amazonaws.com", SourceARN: apiARN}
}

// A canary whose only trigger, an SQS mapping, invokes the unqualified function is
// refused before anything changes; the error names the mapping, its queue, the line to
// change and the setting for callers that invoke the alias directly.
func TestWiringRefusesACanaryNoTriggerReaches(t *testing.T) {
	h := newHarness(t)
	tr := &fakeTriggers{triggers: []Trigger{mappingOn("")}}
	h.engine.AWS.Triggers = tr
	res, err := h.run(release())
	if err == nil {
		t.Fatal("the release went on with no trigger on the alias")
	}
	if res.Status != StatusFailed || h.aws.writes != 0 || h.aws.count("UpdateAlias") != 0 || h.aws.count("PublishVersion") != 0 {
		t.Fatalf("status %s, %d alias writes, %d UpdateAlias, %d publishes: want Failed and nothing changed",
			res.Status, h.aws.writes, h.aws.count("UpdateAlias"), h.aws.count("PublishVersion"))
	}
	h.wantAlias("3", nil)
	msg := err.Error()
	for _, want := range []string{
		"no trigger reaches alias live of orders-api",
		"nothing was changed",
		"event source mapping " + mappingID + " from " + queueARN + " invokes the unqualified function orders-api",
		"point function_name of aws_lambda_event_source_mapping at the alias ARN (alias_arn of safelambda_deployment, " + aliasLive + ")",
		`traffic_arrives_via = "direct_invoke"`,
		"Lambda keeps no trace of it",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if tr.calls != 1 {
		t.Errorf("triggers read %d times, want 1", tr.calls)
	}
}

// The same mapping on the alias lets the canary go; a permission still on the unqualified
// function is a warning in the timeline, with its fix.
func TestWiringTriggerOnTheAliasLetsTheCanaryGo(t *testing.T) {
	h := newHarness(t)
	h.engine.AWS.Triggers = &fakeTriggers{triggers: []Trigger{mappingOn("live"), apiPermissionOn("")}}
	res, err := h.run(release())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	h.wantAlias("4", nil)
	if !h.hasEvent(EventWarning, `invoke permission "AllowAPIGatewayInvoke" for apigateway.amazonaws.com from `+apiARN+" is in the function's resource policy") ||
		!h.hasEvent(EventWarning, `set qualifier = "live" on its aws_lambda_permission, and point the API Gateway integration at the alias: uri = invoke_arn of safelambda_deployment`) {
		t.Errorf("no warning about the permission on the unqualified function: %v", res.Timeline)
	}
	if h.hasEvent(EventWarning, mappingID) {
		t.Error("the mapping on the alias was reported")
	}
}

// traffic_arrives_via = "direct_invoke" lets a canary through with no trigger at all, and
// costs no read.
func TestWiringDirectInvokeLetsACanaryThrough(t *testing.T) {
	h := newHarness(t)
	tr := &fakeTriggers{}
	h.engine.AWS.Triggers = tr
	res, err := h.run(release(func(r *Release) { r.TrafficArrivesVia = ArrivesViaDirectInvoke }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s, error %v", res.Status, err)
	}
	if tr.calls != 0 {
		t.Errorf("triggers read %d times, want 0", tr.calls)
	}
}

// Where no gradual shift happens the release reads nothing at apply (the plan reported
// the triggers already): AllAtOnce, a first release, an alias already on the target.
func TestWiringIsCheckedOnlyBeforeAGradualShift(t *testing.T) {
	cases := []struct {
		name  string
		setup func(*harness)
		mod   func(*Release)
	}{
		{"AllAtOnce", nil, func(r *Release) { r.Schedule = Schedule{} }},
		{"first release", func(h *harness) { delete(h.aws.aliases, "live") }, nil},
		{"alias on the target already", func(h *harness) { h.aws.setAlias("live", "4", nil) }, nil},
		{"code_sha256 of the live version", nil, func(r *Release) { r.Version, r.CodeSha256 = "", "h3" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			tr := &fakeTriggers{triggers: []Trigger{mappingOn("")}}
			h.engine.AWS.Triggers = tr
			if c.setup != nil {
				c.setup(h)
			}
			var mods []func(*Release)
			if c.mod != nil {
				mods = append(mods, c.mod)
			}
			if _, err := h.run(release(mods...)); err != nil {
				t.Fatal(err)
			}
			if tr.calls != 0 {
				t.Errorf("triggers read %d times, want 0", tr.calls)
			}
		})
	}
}

// A read the deployer may not make (GetPolicy answered AccessDeniedException) does not
// block the release: it goes on and says the check was incomplete and why. A missing
// policy is no failure at all (the adapter reads Lambda's 404 as "no permissions").
func TestWiringUnreadPolicyGoesOnWithAWarning(t *testing.T) {
	h := newHarness(t)
	denied := "the alias's resource policy (lambda:GetPolicy): AccessDeniedException: User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: lambda:GetPolicy on resource: " + aliasLive
	h.engine.AWS.Triggers = &fakeTriggers{triggers: []Trigger{mappingOn("")}, unread: []string{denied}}
	res, err := h.run(release())
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded {
		t.Fatalf("status %s", res.Status)
	}
	if !h.hasEvent(EventWarning, "wiring check: could not read "+denied) || !h.hasEvent(EventWarning, mappingID) {
		t.Errorf("timeline lacks the incomplete check or the mapping: %v", res.Timeline)
	}
}

// A disabled mapping on the alias carries no traffic: the canary is refused and the
// reason says the mapping is disabled.
func TestWiringDisabledMappingOnTheAliasDoesNotCount(t *testing.T) {
	h := newHarness(t)
	m := mappingOn("live")
	m.Disabled = true
	h.engine.AWS.Triggers = &fakeTriggers{triggers: []Trigger{m}}
	_, err := h.run(release())
	if err == nil || !strings.Contains(err.Error(), "event source mapping "+mappingID+" (disabled)") || !strings.Contains(err.Error(), "on the alias, but it is disabled") {
		t.Fatalf("want a refusal naming the disabled mapping, got %v", err)
	}
	h.wantAlias("3", nil)
}

// No trigger at all: the reason says so.
func TestWiringNoTriggerAtAll(t *testing.T) {
	h := newHarness(t)
	h.engine.AWS.Triggers = &fakeTriggers{}
	_, err := h.run(release())
	if err == nil || !strings.Contains(err.Error(), "the function has no event source mapping, function URL or invoke permission") {
		t.Fatalf("want a refusal saying there is no trigger, got %v", err)
	}
}

// An alias left split is resumed or restored, never refused and left split.
func TestWiringDoesNotStrandASplitAlias(t *testing.T) {
	h := newHarness(t)
	tr := &fakeTriggers{}
	h.engine.AWS.Triggers = tr
	h.aws.splitByKilledRelease("live", "3", map[string]float64{"4": 0.1})
	if _, err := h.run(release()); err != nil {
		t.Fatal(err)
	}
	h.wantAlias("4", nil)
	if tr.calls != 0 {
		t.Errorf("triggers read %d times", tr.calls)
	}
}

// JudgeWiring sorts triggers onto the alias and around it, gives each kind and principal
// its fix, counts a mapping listed twice once and leaves other aliases and versions out.
func TestJudgeWiring(t *testing.T) {
	url := Trigger{Kind: TriggerFunctionURL, FunctionARN: fnARN, ID: "https://abcdefghij.lambda-url.eu-central-1.on.aws/", Source: "AWS_IAM"}
	s3 := Trigger{Kind: TriggerPermission, FunctionARN: fnARN, ID: "s3", Source: "s3.amazonaws.com", SourceARN: "arn:aws:s3:::uploads"}
	sns := Trigger{Kind: TriggerPermission, FunctionARN: latestQual, Qualifier: "$LATEST", ID: "sns", Source: "sns.amazonaws.com", SourceARN: "arn:aws:sns:eu-central-1:123456789012:orders"}
	events := Trigger{Kind: TriggerPermission, FunctionARN: fnARN, ID: "events", Source: "events.amazonaws.com"}
	account := Trigger{Kind: TriggerPermission, FunctionARN: fnARN, ID: "partner", Source: "arn:aws:iam::210987654321:root"}
	beta := mappingOn("beta")
	v2 := mappingOn("2")
	rep := JudgeWiring(Wiring{Triggers: []Trigger{mappingOn(""), mappingOn(""), url, s3, sns, events, account, beta, v2, apiPermissionOn("live")}}, fnName, "live")
	if !rep.ReachesAlias() || len(rep.ThroughAlias) != 1 || !rep.Complete() {
		t.Errorf("through the alias %v, complete %v", rep.ThroughAlias, rep.Complete())
	}
	want := map[string]string{
		mappingID:            "point function_name of aws_lambda_event_source_mapping at the alias ARN",
		url.ID:               `set qualifier = "live" on aws_lambda_function_url`,
		"\"s3\"":             "lambda_function_arn of aws_s3_bucket_notification at the alias ARN (" + aliasLive + ")",
		"\"sns\"":            "endpoint of aws_sns_topic_subscription at the alias ARN",
		"\"events\"":         "arn of aws_cloudwatch_event_target at the alias ARN",
		"\"partner\"":        "point the caller at the alias ARN",
		"orders-api:$LATEST": "",
	}
	if len(rep.Bypassing) != 6 {
		t.Fatalf("bypassing %d triggers, want 6: %v", len(rep.Bypassing), rep.Bypassing)
	}
	all := ""
	for _, f := range rep.Bypassing {
		all += f.String() + "\n"
	}
	for id, fix := range want {
		if !strings.Contains(all, id) || !strings.Contains(all, fix) {
			t.Errorf("report lacks %s / %q:\n%s", id, fix, all)
		}
	}
	if strings.Contains(all, ":beta") || strings.Contains(all, ":2 ") {
		t.Errorf("another alias or a version was reported:\n%s", all)
	}
}

// traffic_arrives_via takes two values, refused otherwise on its path; unknown waits.
func TestTrafficArrivesViaValidation(t *testing.T) {
	bad := "sdk"
	c := Config{Function: fnName, Alias: "live", Version: ptr("4"), TrafficArrivesVia: &bad}
	_, errs := c.Resolve()
	if len(errs) != 1 || FormatPath(errs[0].Path) != "traffic_arrives_via" || !strings.Contains(errs[0].Detail, `"direct_invoke"`) {
		t.Fatalf("errors %v", errs)
	}
	c.Unknown = map[string]bool{"traffic_arrives_via": true}
	if _, errs := c.Resolve(); len(errs) != 0 {
		t.Fatalf("unknown value refused: %v", errs)
	}
	good := ArrivesViaDirectInvoke
	c = Config{Function: fnName, Alias: "live", Version: ptr("4"), TrafficArrivesVia: &good}
	res, errs := c.Resolve()
	if len(errs) != 0 || res.Release.TrafficArrivesVia != ArrivesViaDirectInvoke {
		t.Fatalf("errors %v, release %q", errs, res.Release.TrafficArrivesVia)
	}
	if errs := ValidateRelease(Release{Function: fnName, Alias: "live", Version: "4", TrafficArrivesVia: "x"}); len(errs) != 1 {
		t.Fatalf("hand-built release: %v", errs)
	}
}
