package awsapi

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// TestAdapters_putEvents puts events through the adapter as the provider builds it and
// reads them back from a queue a rule on the bus targets (moto delivers them).
func TestAdapters_putEvents(t *testing.T) {
	a := engineAWS(t)
	if a.Events == nil {
		t.Fatal("the engine's AWS has no Events")
	}
	for _, tc := range []struct{ name, bus string }{{"a bus of its own, by ARN", ""}, {"the default bus, by name", "default"}} {
		t.Run(tc.name, func(t *testing.T) {
			q := acctest.NewEventQueue(t, tc.bus)
			bus := q.Bus
			if tc.bus == "" {
				bus = q.BusARN
			}
			at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
			entries := []shift.BusEvent{
				{Time: at, DetailType: shift.DetailTypeStarted, Detail: `{"sequence":1,"release_id":"d-1"}`, Resources: []string{"arn:aws:lambda:us-east-1:123456789012:function:f"}},
				{Time: at.Add(time.Second), DetailType: shift.DetailTypeFinished, Detail: `{"sequence":2,"release_id":"d-1"}`},
			}
			failed, err := a.Events.PutEvents(context.Background(), bus, entries)
			if err != nil || len(failed) != 2 || failed[0] != nil || failed[1] != nil {
				t.Fatalf("PutEvents = %v, %v", failed, err)
			}
			got := q.Drain(t)
			if len(got) != 2 {
				t.Fatalf("%d events on the queue", len(got))
			}
			for i, e := range got {
				var d map[string]any
				_ = json.Unmarshal(e.Detail, &d)
				if e.Source != "safelambda" || e.DetailType != entries[i].DetailType || !e.Time.Equal(entries[i].Time) ||
					d["release_id"] != "d-1" || strings.Join(e.Resources, ",") != strings.Join(entries[i].Resources, ",") {
					t.Errorf("event %d: %+v detail %s", i, e, e.Detail)
				}
			}
		})
	}
}

// fakeEventBridge answers PutEvents as EventBridge does when it fails some entries.
type fakeEventBridge struct {
	in  *eventbridge.PutEventsInput
	out *eventbridge.PutEventsOutput
	err error
}

func (f *fakeEventBridge) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	f.in = in
	return f.out, f.err
}

func TestPutEventsAnswers(t *testing.T) {
	entries := []shift.BusEvent{{DetailType: "Release Started", Detail: "{}"}, {DetailType: "Release Step", Detail: "{}"}}
	t.Run("entries failed one by one", func(t *testing.T) {
		f := &fakeEventBridge{out: &eventbridge.PutEventsOutput{FailedEntryCount: 1, Entries: []ebtypes.PutEventsResultEntry{
			{EventId: aws.String("e-1")},
			{ErrorCode: aws.String("InternalFailure"), ErrorMessage: aws.String("Internal service error")},
		}}}
		failed, err := (&EventBridge{API: f}).PutEvents(context.Background(), "releases", entries)
		if err != nil || failed[0] != nil || failed[1] == nil || failed[1].Error() != "EventBridge PutEvents: InternalFailure: Internal service error" {
			t.Fatalf("failed %v err %v", failed, err)
		}
		for _, e := range f.in.Entries {
			if aws.ToString(e.Source) != "safelambda" || aws.ToString(e.EventBusName) != "releases" {
				t.Errorf("entry %+v", e)
			}
		}
	})
	t.Run("the call refused", func(t *testing.T) {
		f := &fakeEventBridge{err: &ebtypes.ResourceNotFoundException{Message: aws.String("Event bus releases does not exist.")}}
		_, err := (&EventBridge{API: f}).PutEvents(context.Background(), "releases", entries)
		if !errors.Is(err, shift.ErrNotFound) || !strings.Contains(err.Error(), "Event bus releases does not exist.") {
			t.Fatalf("err %v", err)
		}
	})
}
