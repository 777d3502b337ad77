package acctest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EventBridge is an EventBridge client for tests.
func EventBridge(t testing.TB) *eventbridge.Client {
	t.Helper()
	return eventbridge.NewFromConfig(Config(t))
}

// SQS is an SQS client for tests.
func SQS(t testing.TB) *sqs.Client {
	t.Helper()
	return sqs.NewFromConfig(Config(t))
}

// EventQueue is an SQS queue that an EventBridge rule fills with every event of source
// "safelambda" put on Bus: how a test reads back what a release announced.
type EventQueue struct {
	Bus      string // the bus name ("default" or one created for the test)
	BusARN   string
	QueueURL string
	QueueARN string
}

// NewEventQueue creates a queue and a rule on bus that targets it ("" creates a bus of
// its own). On real AWS the queue's policy lets EventBridge send to it; moto delivers
// without one. Everything is deleted when the test ends.
func NewEventQueue(t testing.TB, bus string) EventQueue {
	t.Helper()
	ctx := context.Background()
	eb, q := EventBridge(t), SQS(t)
	name := RandName("tf-acc-events")
	if bus == "" {
		if _, err := eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String(name)}); err != nil {
			t.Fatalf("create event bus %s: %v", name, err)
		}
		bus = name
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
			defer cancel()
			_, _ = eb.DeleteEventBus(ctx, &eventbridge.DeleteEventBusInput{Name: aws.String(name)})
		})
	}
	desc, err := eb.DescribeEventBus(ctx, &eventbridge.DescribeEventBusInput{Name: aws.String(bus)})
	if err != nil {
		t.Fatalf("describe event bus %s: %v", bus, err)
	}
	created, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatalf("create queue %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, _ = q.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: created.QueueUrl})
	})
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: created.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatalf("read queue %s: %v", name, err)
	}
	e := EventQueue{Bus: bus, BusARN: aws.ToString(desc.Arn), QueueURL: aws.ToString(created.QueueUrl),
		QueueARN: attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]}

	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},`+
		`"Action":"sqs:SendMessage","Resource":%q}]}`, e.QueueARN)
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: created.QueueUrl,
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy}}); err != nil {
		t.Fatalf("set the policy of queue %s: %v", name, err)
	}
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(name), EventBusName: aws.String(bus),
		EventPattern: aws.String(`{"source":["safelambda"]}`)}); err != nil {
		t.Fatalf("put rule %s on bus %s: %v", name, bus, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, _ = eb.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus), Ids: []string{"queue"}})
		_, _ = eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String(name), EventBusName: aws.String(bus)})
	})
	if out, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(name), EventBusName: aws.String(bus),
		Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: aws.String(e.QueueARN)}}}); err != nil || out.FailedEntryCount > 0 {
		t.Fatalf("target queue %s from rule %s: %v %+v", name, name, err, out)
	}
	return e
}

// QueuedEvent is one EventBridge event as a rule's SQS target receives it.
type QueuedEvent struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// Drain reads every message on the queue until none arrive for a while, and returns the
// events in the order of their detail's "sequence" (EventBridge does not promise order).
func (e EventQueue) Drain(t testing.TB) []QueuedEvent {
	t.Helper()
	q := SQS(t)
	var out []QueuedEvent
	for empty := 0; empty < 2; {
		got, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.QueueURL),
			MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatalf("receive from %s: %v", e.QueueURL, err)
		}
		if len(got.Messages) == 0 {
			empty++
			continue
		}
		empty = 0
		for _, m := range got.Messages {
			var ev QueuedEvent
			if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
				t.Fatalf("message on %s is not an EventBridge event: %v\n%s", e.QueueURL, err, aws.ToString(m.Body))
			}
			out = append(out, ev)
			if _, err := q.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(e.QueueURL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				t.Fatalf("delete message: %v", err)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return sequence(out[i]) < sequence(out[j]) })
	return out
}

func sequence(e QueuedEvent) float64 {
	var d struct {
		Sequence float64 `json:"sequence"`
	}
	_ = json.Unmarshal(e.Detail, &d)
	return d.Sequence
}
