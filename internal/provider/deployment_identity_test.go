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
	if got := wasText(shift.Restored{WasVersion: "5"}); got != "5" {
		t.Errorf("wasText promoted = %q", got)
	}
	if got := wasText(shift.Restored{WasVersion: "4", WasWeights: map[string]float64{"5": 0.1}}); got != "4, 10% on 5" {
		t.Errorf("wasText split = %q", got)
	}
}
