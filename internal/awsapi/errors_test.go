package awsapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// lambdaAnswer is one scripted Lambda answer in REST-JSON: status, X-Amzn-ErrorType and
// body. reset closes the connection instead.
type lambdaAnswer struct {
	status  int
	errType string
	body    string
	reset   bool
}

// scriptedLambda answers requests with answers in order (the last one repeats) and counts
// them.
func scriptedLambda(t *testing.T, answers ...lambdaAnswer) (shift.AWS, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		a := answers[min(i, len(answers)-1)]
		if a.reset {
			hj, ok := w.(http.Hijacker)
			if !ok {
				t.Error("the test server's ResponseWriter cannot be hijacked")
				return
			}
			conn, _, err := hj.Hijack()
			if err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0)
				}
				conn.Close()
			}
			return
		}
		if a.errType != "" {
			w.Header().Set("X-Amzn-Errortype", a.errType)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(a.body))
	}))
	t.Cleanup(srv.Close)
	retries := 2
	c, err := NewClients(context.Background(), Settings{
		Region: "eu-central-1", AccessKey: "a", SecretKey: "s", MaxRetries: &retries,
		Endpoints: Endpoints{Lambda: srv.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.Engine(), &n
}

const fnARN = "arn:aws:lambda:eu-central-1:123456789012:function:orders"

// Each of Lambda's real error shapes maps onto the sentinel that says what it means for
// a release, and the error keeps AWS's own words.
func TestLambdaErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		answer lambdaAnswer
		call   func(shift.AWS) error
		want   error
		words  string
	}{
		{
			"CreateAlias on an existing alias",
			lambdaAnswer{409, "ResourceConflictException", `{"Type":"User","message":"Alias already exists: ` + fnARN + `:live"}`, false},
			func(a shift.AWS) error {
				_, err := a.Aliases.CreateAlias(context.Background(), "orders", "live", "1", "")
				return err
			},
			shift.ErrAlreadyExists, "Alias already exists: " + fnARN + ":live",
		},
		{
			"PublishVersion while the function updates",
			lambdaAnswer{409, "ResourceConflictException", `{"Type":"User","message":"The operation cannot be performed at this time. An update is in progress for resource: ` + fnARN + `"}`, false},
			func(a shift.AWS) error {
				_, err := a.Functions.PublishVersion(context.Background(), "orders", "", "")
				return err
			},
			shift.ErrUpdateInProgress, "An update is in progress for resource: " + fnARN,
		},
		{
			"PublishVersion with a hash that is not $LATEST's",
			lambdaAnswer{400, "InvalidParameterValueException", `{"Type":"User","message":"CodeSHA256 (abc=) is different from current CodeSHA256 in $LATEST (def=). Please try again with the CodeSHA256 in $LATEST."}`, false},
			func(a shift.AWS) error {
				_, err := a.Functions.PublishVersion(context.Background(), "orders", "abc=", "")
				return err
			},
			shift.ErrInvalidParameter, "CodeSHA256 (abc=) is different from current CodeSHA256 in $LATEST (def=)",
		},
		{
			"UpdateAlias with weights between different roles",
			lambdaAnswer{400, "InvalidParameterValueException", `{"Type":"User","message":"Specified versions must be associated with the same execution role."}`, false},
			func(a shift.AWS) error {
				_, err := a.Aliases.UpdateAlias(context.Background(), shift.AliasUpdate{Function: "orders", Alias: "live", FunctionVersion: "1", Weights: map[string]float64{"2": 0.1}})
				return err
			},
			shift.ErrInvalidParameter, "Specified versions must be associated with the same execution role",
		},
		{
			"UpdateAlias with a stale RevisionId",
			lambdaAnswer{412, "PreconditionFailedException", `{"Type":"User","message":"The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id"}`, false},
			func(a shift.AWS) error {
				_, err := a.Aliases.UpdateAlias(context.Background(), shift.AliasUpdate{Function: "orders", Alias: "live", FunctionVersion: "1", RevisionID: "stale"})
				return err
			},
			shift.ErrConflict, "The Revision Id provided does not match the latest Revision Id",
		},
		{
			"GetAlias of a missing alias",
			lambdaAnswer{404, "ResourceNotFoundException", `{"Type":"User","message":"Cannot find alias arn: ` + fnARN + `:live"}`, false},
			func(a shift.AWS) error {
				_, err := a.Aliases.GetAlias(context.Background(), "orders", "live")
				return err
			},
			shift.ErrNotFound, "Cannot find alias arn",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := scriptedLambda(t, tc.answer)
			err := tc.call(a)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v; want %v with AWS's words %q", err, tc.want, tc.words)
			}
		})
	}
}

// An operation the endpoint lacks (moto 5.2.1 answers ListProvisionedConcurrencyConfigs
// with an HTML 404 page) is errors.ErrUnsupported, never ErrNotFound: retention then keeps
// every version and says so, and nothing reads it as a missing function.
func TestMissingOperationIsUnsupported(t *testing.T) {
	a, _ := scriptedLambda(t,
		lambdaAnswer{200, "", `{"Configuration":{"FunctionName":"orders","FunctionArn":"` + fnARN + `"}}`, false},
		lambdaAnswer{404, "", "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>", false},
	)
	_, err := a.Consumers.VersionConsumers(context.Background(), "orders", []string{"1"})
	if !errors.Is(err, errors.ErrUnsupported) || errors.Is(err, shift.ErrNotFound) ||
		!strings.Contains(err.Error(), "Lambda ListProvisionedConcurrencyConfigs: unsupported operation: the endpoint answered HTTP 404 without an AWS error") {
		t.Fatalf("got %v; want errors.ErrUnsupported naming the call", err)
	}
}

// Invoke is sent once when its answer is lost (the function may have run), and retried
// on throttling (the function did not run); other calls still retry lost answers.
func TestInvokeRetriesThrottlingOnly(t *testing.T) {
	throttle := lambdaAnswer{429, "TooManyRequestsException", `{"Type":"User","message":"Rate Exceeded.","Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"}`, false}
	ok := lambdaAnswer{200, "", `{"status":"Succeeded"}`, false}
	for _, tc := range []struct {
		name      string
		answers   []lambdaAnswer
		wantCalls int64
		wantErr   error
	}{
		{"connection reset after sending", []lambdaAnswer{{reset: true}, ok}, 1, shift.ErrOutcomeUnknown},
		{"500 ServiceException", []lambdaAnswer{{500, "ServiceException", `{"Type":"Service","message":"An error occurred and the request cannot be processed."}`, false}, ok}, 1, shift.ErrOutcomeUnknown},
		{"502 from the function's runtime", []lambdaAnswer{{502, "ResourceNotReadyException", `{"Type":"Service","message":"The function is currently in an invalid state"}`, false}, ok}, 1, shift.ErrOutcomeUnknown},
		{"429 twice, then an answer", []lambdaAnswer{throttle, throttle, ok}, 3, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, calls := scriptedLambda(t, tc.answers...)
			res, err := a.Invoker.Invoke(context.Background(), "smoke", []byte(`{}`))
			if n := calls.Load(); n != tc.wantCalls {
				t.Errorf("Invoke sent %d times, want %d", n, tc.wantCalls)
			}
			if tc.wantErr == nil {
				if err != nil || string(res.Payload) != `{"status":"Succeeded"}` {
					t.Fatalf("Invoke = %q, %v", res.Payload, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Invoke error %v, want %v", err, tc.wantErr)
			}
		})
	}

	a, calls := scriptedLambda(t, lambdaAnswer{reset: true}, lambdaAnswer{200, "", `{"Name":"live","FunctionVersion":"1","AliasArn":"` + fnARN + `:live"}`, false})
	if _, err := a.Aliases.GetAlias(context.Background(), "orders", "live"); err != nil || calls.Load() != 2 {
		t.Fatalf("GetAlias after a reset: %v after %d calls; want it retried once and answered", err, calls.Load())
	}
}

// A write whose answer was lost after every retry wraps ErrOutcomeUnknown; a dial that
// failed never reached AWS and does not.
func TestLostAnswerIsOutcomeUnknown(t *testing.T) {
	a, _ := scriptedLambda(t, lambdaAnswer{reset: true})
	_, err := a.Aliases.UpdateAlias(context.Background(), shift.AliasUpdate{Function: "orders", Alias: "live", FunctionVersion: "2"})
	if !errors.Is(err, shift.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "may have taken effect") {
		t.Fatalf("UpdateAlias after resets: %v; want ErrOutcomeUnknown", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: the dial is refused
	retries := 0
	c, err := NewClients(context.Background(), Settings{Region: "eu-central-1", AccessKey: "a", SecretKey: "s", MaxRetries: &retries, Endpoints: Endpoints{Lambda: "http://" + addr}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Engine().Aliases.UpdateAlias(context.Background(), shift.AliasUpdate{Function: "orders", Alias: "live", FunctionVersion: "2"})
	if err == nil || errors.Is(err, shift.ErrOutcomeUnknown) || !strings.Contains(err.Error(), "cannot reach AWS Lambda") {
		t.Fatalf("UpdateAlias to a closed port: %v; want 'cannot reach' without ErrOutcomeUnknown", err)
	}
}

// Versions carry what Lambda needs equal for weighted routing and their update status;
// aliases carry their description, and an update sends one when asked.
func TestVersionAndAliasFields(t *testing.T) {
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method == http.MethodPut {
			b := make([]byte, r.ContentLength)
			_, _ = r.Body.Read(b)
			body.Store(string(b))
			_, _ = w.Write([]byte(`{"Name":"live","FunctionVersion":"2","Description":"lease"}`))
			return
		}
		_, _ = w.Write([]byte(`{"FunctionName":"orders","Version":"2","FunctionArn":"` + fnARN + `:2","CodeSha256":"h2",
			"Role":"arn:aws:iam::123456789012:role/orders","State":"Active","LastUpdateStatus":"InProgress",
			"DeadLetterConfig":{"TargetArn":"arn:aws:sqs:eu-central-1:123456789012:dlq"}}`))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClients(context.Background(), Settings{Region: "eu-central-1", AccessKey: "a", SecretKey: "s", Endpoints: Endpoints{Lambda: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	a := c.Engine()
	v, err := a.Functions.GetVersion(context.Background(), "orders", "2")
	if err != nil || v.Role != "arn:aws:iam::123456789012:role/orders" || v.LastUpdateStatus != "InProgress" ||
		v.DeadLetterTarget != "arn:aws:sqs:eu-central-1:123456789012:dlq" || v.State != "Active" {
		t.Fatalf("GetVersion = %+v, %v", v, err)
	}
	desc := "lease"
	got, err := a.Aliases.UpdateAlias(context.Background(), shift.AliasUpdate{Function: "orders", Alias: "live", FunctionVersion: "2", Description: &desc})
	if err != nil || got.Description != "lease" {
		t.Fatalf("UpdateAlias = %+v, %v", got, err)
	}
	if s, _ := body.Load().(string); !strings.Contains(s, `"Description":"lease"`) {
		t.Fatalf("UpdateAlias sent %s, want the description", s)
	}
}

func TestQualifier(t *testing.T) {
	for in, want := range map[string]string{
		fnARN:           "",
		fnARN + ":7":    "7",
		fnARN + ":live": "live",
		"orders":        "",
	} {
		if got := qualifier(in); got != want {
			t.Errorf("qualifier(%q) = %q, want %q", in, got, want)
		}
	}
}
