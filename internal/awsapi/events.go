package awsapi

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// EventBridgeAPI is the part of the EventBridge client the adapter uses.
type EventBridgeAPI interface {
	PutEvents(context.Context, *eventbridge.PutEventsInput, ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// EventBridge adapts the EventBridge client to shift.EventBus.
type EventBridge struct {
	API      EventBridgeAPI
	Endpoint string
}

var _ shift.EventBus = (*EventBridge)(nil)

// PutEvents puts entries on bus in one call. EventBridge answers each entry on its own
// (ErrorCode and ErrorMessage on the entries it failed, FailedEntryCount in all): those
// come back one error per entry; an error of the call as a whole (AccessDeniedException,
// ResourceNotFoundException for a bus that does not exist, a network failure) is err.
func (e *EventBridge) PutEvents(ctx context.Context, bus string, entries []shift.BusEvent) ([]error, error) {
	in := &eventbridge.PutEventsInput{Entries: make([]types.PutEventsRequestEntry, len(entries))}
	for i, ev := range entries {
		in.Entries[i] = types.PutEventsRequestEntry{
			EventBusName: aws.String(bus),
			Source:       aws.String(shift.EventSource),
			DetailType:   aws.String(ev.DetailType),
			Detail:       aws.String(ev.Detail),
			Resources:    ev.Resources,
			Time:         aws.Time(ev.Time),
		}
	}
	out, err := e.API.PutEvents(ctx, in)
	if err != nil {
		return nil, wrapErr("EventBridge", "PutEvents", e.Endpoint, err)
	}
	failed := make([]error, len(entries))
	if len(out.Entries) != len(entries) {
		return nil, fmt.Errorf("EventBridge PutEvents: answered %d entries for %d", len(out.Entries), len(entries))
	}
	for i, r := range out.Entries {
		if code := aws.ToString(r.ErrorCode); code != "" {
			failed[i] = fmt.Errorf("EventBridge PutEvents: %s: %s", code, aws.ToString(r.ErrorMessage))
		}
	}
	return failed, nil
}

// NewEventBridge builds the EventBridge client release events are put with. Its retries
// are brief on purpose (3 attempts, backoff up to 1s): an event that cannot go out now is
// put again with the release's next event, and a release must not wait on its events.
func NewEventBridge(cfg aws.Config, endpoint string) *eventbridge.Client {
	return eventbridge.NewFromConfig(cfg, func(o *eventbridge.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = eventsMaxAttempts
			so.MaxBackoff = time.Second
			so.RateLimiter = ratelimit.None
		})
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

const eventsMaxAttempts = 3
