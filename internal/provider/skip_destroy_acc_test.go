package provider

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// missingWatcher reads an alias every 20ms and counts the reads that found it missing.
type missingWatcher struct {
	reads, missing atomic.Int64
	stop           func()
}

func watchMissing(t *testing.T, fn string) *missingWatcher {
	lc := acctest.Lambda(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	w := &missingWatcher{}
	w.stop = func() { cancel(); <-done }
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			_, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
			var nf *lambdatypes.ResourceNotFoundException
			if errors.As(err, &nf) {
				w.missing.Add(1)
			}
			if err == nil || errors.As(err, &nf) {
				w.reads.Add(1)
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

// With skip_destroy and create_before_destroy a replacement never leaves the alias
// missing: the new resource adopts the alias and releases onto it, the old one lets go of
// it. A destroy keeps the alias too.
func TestAccDeployment_skipDestroyReplacesWithoutOutage(t *testing.T) {
	acctest.PreCheck(t)
	fn := acctest.FunctionPublished(t, "").Name
	cfg := func(trigger, version string) string {
		return fmt.Sprintf(`
resource "terraform_data" "trigger" {
  input = %q
}

resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  version       = %q
  skip_destroy  = true

  lifecycle {
    create_before_destroy = true
    replace_triggered_by  = [terraform_data.trigger]
  }
}
`, trigger, fn, version)
	}
	var watch *missingWatcher
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: protoV6,
		ExternalProviders:        map[string]resource.ExternalProvider{"terraform": {Source: "terraform.io/builtin/terraform"}},
		CheckDestroy: func(*terraform.State) error {
			// skip_destroy: the destroy at the end of the test keeps the alias.
			return checkAlias(acctest.Lambda(t), fn, "2")
		},
		Steps: []resource.TestStep{
			{
				Config:            cfg("one", "1"),
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("1")},
			},
			{
				PreConfig: func() {
					acctest.UpdateCode(t, fn, "v2")
					if v := acctest.Publish(t, fn); v != "2" {
						t.Fatalf("published %s, want 2", v)
					}
					watch = watchMissing(t, fn)
				},
				Config: cfg("two", "2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(res, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				ConfigStateChecks: []statecheck.StateCheck{expectVersion("2")},
				Check: func(*terraform.State) error {
					watch.stop()
					if watch.reads.Load() == 0 {
						return fmt.Errorf("the watcher read nothing")
					}
					if n := watch.missing.Load(); n > 0 {
						return fmt.Errorf("the alias was missing in %d of %d reads during the replacement", n, watch.reads.Load())
					}
					return checkAlias(acctest.Lambda(t), fn, "2")
				},
			},
		},
	})
}
