package provider

import "testing"

func approval(attrs map[string]any) map[string]any {
	out := map[string]any{"function": "approve"}
	for k, v := range attrs {
		out[k] = v
	}
	return out
}

// approvalPlanCases: the approval block's bad inputs, each refused on its own path at
// plan time, and configurations with unknown values accepted.
var approvalPlanCases = []planCase{
	{"approval ok", map[string]any{"approval": approval(nil)}, "", ""},
	{"approval ARN ok", map[string]any{"approval": approval(map[string]any{"function": "arn:aws:lambda:us-east-1:123456789012:function:approve"})}, "", ""},
	{"approval promotion only with AllAtOnce ok", map[string]any{"approval": approval(map[string]any{"before": []any{"promotion"}})}, "", ""},
	{"approval function empty", map[string]any{"approval": approval(map[string]any{"function": ""})}, attrAt("approval", "function"), "approval.function must name"},
	{"approval function qualified", map[string]any{"approval": approval(map[string]any{"function": "approve:live"})}, attrAt("approval", "function"), "give the function alone"},
	{"approval before empty", map[string]any{"approval": approval(map[string]any{"before": []any{}})}, attrAt("approval", "before"), `write ["traffic_increase", "promotion"]`},
	{"approval before misspelled", map[string]any{"approval": approval(map[string]any{"before": []any{"traffic-increase"}})}, attrAt("approval", "before"), `got "traffic-increase"`},
	{"approval never asked", map[string]any{"approval": approval(map[string]any{"before": []any{"traffic_increase"}})}, attrAt("approval", "before"), "AllAtOnce"},
	{"approval poll interval without unit", map[string]any{"approval": approval(map[string]any{"poll_interval": "30"})}, attrAt("approval", "poll_interval"), `"30s"`},
	{"approval poll interval too short", map[string]any{"approval": approval(map[string]any{"poll_interval": "500ms"})}, attrAt("approval", "poll_interval"), "at least 1s"},
	{"approval timeout in days", map[string]any{"approval": approval(map[string]any{"timeout": "1d"})}, attrAt("approval", "timeout"), "24h"},
	{"approval poll longer than timeout", map[string]any{"approval": approval(map[string]any{"poll_interval": "10m", "timeout": "5m"})}, attrAt("approval", "poll_interval"), "longer than approval.timeout"},
	{"approval wait longer than the timeouts", map[string]any{"approval": approval(map[string]any{"timeout": "2h"})}, attrAt("approval", "timeout"), `timeouts = { create = "`},
	{"approval default wait longer than short timeouts", map[string]any{"approval": approval(nil), "timeouts": map[string]any{"create": "10m", "update": "10m"}}, attrAt("approval"), "timeouts.create is 10m0s"},
	{"approval wait that fits", map[string]any{"approval": approval(map[string]any{"timeout": "2h"}), "timeouts": map[string]any{"create": "3h", "update": "3h"}}, "", ""},
	{"unknown approval", map[string]any{"approval": unknown}, "", ""},
	{"unknown approval function", map[string]any{"approval": approval(map[string]any{"function": unknown})}, "", ""},
	{"unknown approval before", map[string]any{"approval": approval(map[string]any{"before": unknown})}, "", ""},
	{"unknown approval before element", map[string]any{"approval": approval(map[string]any{"before": []any{unknown}})}, "", ""},
	{"unknown approval timeout", map[string]any{"approval": approval(map[string]any{"timeout": unknown})}, "", ""},
	{"unknown timeouts with approval", map[string]any{"approval": approval(map[string]any{"timeout": "2h"}), "timeouts": map[string]any{"create": unknown, "update": unknown}}, "", ""},
	{"unknown schedule with an approval before traffic increases", map[string]any{"approval": approval(map[string]any{"before": []any{"traffic_increase"}}), "traffic_shift": unknown}, "", ""},
}

func TestApprovalPlanTimeValidation(t *testing.T) {
	s := protoServer(t)
	typ := resourceSchemaType(t, s)
	for _, tc := range approvalPlanCases {
		t.Run(tc.name, func(t *testing.T) { runPlanCase(t, s, typ, tc) })
	}
}
