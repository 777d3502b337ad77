package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// This file holds the approval block: its schema and how its configuration is read. What
// a valid approval is, is decided by the engine (shift.Config.Resolve, approval.go).

// approvalAttribute is approval: a Lambda function asked before traffic increases and/or
// promotion. It stands beside hooks rather than inside it: a hook runs once and passes or
// fails, an approval is polled and has settings of its own (when, how often, how long).
func approvalAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		Optional: true,
		MarkdownDescription: "An approval check: a Lambda function asked before each traffic increase and/or before " +
			"promotion, with the hooks' payload (`LifecycleEvent` `\"Approval\"`, plus `Before`, `Step`, `Steps`, " +
			"`CurrentPercent`, `NextPercent`, `Attempt`, `WaitingSince`). It answers `{\"status\": \"Approved\"}`, " +
			"`{\"status\": \"Rejected\", \"reason\": \"…\"}` or `{\"status\": \"Waiting\"}`; while it waits it is asked again every " +
			"`poll_interval`, up to `timeout`, and the release's lease on the alias is renewed. A rejection, a function error, " +
			"an answer that cannot be read and a wait that runs out stop the release and roll it back like a failed hook. " +
			"Not asked on a first release (the alias is created on the new version directly). " +
			"See the [operating releases guide](../guides/operating-releases.md#approvals) for a human approval and an external analysis.",
		Attributes: map[string]schema.Attribute{
			"function": schema.StringAttribute{
				Required:            true,
				MarkdownDescription: "Name or ARN of the approval function (unqualified: it is invoked at `$LATEST`).",
			},
			"before": schema.SetAttribute{
				Optional:    true,
				ElementType: types.StringType,
				MarkdownDescription: "When to ask: `\"traffic_increase\"` (before each weighted step) and/or `\"promotion\"` " +
					"(before the alias moves all traffic to the new version). Default both.",
			},
			"poll_interval": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "How often the function is asked again while it answers `Waiting`. A Go duration, at least `1s`. Default `30s`.",
			},
			"timeout": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "The longest one wait for approval lasts; then the release rolls back. A Go duration. Default `30m`. " +
					"The create/update timeouts must hold the schedule and one full wait (checked at plan).",
			},
		},
	}
}

// approval reads approval as the engine's ApprovalConfig (nil when unset or unknown; an
// unknown anywhere is recorded at its path).
func (r configReader) approval(v tftypes.Value) *shift.ApprovalConfig {
	root := []any{"approval"}
	o, ok := r.object(root, v)
	if !ok {
		return nil
	}
	at := func(name string) []any { return withName(root, name) }
	c := &shift.ApprovalConfig{
		Function:     r.str(at("function"), o["function"]),
		PollInterval: r.str(at("poll_interval"), o["poll_interval"]),
		Timeout:      r.str(at("timeout"), o["timeout"]),
	}
	if elems, ok := r.list(at("before"), o["before"]); ok {
		c.BeforeSet = true
		for _, e := range elems {
			s := r.str(at("before"), e) // an unknown element makes the whole set wait
			if s != nil {
				c.Before = append(c.Before, *s)
			}
		}
	}
	return c
}
