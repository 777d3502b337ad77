package shift

import (
	"strings"
	"testing"
	"time"
)

func TestSameFunction(t *testing.T) {
	const arn = "arn:aws:lambda:eu-central-1:123456789012:function:orders-api"
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"orders-api", "orders-api", true},
		{"orders-api", arn, true},
		{arn, "123456789012:function:orders-api", true},
		{"orders-api", "123456789012:function:orders-api", true},
		{"orders-api", "payments-api", false},
		{arn, "arn:aws:lambda:eu-central-1:210987654321:function:orders-api", false},
		{arn, "arn:aws:lambda:us-east-1:123456789012:function:orders-api", false},
		{"123456789012:function:orders-api", "210987654321:function:orders-api", false},
		{"orders-api", "orders-api:live", false},
		{"orders-api", "not a name", false},
	} {
		if got := SameFunction(tt.a, tt.b); got != tt.same {
			t.Errorf("SameFunction(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

// A configuration resolves to the Release the engine runs; unknown values make it
// incomplete, never invalid.
func TestConfigResolve(t *testing.T) {
	sha := "3mpC2JdJCl6hzbYBX0Ru1yEcm3t9o4ibv8DJYE/Ay0Q="
	s := func(v string) *string { return &v }
	c := Config{
		Function: "orders-api", Alias: "live", CodeSha256: s(sha),
		Shift:  &ShiftConfig{Linear: &IntervalConfig{Percentage: 30, Interval: "1m"}},
		Alarms: []string{"arn:aws:cloudwatch:eu-central-1:123456789012:alarm:errors", "latency"},
		Hooks:  &HooksConfig{PreTraffic: s("smoke")}, Timeouts: map[string]string{"update": "10m"},
		Region: "eu-central-1",
	}
	got, errs := c.Resolve()
	if len(errs) > 0 || !got.Complete {
		t.Fatalf("errors %v, complete %v", errs, got.Complete)
	}
	if d := Describe(got.Release); d != "pre_traffic hook, 30%, 60% … 90% for 1m0s each, 100%; 2 alarms polled every 10s; at least 3m0s" {
		t.Errorf("Describe = %q", d)
	}
	if got.Release.Alarms[0] != "errors" || got.UpdateTimeout != 10*time.Minute || got.CreateTimeout != DefaultApplyTimeout {
		t.Errorf("resolved %+v", got)
	}

	c.Unknown = map[string]bool{"traffic_shift.linear.interval": true, "alarms[1]": true}
	got, errs = c.Resolve()
	if len(errs) > 0 || got.Complete {
		t.Errorf("with unknowns: errors %v, complete %v; want none and incomplete", errs, got.Complete)
	}

	c.Unknown = nil
	c.Region = "us-east-1"
	_, errs = c.Resolve()
	if len(errs) != 1 || FormatPath(errs[0].Path) != "alarms[0]" || !strings.Contains(errs[0].Detail, "this provider works in us-east-1") {
		t.Errorf("an alarm ARN of another region: %v", errs)
	}
}

func TestParseDurationMessages(t *testing.T) {
	for text, want := range map[string]string{
		"":             `x.interval is empty: write a Go duration such as "5m"`,
		"1d":           "there is no day unit",
		"5":            `write "5s" or "5m"`,
		"five minutes": `got "five minutes"`,
		"500ms":        "at least 1s",
	} {
		_, e, bad := parseDuration([]any{"x", "interval"}, text, "5m")
		if !bad || !strings.Contains(e.Detail, want) {
			t.Errorf("parseDuration(%q) = %q, want it to contain %q", text, e.Detail, want)
		}
	}
	if d, _, bad := parseDuration([]any{"x"}, "1h30m", "5m"); bad || d != 90*time.Minute {
		t.Errorf("1h30m = %v, %v", d, bad)
	}
}
