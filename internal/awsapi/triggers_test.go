package awsapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// triggersLambda answers the wiring reads the way Lambda does, from a table keyed by
// "METHOD path?query", and records what was asked.
func triggersLambda(t *testing.T, answers map[string]lambdaAnswer) (shift.AWS, *[]string) {
	t.Helper()
	var (
		mu    sync.Mutex
		asked []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if q := r.URL.Query(); len(q) > 0 {
			key += "?" + q.Encode()
		}
		mu.Lock()
		asked = append(asked, key)
		mu.Unlock()
		a, ok := answers[key]
		if !ok {
			a = lambdaAnswer{status: 500, errType: "ServiceException", body: `{"Message":"unexpected ` + key + `"}`}
		}
		if a.errType != "" {
			w.Header().Set("X-Amzn-Errortype", a.errType)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	retries := 1
	c, err := NewClients(context.Background(), Settings{
		Region: "eu-central-1", AccessKey: "a", SecretKey: "s", MaxRetries: &retries,
		Endpoints: Endpoints{Lambda: srv.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.Engine(), &asked
}

func policyAnswer(t *testing.T, statements ...map[string]any) lambdaAnswer {
	t.Helper()
	doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": statements})
	body, _ := json.Marshal(map[string]string{"Policy": string(doc), "RevisionId": "a3c1b0e5-0f4c-4d5b-9b6e-2f8d7c6b5a49"})
	return lambdaAnswer{status: 200, body: string(body)}
}

// Lambda's answer to GetPolicy on a function or alias with no policy.
var noPolicy = lambdaAnswer{status: 404, errType: "ResourceNotFoundException", body: `{"Type":"User","Message":"The resource you requested does not exist."}`}

// The adapter asks each place traffic can enter, reads Lambda's shapes into triggers
// (mapping states, URL auth types, principals and source ARNs in their string or list
// forms), takes a missing policy for none, and names a denied read instead of failing.
func TestFunctionTriggersReadsLambdasShapes(t *testing.T) {
	const queue = "arn:aws:sqs:eu-central-1:123456789012:orders"
	esm := func(uuid, arn, state string) string {
		b, _ := json.Marshal(map[string]any{"EventSourceMappings": []map[string]any{{
			"UUID": uuid, "FunctionArn": arn, "EventSourceArn": queue, "State": state, "BatchSize": 10,
			"StateTransitionReason": "USER_INITIATED", "LastModified": 1.7e9,
		}}})
		return string(b)
	}
	none := lambdaAnswer{status: 200, body: `{"EventSourceMappings":[]}`}
	answers := map[string]lambdaAnswer{
		"GET /2015-03-31/event-source-mappings?FunctionName=orders":             {status: 200, body: esm("a1", fnARN, "Enabled")},
		"GET /2015-03-31/event-source-mappings?FunctionName=orders%3A%24LATEST": none,
		"GET /2015-03-31/event-source-mappings?FunctionName=orders%3Alive":      {status: 200, body: esm("b2", fnARN+":live", "Disabled")},
		"GET /2021-10-31/functions/orders/urls": {status: 200, body: `{"FunctionUrlConfigs":[{"FunctionUrl":"https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws/",` +
			`"FunctionArn":"` + fnARN + `:live","AuthType":"NONE","CreationTime":"2026-12-01T10:00:00.000Z","LastModifiedTime":"2026-12-01T10:00:00.000Z","InvokeMode":"BUFFERED"}]}`},
		"GET /2015-03-31/functions/orders/policy": policyAnswer(t,
			map[string]any{"Sid": "AllowAPIGatewayInvoke", "Effect": "Allow", "Principal": map[string]any{"Service": "apigateway.amazonaws.com"},
				"Action": "lambda:InvokeFunction", "Resource": fnARN,
				"Condition": map[string]any{"ArnLike": map[string]any{"AWS:SourceArn": "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/*/*"}}},
			map[string]any{"Sid": "FunctionURLAllowPublicAccess", "Effect": "Allow", "Principal": "*",
				"Action": "lambda:InvokeFunctionUrl", "Resource": fnARN},
			map[string]any{"Sid": "partner", "Effect": "Allow", "Principal": map[string]any{"AWS": []string{"arn:aws:iam::210987654321:root"}},
				"Action": []string{"lambda:InvokeFunction", "lambda:GetFunction"}, "Resource": fnARN}),
		"GET /2015-03-31/functions/orders/policy?Qualifier=live": noPolicy,
	}
	aws, asked := triggersLambda(t, answers)
	w := aws.Triggers.FunctionTriggers(context.Background(), "orders", "live")
	if len(w.Unread) != 0 {
		t.Fatalf("unread: %v (asked %v)", w.Unread, *asked)
	}
	want := []shift.Trigger{
		{Kind: shift.TriggerEventSourceMapping, FunctionARN: fnARN, ID: "a1", Source: queue},
		{Kind: shift.TriggerEventSourceMapping, FunctionARN: fnARN + ":live", Qualifier: "live", ID: "b2", Source: queue, Disabled: true},
		{Kind: shift.TriggerFunctionURL, FunctionARN: fnARN + ":live", Qualifier: "live", ID: "https://abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-central-1.on.aws/", Source: "NONE"},
		{Kind: shift.TriggerPermission, FunctionARN: fnARN, ID: "AllowAPIGatewayInvoke", Source: "apigateway.amazonaws.com", SourceARN: "arn:aws:execute-api:eu-central-1:123456789012:a1b2c3d4e5/*/*/*"},
		{Kind: shift.TriggerPermission, FunctionARN: fnARN, ID: "partner", Source: "arn:aws:iam::210987654321:root"},
	}
	if len(w.Triggers) != len(want) {
		t.Fatalf("triggers %+v, want %+v", w.Triggers, want)
	}
	for i := range want {
		if w.Triggers[i] != want[i] {
			t.Errorf("trigger %d: %+v, want %+v", i, w.Triggers[i], want[i])
		}
	}
	if len(*asked) != 6 {
		t.Errorf("asked %d times, want 6 reads: %v", len(*asked), *asked)
	}

	// GetPolicy denied: the check says what it could not read, with AWS's words.
	answers["GET /2015-03-31/functions/orders/policy?Qualifier=live"] = lambdaAnswer{status: 403, errType: "AccessDeniedException",
		body: `{"Message":"User: arn:aws:iam::123456789012:user/deployer is not authorized to perform: lambda:GetPolicy on resource: ` + fnARN + `:live because no identity-based policy allows the lambda:GetPolicy action"}`}
	aws, _ = triggersLambda(t, answers)
	w = aws.Triggers.FunctionTriggers(context.Background(), "orders", "live")
	if len(w.Unread) != 1 || !strings.Contains(w.Unread[0], "the resource policy of alias live (lambda:GetPolicy)") ||
		!strings.Contains(w.Unread[0], "AccessDeniedException") || !strings.Contains(w.Unread[0], "is not authorized to perform: lambda:GetPolicy") {
		t.Errorf("unread %v", w.Unread)
	}
	if len(w.Triggers) != len(want) {
		t.Errorf("the other reads were lost: %v", w.Triggers)
	}
}
