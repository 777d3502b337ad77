package awsapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// provisionedBehindStrictAWS is the adapter on a Lambda client through a strict proxy,
// whose provisioned concurrency takes ready to allocate.
func provisionedBehindStrictAWS(t *testing.T, ready time.Duration) (*Provisioned, *acctest.Proxy) {
	t.Helper()
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	p.SetStrict(acctest.Strict{ProvisionedReadyAfter: ready})
	cfg := acctest.Config(t)
	cfg.BaseEndpoint = aws.String(p.URL())
	return &Provisioned{API: lambda.NewFromConfig(cfg), Endpoint: p.URL()}, p
}

// waitStatus polls GetCapacity (wall clock: the strict AWS allocates on it) until want.
func waitStatus(t *testing.T, a *Provisioned, fn, qualifier string, want shift.CapacityStatus) shift.Capacity {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := a.GetCapacity(context.Background(), fn, qualifier)
		if err != nil {
			t.Fatalf("GetCapacity %s:%s: %v", fn, qualifier, err)
		}
		if c.Status == want {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:%s is %s %+v, never %s", fn, qualifier, c.Status, c, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Every read and write of the adapter against the strict AWS, and each refusal mapped
// to its sentinel with AWS's words kept.
func TestProvisioned_againstStrictAWS(t *testing.T) {
	a, p := provisionedBehindStrictAWS(t, 300*time.Millisecond)
	ctx := context.Background()
	fn := acctest.FunctionPublished(t, "").Name
	acctest.UpdateCode(t, fn, "v2")
	acctest.Publish(t, fn)
	acctest.CreateAlias(t, fn, "live", "1", nil)

	if _, err := a.GetCapacity(ctx, fn, "live"); !errors.Is(err, shift.ErrNoCapacity) {
		t.Fatalf("GetCapacity without a configuration: %v, want ErrNoCapacity", err)
	}
	if _, err := a.GetCapacity(ctx, fn, "nope"); !errors.Is(err, shift.ErrNotFound) || errors.Is(err, shift.ErrNoCapacity) {
		t.Fatalf("GetCapacity on a missing alias: %v, want ErrNotFound only", err)
	}
	put, err := a.PutCapacity(ctx, fn, "live", 3)
	if err != nil || put.Status != shift.CapacityInProgress || put.Requested != 3 || put.Allocated != 0 || put.Qualifier != "live" {
		t.Fatalf("PutCapacity = %+v, %v; want IN_PROGRESS, 3 requested, none allocated", put, err)
	}
	if got := waitStatus(t, a, fn, "live", shift.CapacityReady); got.Allocated != 3 || got.Available != 3 || got.LastModified == "" {
		t.Fatalf("READY = %+v, want 3 allocated and available", got)
	}
	list, err := a.ListCapacities(ctx, fn)
	if err != nil || len(list) != 1 || list[0].Qualifier != "live" || list[0].Status != shift.CapacityReady || list[0].Function != fn {
		t.Fatalf("ListCapacities = %+v, %v", list, err)
	}

	for _, tc := range []struct {
		name      string
		qualifier string
		prepare   func()
		want      []error
		words     string
	}{
		{"a version the alias holds", "1", func() {}, []error{shift.ErrCapacityTaken}, "Version is pointed by a Provisioned Concurrency alias"},
		{"$LATEST", "$LATEST", func() {}, []error{shift.ErrInvalidParameter}, "cannot be applied to unpublished function versions"},
		{"an alias with weights", "live", func() { acctest.SetAlias(t, fn, "live", "1", map[string]float64{"2": 0.5}) },
			[]error{shift.ErrCapacityOnWeightedAlias, shift.ErrInvalidParameter}, "Alias with weights can not be used with Provisioned Concurrency"},
		{"more than the account has", "2", func() { acctest.SetAlias(t, fn, "live", "1", nil); p.SetAccountConcurrency(10, 5) },
			[]error{shift.ErrAccountConcurrency, shift.ErrInvalidParameter}, "below its minimum value of [5]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare()
			_, err := a.PutCapacity(ctx, fn, tc.qualifier, 3)
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Errorf("PutCapacity %s: %v, want it to wrap %v", tc.qualifier, err, want)
				}
			}
			if err == nil || !strings.Contains(err.Error(), tc.words) {
				t.Errorf("PutCapacity %s: %v, want AWS's words %q", tc.qualifier, err, tc.words)
			}
		})
	}
	p.SetAccountConcurrency(0, 0)

	// A version that cannot initialise: FAILED with Lambda's reason.
	p.FailProvisionedInit(fn, "2", "")
	if _, err := a.PutCapacity(ctx, fn, "2", 1); err != nil {
		t.Fatal(err)
	}
	if got := waitStatus(t, a, fn, "2", shift.CapacityFailed); got.StatusReason != acctest.DefaultInitFailureReason || got.Allocated != 0 {
		t.Fatalf("FAILED = %+v, want reason %s and nothing allocated", got, acctest.DefaultInitFailureReason)
	}

	for range 2 { // the second finds nothing to delete, and succeeds
		if err := a.DeleteCapacity(ctx, fn, "live"); err != nil {
			t.Fatalf("DeleteCapacity: %v", err)
		}
	}
	if _, err := a.GetCapacity(ctx, fn, "live"); !errors.Is(err, shift.ErrNoCapacity) {
		t.Fatalf("GetCapacity after DeleteCapacity: %v, want ErrNoCapacity", err)
	}
	answers := p.StrictAnswers()
	if answers[acctest.ShowedCapacityInProgress] == 0 || answers[acctest.ShowedCapacityFailed] == 0 || answers[acctest.AnsweredCapacityRefused] < 4 {
		t.Errorf("strict answers %v: want IN_PROGRESS, FAILED and 4 refusals shown", answers)
	}
}
