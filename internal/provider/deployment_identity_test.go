package provider

import (
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

func TestIdentityFromARN(t *testing.T) {
	tests := []struct {
		function, aliasARN string
		want               string // "name alias region account", "" when not ok
	}{
		{"orders-api", "arn:aws:lambda:eu-central-1:123456789012:function:orders-api:live", "orders-api live eu-central-1 123456789012"},
		{"arn:aws:lambda:eu-central-1:123456789012:function:orders-api", "arn:aws:lambda:eu-central-1:123456789012:function:orders-api:live", "orders-api live eu-central-1 123456789012"},
		{"arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-api:7", "arn:aws-cn:lambda:cn-north-1:123456789012:function:orders-api:live", "orders-api live cn-north-1 123456789012"},
		{"orders-api", "", ""},
		{"orders-api", "not an arn", ""},
	}
	for _, tt := range tests {
		id, ok := identityFromARN(tt.function, "live", tt.aliasARN)
		got := ""
		if ok {
			got = id.FunctionName.ValueString() + " " + id.Alias.ValueString() + " " + id.Region.ValueString() + " " + id.AccountID.ValueString()
		}
		if got != tt.want {
			t.Errorf("identityFromARN(%q, %q) = %q, want %q", tt.function, tt.aliasARN, got, tt.want)
		}
	}
}

func TestRoutingAndWasText(t *testing.T) {
	if got := routingText("4", nil); got != "4" {
		t.Errorf("routingText no weights = %q", got)
	}
	if got := routingText("4", map[string]float64{"5": 0.1}); got != "4 (10% on 5)" {
		t.Errorf("routingText = %q", got)
	}
	tests := []struct{ preflight, previous, want string }{
		{"ok: alias live serves 5 with no weights; restoring version 4", "5", "5"},
		{"ok: alias live serves 4 with 10% on 5; restoring version 4", "4", "4, 10% on 5"},
		{"", "5", "5"}, // no preflight event seen: the version it served
	}
	for _, tt := range tests {
		if got := wasText(tt.preflight, tt.previous); got != tt.want {
			t.Errorf("wasText(%q) = %q, want %q", tt.preflight, got, tt.want)
		}
	}
}

func TestAlarmOutcome(t *testing.T) {
	firing, unread := alarmOutcome([]shift.Event{
		{Kind: shift.EventRollback, Detail: "rolling back to 4 with no weights"},
		{Kind: shift.EventWarning, Detail: `alarm "errors" is in ALARM after the restore: threshold crossed`},
	})
	if firing == "" || unread != "" {
		t.Errorf("alarmOutcome = %q, %q; want the firing alarm", firing, unread)
	}
	if f, u := alarmOutcome([]shift.Event{{Kind: shift.EventPoll, Detail: "1 alarm OK or INSUFFICIENT_DATA after the restore"}}); f != "" || u != "" {
		t.Errorf("alarmOutcome of a clean check = %q, %q", f, u)
	}
}
