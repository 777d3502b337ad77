package awsapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

func TestUnqualified(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:lambda:eu-central-1:123456789012:function:orders":      "arn:aws:lambda:eu-central-1:123456789012:function:orders",
		"arn:aws:lambda:eu-central-1:123456789012:function:orders:7":    "arn:aws:lambda:eu-central-1:123456789012:function:orders",
		"arn:aws:lambda:eu-central-1:123456789012:function:orders:live": "arn:aws:lambda:eu-central-1:123456789012:function:orders",
	} {
		if got := unqualified(in); got != want {
			t.Errorf("unqualified(%q) = %q, want %q", in, got, want)
		}
	}
}

// A client with no region anywhere is refused with a message that says where to set it.
func TestNewClientsNeedsARegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_PROFILE", "")
	_, err := NewClients(context.Background(), Settings{})
	if err == nil || !strings.Contains(err.Error(), "set region in the provider block") {
		t.Fatalf("want a region error, got %v", err)
	}
}

// Throttling is retried by the SDK's retryer, max_retries times, and then surfaces as
// shift.ErrThrottled with advice; the user agent names the provider.
func TestRetriesThrottlingThenExplains(t *testing.T) {
	var calls atomic.Int64
	var agent atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		agent.Store(r.Header.Get("User-Agent"))
		w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"Rate exceeded","Type":"User","Reason":"CallerRateLimitExceeded"}`))
	}))
	defer srv.Close()
	retries := 2
	c, err := NewClients(context.Background(), Settings{
		Region: "us-east-1", AccessKey: "a", SecretKey: "s", MaxRetries: &retries,
		Endpoints: Endpoints{Lambda: srv.URL}, UserAgentName: "terraform-provider-safelambda", UserAgentVersion: "1.2.3",
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Engine().Aliases.GetAlias(context.Background(), "orders", "live")
	if !errors.Is(err, shift.ErrThrottled) || !strings.Contains(err.Error(), "raise max_retries") {
		t.Fatalf("want ErrThrottled with advice, got %v", err)
	}
	if n := calls.Load(); n != int64(retries+1) {
		t.Fatalf("want %d attempts, got %d", retries+1, n)
	}
	if ua, _ := agent.Load().(string); !strings.Contains(ua, "terraform-provider-safelambda/1.2.3") {
		t.Fatalf("user agent %q does not name the provider", ua)
	}
}
