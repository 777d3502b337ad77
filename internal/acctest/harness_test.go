package acctest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

func TestMotoIsUpDockerFreeAndInTheEnvironment(t *testing.T) {
	requireMoto(t)

	resp, err := http.Get(Endpoint() + "/moto-api/config")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var cfg struct {
		Lambda struct {
			UseDocker bool `json:"use_docker"`
		} `json:"lambda"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cfg); err != nil {
		t.Fatalf("decode /moto-api/config: %v", err)
	}
	if cfg.Lambda.UseDocker {
		t.Error("moto's Lambda still uses Docker; Main must POST /moto-api/config first")
	}

	for k, want := range map[string]string{
		"AWS_ENDPOINT_URL":      Endpoint(),
		"AWS_ACCESS_KEY_ID":     "testing",
		"AWS_SECRET_ACCESS_KEY": "testing",
		"AWS_REGION":            "us-east-1",
		"AWS_DEFAULT_REGION":    "us-east-1",
	} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if v, ok := os.LookupEnv("AWS_PROFILE"); ok {
		t.Errorf("AWS_PROFILE = %q, want it unset", v)
	}
	if !strings.HasPrefix(Endpoint(), "http://127.0.0.1:") {
		t.Errorf("Endpoint() = %q, want a loopback URL", Endpoint())
	}

	id, err := STS(t).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("STS through moto: %v", err)
	}
	if got := aws.ToString(id.Account); got != "123456789012" {
		t.Errorf("account = %s, want moto's 123456789012", got)
	}
}

func invoke(t *testing.T, function, qualifier, payload string) *lambda.InvokeOutput {
	t.Helper()
	in := &lambda.InvokeInput{FunctionName: aws.String(function), Payload: []byte(payload)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := Lambda(t).Invoke(t.Context(), in)
	if err != nil {
		t.Fatalf("invoke %s:%s: %v", function, qualifier, err)
	}
	return out
}

func TestQueueHookResultsComeBackInFIFOOrderAcrossFunctions(t *testing.T) {
	requireMoto(t)
	fn := FunctionPublished(t, RandName("tf-acc-fifo"))
	CreateAlias(t, fn.Name, "live", "1", nil)
	other := Function(t, "")

	QueueHookResults(t, `{"hook":1}`, `{"hook":2}`)
	QueueHookResults(t, `{"hook":3}`) // the owner may queue more; they go to the back

	steps := []struct{ function, qualifier, want string }{
		{fn.Name, "live", `{"hook":1}`},
		{fn.Name, "", `{"hook":2}`},
		{other.Name, "", `{"hook":3}`}, // one queue per region, not per function
		{fn.Name, "live", `{"echo":true}`},
	}
	for i, s := range steps {
		out := invoke(t, s.function, s.qualifier, `{"echo":true}`)
		if got := string(out.Payload); got != s.want {
			t.Errorf("invoke %d: payload %s, want %s", i+1, got, s.want)
		}
		if out.StatusCode != http.StatusOK || out.FunctionError != nil {
			t.Errorf("invoke %d: status %d, function error %q; moto's docker-free Lambda always succeeds", i+1, out.StatusCode, aws.ToString(out.FunctionError))
		}
	}
}

func TestQueueHookResultsLeftoversAreDrainedWhenTheOwnerEnds(t *testing.T) {
	requireMoto(t)
	fn := Function(t, "")
	t.Run("queues and never invokes", func(t *testing.T) {
		QueueHookResults(t, "left", "over")
	})
	if got := string(invoke(t, fn.Name, "", `{"mine":1}`).Payload); got != `{"mine":1}` {
		t.Errorf("after the owner ended, invoke returned %s, want the echo of its payload", got)
	}
}

func TestQueueHookResultsGivesParallelTestsTheQueueInTurn(t *testing.T) {
	requireMoto(t)
	fn := Function(t, "")
	t.Run("group", func(t *testing.T) {
		for i := range 3 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				first, second := fmt.Sprintf(`"%d-a"`, i), fmt.Sprintf(`"%d-b"`, i)
				QueueHookResults(t, first, second)
				for _, want := range []string{first, second} {
					if got := string(invoke(t, fn.Name, "", `{"echo":1}`).Payload); got != want {
						t.Errorf("payload %s, want %s: another test used the queue meanwhile", got, want)
					}
				}
				t.Run("subtest shares the owner's queue", func(t *testing.T) {
					QueueHookResults(t, `"sub"`)
					if got := string(invoke(t, fn.Name, "", `{"echo":1}`).Payload); got != `"sub"` {
						t.Errorf("payload %s, want \"sub\"", got)
					}
				})
			})
		}
	})
}

func alarmState(t *testing.T, name string) cwtypes.MetricAlarm {
	t.Helper()
	out, err := CloudWatch(t).DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		t.Fatalf("describe alarm %s: %v", name, err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("describe alarm %s: %d alarms, want 1", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

func TestAlarmsAreSetAndReadBackOverQuery(t *testing.T) {
	PreCheck(t)
	if _, ok := CloudWatch(t).Options().Protocol.(*awsquery.Protocol); !ok {
		t.Fatalf("CloudWatch client protocol is %T, want the query protocol", CloudWatch(t).Options().Protocol)
	}

	name := RandName("tf-acc-alarm")
	Alarm(t, name)
	a := alarmState(t, name)
	if aws.ToString(a.Namespace) != "AWS/Lambda" || aws.ToString(a.MetricName) != "Errors" ||
		a.Statistic != cwtypes.StatisticSum || aws.ToInt32(a.Period) != 60 || aws.ToInt32(a.EvaluationPeriods) != 1 ||
		aws.ToFloat64(a.Threshold) != 1 || a.ComparisonOperator != cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold {
		t.Errorf("alarm definition = %+v", a)
	}
	for _, state := range []string{"ALARM", "OK", "ALARM"} {
		SetAlarmState(t, name, state)
		if got := alarmState(t, name); string(got.StateValue) != state || aws.ToString(got.StateReason) != "set by acctest" {
			t.Errorf("after SetAlarmState(%s): state %s, reason %q", state, got.StateValue, aws.ToString(got.StateReason))
		}
	}
}

func TestCloudWatchDefaultCBORIsNotAnsweredByMoto(t *testing.T) {
	requireMoto(t)
	_, err := cloudwatch.NewFromConfig(Config(t)).DescribeAlarms(t.Context(), &cloudwatch.DescribeAlarmsInput{})
	if err == nil {
		t.Fatal("moto answered the SDK's default CBOR protocol; the query override in CloudWatch() may no longer be needed")
	}
	t.Logf("as expected, CBOR against moto fails: %v", err)
}

func TestFunctionCodeUpdatesAndVersions(t *testing.T) {
	PreCheck(t)
	name := RandName("tf-acc-fn")
	fn := Function(t, name)
	if fn.Name != name || fn.Version != "$LATEST" || !strings.HasSuffix(fn.ARN, ":function:"+name) {
		t.Errorf("Function() = %+v", fn)
	}
	if fn.CodeSha256 != HandlerCodeSha256("v1") {
		t.Errorf("CodeSha256 = %s, want %s (the hash of HandlerZip(\"v1\"))", fn.CodeSha256, HandlerCodeSha256("v1"))
	}

	sha2 := UpdateCode(t, name, "v2")
	if sha2 != HandlerCodeSha256("v2") || sha2 == fn.CodeSha256 {
		t.Errorf("UpdateCode(v2) = %s, want %s", sha2, HandlerCodeSha256("v2"))
	}
	if v := Publish(t, name); v != "1" {
		t.Errorf("first Publish = %q, want 1", v)
	}
	sha3 := UpdateCode(t, name, "v3")
	if v := Publish(t, name); v != "2" {
		t.Errorf("second Publish = %q, want 2", v)
	}
	for version, want := range map[string]string{"1": sha2, "2": sha3, "$LATEST": sha3} {
		out, err := Lambda(t).GetFunction(t.Context(), &lambda.GetFunctionInput{FunctionName: aws.String(name), Qualifier: aws.String(version)})
		if err != nil {
			t.Fatalf("get version %s: %v", version, err)
		}
		if got := aws.ToString(out.Configuration.CodeSha256); got != want {
			t.Errorf("version %s CodeSha256 = %s, want %s", version, got, want)
		}
	}
	if again := UpdateCode(t, name, "v1"); again != fn.CodeSha256 {
		t.Errorf("same body, different hash: %s vs %s; HandlerZip must be deterministic", again, fn.CodeSha256)
	}

	pub := FunctionPublished(t, "")
	if pub.Version != "1" || pub.CodeSha256 != HandlerCodeSha256("v1") {
		t.Errorf("FunctionPublished() = %+v, want version 1 with the v1 hash", pub)
	}
}

func TestAliasCreateGetSet(t *testing.T) {
	PreCheck(t)
	fn := FunctionPublished(t, "")
	UpdateCode(t, fn.Name, "v2")
	Publish(t, fn.Name)

	if got := GetAlias(t, fn.Name, "live"); got.Exists {
		t.Fatalf("alias before creation: %+v", got)
	}
	CreateAlias(t, fn.Name, "live", "1", nil)
	if got := GetAlias(t, fn.Name, "live"); !got.Exists || got.Version != "1" || got.Weights != nil || got.RevisionID == "" {
		t.Errorf("after CreateAlias: %+v", got)
	}
	SetAlias(t, fn.Name, "live", "1", map[string]float64{"2": 0.25})
	if got := GetAlias(t, fn.Name, "live"); got.Version != "1" || len(got.Weights) != 1 || got.Weights["2"] != 0.25 {
		t.Errorf("after shifting 25%% to 2: %+v", got)
	}
	SetAlias(t, fn.Name, "live", "2", nil)
	if got := GetAlias(t, fn.Name, "live"); got.Version != "2" || got.Weights != nil {
		t.Errorf("after SetAlias(2, nil): %+v, want all traffic on 2 and no weights", got)
	}
	if got := GetAlias(t, RandName("tf-acc-missing"), "live"); got.Exists {
		t.Errorf("alias of a missing function: %+v", got)
	}
}

func TestPutLambdaMetricIsFoundByItsDimensions(t *testing.T) {
	PreCheck(t)
	fn := RandName("tf-acc-metric")
	PutLambdaMetric(t, fn, "live", "2", "Errors", 3)

	out, err := CloudWatch(t).ListMetrics(t.Context(), &cloudwatch.ListMetricsInput{
		Namespace:  aws.String("AWS/Lambda"),
		MetricName: aws.String("Errors"),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("FunctionName"), Value: aws.String(fn)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Metrics) != 1 {
		t.Fatalf("ListMetrics for %s: %d metrics, want 1", fn, len(out.Metrics))
	}
	got := map[string]string{}
	for _, d := range out.Metrics[0].Dimensions {
		got[aws.ToString(d.Name)] = aws.ToString(d.Value)
	}
	want := map[string]string{"FunctionName": fn, "Resource": fn + ":live", "ExecutedVersion": "2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("dimensions = %v, want %v", got, want)
	}
}

func TestRoleIsCreatedOncePerBinary(t *testing.T) {
	PreCheck(t)
	a, b := Role(t), Role(t)
	if a != b || !strings.Contains(a, ":role/tf-acc-role-") {
		t.Errorf("Role() = %q then %q, want one tf-acc-role-* ARN", a, b)
	}
}

// Pins two quirks of moto 5.2.1's docker-free Invoke that engine tests must design
// around: it reads a lowercase "qualifier" from the JSON body (never the Qualifier query
// parameter), so any JSON payload that is not an object fails with HTTP 500; and it never
// looks the function up, so invoking a missing function succeeds.
func TestMotoInvokeQuirks(t *testing.T) {
	requireMoto(t)
	fn := FunctionPublished(t, "")
	QueueHookResults(t) // own the queue so the echoes below are ours

	for _, qualifier := range []string{"", "1"} {
		in := &lambda.InvokeInput{FunctionName: aws.String(fn.Name), Payload: []byte(`"text"`)}
		if qualifier != "" {
			in.Qualifier = aws.String(qualifier)
		}
		if _, err := Lambda(t).Invoke(t.Context(), in, func(o *lambda.Options) { o.RetryMaxAttempts = 1 }); err == nil {
			t.Errorf("qualifier %q: moto accepted a non-object JSON payload; the quirk is gone, update SPEC.md section 4", qualifier)
		}
	}
	missing := RandName("tf-acc-missing")
	if got := string(invoke(t, missing, "", `{"to":"nobody"}`).Payload); got != `{"to":"nobody"}` {
		t.Errorf("invoking missing function %s returned %s, want moto's echo", missing, got)
	}
}

func TestRandName(t *testing.T) {
	re := regexp.MustCompile(`^tf-acc-[a-z0-9]{10}$`)
	seen := map[string]bool{}
	for range 1000 {
		n := RandName("tf-acc")
		if !re.MatchString(n) {
			t.Fatalf("RandName = %q", n)
		}
		if seen[n] {
			t.Fatalf("RandName repeated %q", n)
		}
		seen[n] = true
	}
}
