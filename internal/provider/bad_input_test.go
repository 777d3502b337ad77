package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// planCase is one resource configuration validated the way Terraform validates it at
// plan time (ValidateResourceConfig through the framework): wantPath "" means it is
// valid; otherwise the first error must sit on wantPath and its text contain wantText.
type planCase struct {
	name     string
	attrs    map[string]any // merged over a valid code_sha256 release; nil values remove
	wantPath string         // e.g. `AttributeName("traffic_shift").AttributeName("canary")`
	wantText string
}

const goodSha = "3mpC2JdJCl6hzbYBX0Ru1yEcm3t9o4ibv8DJYE/Ay0Q="

func baseRelease() map[string]any {
	return map[string]any{"function_name": "orders-api", "alias": "live", "code_sha256": goodSha}
}

func ts(kind string, v any) map[string]any { return map[string]any{kind: v} }

func iv(p float64, d any) map[string]any { return map[string]any{"percentage": p, "interval": d} }

func step(p float64, d any) map[string]any { return map[string]any{"percentage": p, "hold": d} }

func attrAt(names ...any) string {
	var b strings.Builder
	for i, n := range names {
		if i > 0 {
			b.WriteByte('.')
		}
		switch n := n.(type) {
		case int:
			b.WriteString("ElementKeyInt(" + itoa(n) + ")")
		case string:
			b.WriteString(`AttributeName("` + n + `")`)
		}
	}
	return b.String()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// planCases is the plan-time table: every bad input refused on its own attribute with a
// hint of what to write, and configurations full of unknown values accepted.
var planCases = []planCase{
	// function_name
	{"function name empty", map[string]any{"function_name": ""}, attrAt("function_name"), "write its name"},
	{"function name with space", map[string]any{"function_name": "orders api"}, attrAt("function_name"), "1 to 64 letters"},
	{"function name too long", map[string]any{"function_name": strings.Repeat("f", 65)}, attrAt("function_name"), "1 to 64 letters"},
	{"function name alias qualifier", map[string]any{"function_name": "orders-api:live"}, attrAt("function_name"), `put the alias in alias`},
	{"function name version qualifier", map[string]any{"function_name": "orders-api:3"}, attrAt("function_name"), `names version "3"`},
	{"function name $LATEST qualifier", map[string]any{"function_name": "orders-api:$LATEST"}, attrAt("function_name"), `names version "$LATEST"`},
	{"function ARN with alias", map[string]any{"function_name": "arn:aws:lambda:us-east-1:123456789012:function:orders-api:live"}, attrAt("function_name"), `function_name = "orders-api"`},
	{"partial ARN with version", map[string]any{"function_name": "123456789012:function:orders-api:7"}, attrAt("function_name"), `names version "7"`},
	{"function ARN of another service", map[string]any{"function_name": "arn:aws:sns:us-east-1:123456789012:orders"}, attrAt("function_name"), "full ARN"},
	{"function ARN short account", map[string]any{"function_name": "arn:aws:lambda:us-east-1:1234:function:orders-api"}, attrAt("function_name"), "full ARN"},
	{"partial ARN bad account", map[string]any{"function_name": "12:function:orders-api"}, attrAt("function_name"), "partial ARN"},
	{"function name full ARN ok", map[string]any{"function_name": "arn:aws:lambda:us-east-1:123456789012:function:orders-api"}, "", ""},
	{"function name partial ARN ok", map[string]any{"function_name": "123456789012:function:orders-api"}, "", ""},
	{"function name govcloud ARN ok", map[string]any{"function_name": "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:orders-api"}, "", ""},
	// alias
	{"alias all digits", map[string]any{"alias": "123"}, attrAt("alias"), "must not be all digits"},
	{"alias bad characters", map[string]any{"alias": "live!"}, attrAt("alias"), "1 to 128 letters"},
	{"alias with dot", map[string]any{"alias": "live.v2"}, attrAt("alias"), "1 to 128 letters"},
	{"alias too long", map[string]any{"alias": strings.Repeat("a", 129)}, attrAt("alias"), "1 to 128 letters"},
	{"alias empty", map[string]any{"alias": ""}, attrAt("alias"), "must not be empty"},
	{"alias 128 ok", map[string]any{"alias": strings.Repeat("a-_1", 32)}, "", ""},
	// what to release
	{"both code_sha256 and version", map[string]any{"version": "3"}, attrAt("version"), "not both"},
	{"neither code_sha256 nor version", map[string]any{"code_sha256": nil}, attrAt("code_sha256"), "source_code_hash"},
	{"version $LATEST", map[string]any{"code_sha256": nil, "version": "$LATEST"}, attrAt("version"), "use code_sha256 to publish it"},
	{"version zero", map[string]any{"code_sha256": nil, "version": "0"}, attrAt("version"), `got "0"`},
	{"version leading zero", map[string]any{"code_sha256": nil, "version": "07"}, attrAt("version"), "published version number"},
	{"version negative", map[string]any{"code_sha256": nil, "version": "-1"}, attrAt("version"), "published version number"},
	{"version a name", map[string]any{"code_sha256": nil, "version": "prod"}, attrAt("version"), "publish = true"},
	{"version empty", map[string]any{"code_sha256": nil, "version": ""}, attrAt("version"), "published version number"},
	{"version ok", map[string]any{"code_sha256": nil, "version": "12"}, "", ""},
	{"code_sha256 empty", map[string]any{"code_sha256": ""}, attrAt("code_sha256"), "code_sha256 is empty"},
	{"code_sha256 image digest", map[string]any{"code_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, "", ""},
	{"code_sha256 image digest with sha256: prefix", map[string]any{"code_sha256": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, "", ""},
	{"code_sha256 image digest in upper case", map[string]any{"code_sha256": "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}, "", ""},
	{"code_sha256 hex of the wrong length", map[string]any{"code_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"}, attrAt("code_sha256"), "64 hex characters"},
	{"code_sha256 sha256: prefix on base64", map[string]any{"code_sha256": "sha256:" + goodSha}, attrAt("code_sha256"), "44 characters ending in '='"},
	{"code_sha256 an image URI", map[string]any{"code_sha256": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}, attrAt("code_sha256"), "aws_ecr_image.x.image_digest"},
	{"code_sha256 an image tag", map[string]any{"code_sha256": "123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:v1"}, attrAt("code_sha256"), "pin the image by digest"},
	{"code_sha256 not base64", map[string]any{"code_sha256": "not a hash"}, attrAt("code_sha256"), "base64 SHA-256"},
	{"code_sha256 base64 of the wrong length", map[string]any{"code_sha256": "aGVsbG8="}, attrAt("code_sha256"), "44 characters"},
	{"code_sha256 an S3 etag", map[string]any{"code_sha256": "d41d8cd98f00b204e9800998ecf8427e"}, attrAt("code_sha256"), "filebase64sha256"},
	{"description in version mode", map[string]any{"code_sha256": nil, "version": "3", "description": "release 1.4.2"}, attrAt("description"), "remove description"},
	{"description too long", map[string]any{"description": strings.Repeat("d", 257)}, attrAt("description"), "at most 256"},
	// configuration releases
	{"configuration_sha256 in version mode", map[string]any{"code_sha256": nil, "version": "3", "configuration_sha256": "abc"}, attrAt("configuration_sha256"), "remove configuration_sha256"},
	{"configuration_sha256 with code_sha256 ok", map[string]any{"configuration_sha256": "abc"}, "", ""},
	{"release_configuration false ok", map[string]any{"release_configuration": false}, "", ""},
	{"unknown release_configuration", map[string]any{"release_configuration": unknown}, "", ""},
	{"unknown configuration_sha256", map[string]any{"configuration_sha256": unknown}, "", ""},
	{"unknown configuration_sha256 in version mode", map[string]any{"code_sha256": nil, "version": "3", "configuration_sha256": unknown}, "", ""},
	{"description ok", map[string]any{"description": "release 1.4.2"}, "", ""},
	// traffic_shift kinds
	{"unknown preset", map[string]any{"traffic_shift": ts("preset", "Canary50Percent1Minute")}, attrAt("traffic_shift", "preset"), "Canary10Percent5Minutes"},
	{"preset wrong case", map[string]any{"traffic_shift": ts("preset", "canary10percent5minutes")}, attrAt("traffic_shift", "preset"), `did you mean "Canary10Percent5Minutes"`},
	{"preset CodeDeploy typo", map[string]any{"traffic_shift": ts("preset", "CodeDeployDefault.Canary10Percent5Minutes")}, attrAt("traffic_shift", "preset"), "CodeDeployDefault.Lambda"},
	{"preset empty", map[string]any{"traffic_shift": ts("preset", "")}, attrAt("traffic_shift", "preset"), "unknown preset"},
	{"preset CodeDeploy spelling ok", map[string]any{"traffic_shift": ts("preset", "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")}, "", ""},
	{"preset and canary", map[string]any{"traffic_shift": map[string]any{"preset": "AllAtOnce", "canary": iv(10, "1m")}}, attrAt("traffic_shift", "canary"), "sets preset and canary"},
	{"canary and linear", map[string]any{"traffic_shift": map[string]any{"canary": iv(10, "1m"), "linear": iv(10, "1m")}}, attrAt("traffic_shift", "linear"), "keep exactly one"},
	{"linear and steps", map[string]any{"traffic_shift": map[string]any{"linear": iv(10, "1m"), "steps": []any{step(5, "1m")}}}, attrAt("traffic_shift", "steps"), "sets linear and steps"},
	{"empty traffic_shift", map[string]any{"traffic_shift": map[string]any{}}, attrAt("traffic_shift"), "misspelled key"},
	{"steps empty", map[string]any{"traffic_shift": ts("steps", []any{})}, attrAt("traffic_shift", "steps"), "at least one step"},
	// percentages
	{"canary 0%", map[string]any{"traffic_shift": ts("canary", iv(0, "1m"))}, attrAt("traffic_shift", "canary", "percentage"), "greater than 0"},
	{"canary 100%", map[string]any{"traffic_shift": ts("canary", iv(100, "1m"))}, attrAt("traffic_shift", "canary", "percentage"), "the final 100% step is implicit"},
	{"canary negative", map[string]any{"traffic_shift": ts("canary", iv(-5, "1m"))}, attrAt("traffic_shift", "canary", "percentage"), "got -5"},
	{"linear over 100", map[string]any{"traffic_shift": ts("linear", iv(150, "1m"))}, attrAt("traffic_shift", "linear", "percentage"), "less than 100"},
	{"linear 0", map[string]any{"traffic_shift": ts("linear", iv(0, "1m"))}, attrAt("traffic_shift", "linear", "percentage"), "such as 10"},
	{"steps decreasing", map[string]any{"traffic_shift": ts("steps", []any{step(25, "1m"), step(10, "1m")})}, attrAt("traffic_shift", "steps", 1, "percentage"), "greater than the step before it (25%)"},
	{"steps repeated", map[string]any{"traffic_shift": ts("steps", []any{step(10, "1m"), step(10, "1m")})}, attrAt("traffic_shift", "steps", 1, "percentage"), "greater than the step before it"},
	{"steps at 100", map[string]any{"traffic_shift": ts("steps", []any{step(50, "1m"), step(100, "1m")})}, attrAt("traffic_shift", "steps", 1, "percentage"), "implicit"},
	{"steps fractions ok", map[string]any{"traffic_shift": ts("steps", []any{step(0.5, "1m"), step(25, "2m")})}, "", ""},
	// durations
	{"canary interval words", map[string]any{"traffic_shift": ts("canary", iv(10, "five minutes"))}, attrAt("traffic_shift", "canary", "interval"), `traffic_shift.canary.interval must be a Go duration`},
	{"canary interval in days", map[string]any{"traffic_shift": ts("canary", iv(10, "1d"))}, attrAt("traffic_shift", "canary", "interval"), "24h for a day"},
	{"canary interval empty", map[string]any{"traffic_shift": ts("canary", iv(10, ""))}, attrAt("traffic_shift", "canary", "interval"), "is empty"},
	{"canary interval without unit", map[string]any{"traffic_shift": ts("canary", iv(10, "5"))}, attrAt("traffic_shift", "canary", "interval"), `write "5s" or "5m"`},
	{"canary interval below 1s", map[string]any{"traffic_shift": ts("canary", iv(10, "500ms"))}, attrAt("traffic_shift", "canary", "interval"), "at least 1s"},
	{"linear interval zero", map[string]any{"traffic_shift": ts("linear", iv(10, "0s"))}, attrAt("traffic_shift", "linear", "interval"), "at least 1s"},
	{"linear interval words", map[string]any{"traffic_shift": ts("linear", iv(10, "a minute"))}, attrAt("traffic_shift", "linear", "interval"), "Go duration"},
	{"step hold negative", map[string]any{"traffic_shift": ts("steps", []any{step(10, "-1s")})}, attrAt("traffic_shift", "steps", 0, "hold"), "at least 1s"},
	{"step hold unparsable", map[string]any{"traffic_shift": ts("steps", []any{step(10, "1m"), step(20, "2 min")})}, attrAt("traffic_shift", "steps", 1, "hold"), `got "2 min"`},
	{"poll interval below 1s", map[string]any{"alarm_poll_interval": "500ms"}, attrAt("alarm_poll_interval"), "at least 1s"},
	{"poll interval unparsable", map[string]any{"alarm_poll_interval": "often"}, attrAt("alarm_poll_interval"), `such as "10s"`},
	{"poll interval empty", map[string]any{"alarm_poll_interval": ""}, attrAt("alarm_poll_interval"), "is empty"},
	{"poll interval number", map[string]any{"alarm_poll_interval": "10"}, attrAt("alarm_poll_interval"), `write "10s"`},
	// timeouts
	{"timeout words", map[string]any{"timeouts": map[string]any{"update": "five minutes"}}, attrAt("timeouts", "update"), "timeouts.update must be a Go duration"},
	{"timeout in days", map[string]any{"timeouts": map[string]any{"update": "1d"}}, attrAt("timeouts", "update"), "24h for a day"},
	{"timeout empty", map[string]any{"timeouts": map[string]any{"create": ""}}, attrAt("timeouts", "create"), "timeouts.create is empty"},
	{"timeout without unit", map[string]any{"timeouts": map[string]any{"delete": "5"}}, attrAt("timeouts", "delete"), `write "5s" or "5m"`},
	{"timeout unparsable", map[string]any{"timeouts": map[string]any{"create": "forever"}}, attrAt("timeouts", "create"), `got "forever"`},
	{"schedule longer than default timeout", map[string]any{"traffic_shift": ts("canary", iv(10, "2h"))}, attrAt("traffic_shift"), "timeouts.create is 1h0m0s"},
	{"schedule longer than create timeout, update fits", map[string]any{"traffic_shift": ts("canary", iv(10, "30m")), "timeouts": map[string]any{"create": "10m", "update": "2h"}}, attrAt("timeouts"), `timeouts.create is 10m0s`},
	{"schedule longer than update timeout", map[string]any{"traffic_shift": ts("preset", "Linear10PercentEvery1Minute"), "timeouts": map[string]any{"update": "5m"}}, attrAt("timeouts"), `timeouts = { update = "15m" }`},
	{"timeout holds schedule but no poll", map[string]any{"traffic_shift": ts("canary", iv(10, "5m")), "timeouts": map[string]any{"create": "5m"}}, attrAt("timeouts"), "read once more every 10s"},
	{"timeout holds schedule and poll", map[string]any{"traffic_shift": ts("canary", iv(10, "5m")), "timeouts": map[string]any{"create": "6m"}}, "", ""},
	// alarms
	{"duplicated alarms", map[string]any{"alarms": []any{"errors", "errors"}}, attrAt("alarms", 1), "list each alarm once"},
	{"alarm by name and ARN", map[string]any{"alarms": []any{"errors", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:errors"}}, attrAt("alarms", 1), "same alarm as alarms[0]"},
	{"empty alarm name", map[string]any{"alarms": []any{"ok", ""}}, attrAt("alarms", 1), "alarms[1] is empty"},
	{"alarm ARN other account than the function", map[string]any{"function_name": "arn:aws:lambda:us-east-1:123456789012:function:orders-api", "alarms": []any{"arn:aws:cloudwatch:us-east-1:210987654321:alarm:errors"}}, attrAt("alarms", 0), "account 210987654321"},
	// hooks
	{"empty hooks", map[string]any{"hooks": map[string]any{}}, attrAt("hooks"), "misspelled key"},
	{"empty hook name", map[string]any{"hooks": map[string]any{"pre_traffic": ""}}, attrAt("hooks", "pre_traffic"), "hooks.pre_traffic must name"},
	{"hook name with space", map[string]any{"hooks": map[string]any{"post_traffic": "smoke test"}}, attrAt("hooks", "post_traffic"), "1 to 64 letters"},
	{"hook qualified", map[string]any{"hooks": map[string]any{"pre_traffic": "smoke:live"}}, attrAt("hooks", "pre_traffic"), "give the function alone"},
	{"hook ARN ok", map[string]any{"hooks": map[string]any{"pre_traffic": "arn:aws:lambda:us-east-1:123456789012:function:smoke"}}, "", ""},
	// events
	{"event bus with space", map[string]any{"events": map[string]any{"event_bus": "my bus"}}, attrAt("events", "event_bus"), "1 to 256 letters"},
	{"event bus empty", map[string]any{"events": map[string]any{"event_bus": ""}}, attrAt("events", "event_bus"), `write "default"`},
	{"event bus ARN of a topic", map[string]any{"events": map[string]any{"event_bus": "arn:aws:sns:us-east-1:123456789012:releases"}}, attrAt("events", "event_bus"), "event bus name or ARN"},
	{"event bus default ok", map[string]any{"events": map[string]any{"event_bus": "default"}}, "", ""},
	{"event bus ARN ok", map[string]any{"events": map[string]any{"event_bus": "arn:aws:events:us-east-1:123456789012:event-bus/releases"}}, "", ""},
	// metric gates
	{"empty metric_gates", map[string]any{"metric_gates": map[string]any{}}, attrAt("metric_gates"), "misspelled key"},
	{"confidence alone", map[string]any{"metric_gates": map[string]any{"confidence": 0.9}}, attrAt("metric_gates"), "needs at least one of"},
	{"error rate over 1", map[string]any{"metric_gates": map[string]any{"max_error_rate": 1.5}}, attrAt("metric_gates", "max_error_rate"), "write 0.01 for 1%"},
	{"error rate negative", map[string]any{"metric_gates": map[string]any{"max_error_rate": -0.1}}, attrAt("metric_gates", "max_error_rate"), "got -0.1"},
	{"p99 unparsable", map[string]any{"metric_gates": map[string]any{"max_p99_duration": "fast"}}, attrAt("metric_gates", "max_p99_duration"), `such as "800ms"`},
	{"p99 below 1ms", map[string]any{"metric_gates": map[string]any{"max_p99_duration": "500us"}}, attrAt("metric_gates", "max_p99_duration"), "at least 1ms"},
	{"confidence 0.5", map[string]any{"metric_gates": map[string]any{"compare_to_baseline": true, "confidence": 0.5}}, attrAt("metric_gates", "confidence"), "greater than 0.5"},
	{"confidence 1", map[string]any{"metric_gates": map[string]any{"compare_to_baseline": true, "confidence": 1.0}}, attrAt("metric_gates", "confidence"), "less than 1"},
	{"confidence 0", map[string]any{"metric_gates": map[string]any{"compare_to_baseline": true, "confidence": 0.0}}, attrAt("metric_gates", "confidence"), "write 0.95"},
	{"min invocations negative", map[string]any{"metric_gates": map[string]any{"min_invocations": -1}}, attrAt("metric_gates", "min_invocations"), "got -1"},
	// retention
	{"keep_versions zero", map[string]any{"keep_versions": 0}, attrAt("keep_versions"), "at least 1"},
	{"keep_versions negative", map[string]any{"keep_versions": -3}, attrAt("keep_versions"), "remove it to keep every version"},

	// Unknown values wait; they never fail validation.
	{"unknown function and alias", map[string]any{"function_name": unknown, "alias": unknown}, "", ""},
	{"unknown code_sha256", map[string]any{"code_sha256": unknown}, "", ""},
	{"unknown version", map[string]any{"code_sha256": nil, "version": unknown}, "", ""},
	{"unknown version with description", map[string]any{"code_sha256": nil, "version": unknown, "description": "d"}, "", ""},
	{"unknown alarm element", map[string]any{"alarms": []any{"errors", unknown}}, "", ""},
	{"unknown alarms list", map[string]any{"alarms": unknown}, "", ""},
	{"duplicate after an unknown element", map[string]any{"alarms": []any{"errors", unknown, "errors"}}, attrAt("alarms", 2), "same alarm as alarms[0]"},
	{"unknown traffic_shift", map[string]any{"traffic_shift": unknown}, "", ""},
	{"unknown preset", map[string]any{"traffic_shift": ts("preset", unknown)}, "", ""},
	{"unknown canary", map[string]any{"traffic_shift": ts("canary", unknown)}, "", ""},
	{"unknown canary interval", map[string]any{"traffic_shift": ts("canary", iv(10, unknown))}, "", ""},
	{"unknown percentage, bad interval", map[string]any{"traffic_shift": ts("canary", map[string]any{"percentage": unknown, "interval": "1d"})}, attrAt("traffic_shift", "canary", "interval"), "24h"},
	{"unknown steps", map[string]any{"traffic_shift": ts("steps", unknown)}, "", ""},
	{"unknown step", map[string]any{"traffic_shift": ts("steps", []any{step(10, "1m"), map[string]any{"percentage": unknown, "hold": unknown}})}, "", ""},
	{"unknown step hold", map[string]any{"traffic_shift": ts("steps", []any{step(10, unknown)})}, "", ""},
	{"unknown kind beside a known one", map[string]any{"traffic_shift": map[string]any{"preset": unknown, "canary": iv(10, "1m")}}, "", ""},
	{"unknown hooks", map[string]any{"hooks": unknown}, "", ""},
	{"unknown hook", map[string]any{"hooks": map[string]any{"pre_traffic": unknown}}, "", ""},
	{"unknown events", map[string]any{"events": unknown}, "", ""},
	{"unknown event bus", map[string]any{"events": map[string]any{"event_bus": unknown}}, "", ""},
	{"unknown metric_gates", map[string]any{"metric_gates": unknown}, "", ""},
	{"unknown gate", map[string]any{"metric_gates": map[string]any{"max_error_rate": unknown}}, "", ""},
	{"unknown timeouts", map[string]any{"timeouts": unknown}, "", ""},
	{"unknown timeout", map[string]any{"timeouts": map[string]any{"create": unknown, "update": unknown}, "traffic_shift": ts("canary", iv(10, "2h"))}, "", ""},
	{"unknown poll interval", map[string]any{"alarm_poll_interval": unknown}, "", ""},
	{"unknown keep_versions", map[string]any{"keep_versions": unknown}, "", ""},
	{"unknown ignore_alarms", map[string]any{"ignore_alarms": unknown}, "", ""},
}

func resourceSchemaType(t *testing.T, s tfprotov6.ProviderServer) tftypes.Type {
	t.Helper()
	resp, err := s.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.ResourceSchemas["safelambda_deployment"].ValueType()
}

// The plan-time table: every bad input is refused on its own attribute path with a message
// that says what to write, before any AWS client exists; unknown values are accepted.
func TestDeploymentPlanTimeValidation(t *testing.T) {
	bad := 0
	for _, tc := range planCases {
		if tc.wantPath != "" {
			bad++
		}
	}
	if bad < 80 {
		t.Fatalf("the table should hold at least 80 bad inputs, has %d", bad)
	}
	s := protoServer(t)
	typ := resourceSchemaType(t, s)
	for _, tc := range planCases {
		t.Run(tc.name, func(t *testing.T) { runPlanCase(t, s, typ, tc) })
	}
}

// runPlanCase validates one configuration the way Terraform does at plan time and checks
// its errors against the case.
func runPlanCase(t *testing.T, s tfprotov6.ProviderServer, typ tftypes.Type, tc planCase) {
	t.Helper()
	attrs := baseRelease()
	for k, v := range tc.attrs {
		if v == nil {
			delete(attrs, k)
			continue
		}
		attrs[k] = v
	}
	resp, err := s.ValidateResourceConfig(context.Background(), &tfprotov6.ValidateResourceConfigRequest{
		TypeName: "safelambda_deployment",
		Config:   dynamicValue(t, typ, attrs),
	})
	if err != nil {
		t.Fatal(err)
	}
	var errs []*tfprotov6.Diagnostic
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			errs = append(errs, d)
		}
	}
	if tc.wantPath == "" {
		if len(errs) > 0 {
			t.Fatalf("want no error, got:\n%s", diagSummary(errs))
		}
		return
	}
	if len(errs) != 1 {
		t.Fatalf("want exactly one error (on %s), got %d:\n%s", tc.wantPath, len(errs), diagSummary(errs))
	}
	d := errs[0]
	if d.Attribute == nil || d.Attribute.String() != tc.wantPath {
		t.Errorf("error on %v, want %s:\n%s", d.Attribute, tc.wantPath, diagSummary(errs))
	}
	if !strings.Contains(d.Detail, tc.wantText) {
		t.Errorf("detail %q does not contain %q", d.Detail, tc.wantText)
	}
	for _, raw := range []string{`\n`, "time: invalid duration", "strconv."} {
		if strings.Contains(d.Detail, raw) || strings.Contains(d.Summary, raw) {
			t.Errorf("message carries %q: %s", raw, d.Detail)
		}
	}
}
