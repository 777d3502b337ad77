package provider

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// aliasWatcher reads an alias every 20ms from outside Terraform while a release runs, so
// tests can prove what traffic actually saw mid-flight.
type aliasWatcher struct {
	mu      sync.Mutex
	seen    []string // distinct routings, in order: "1", "1+2@0.1"
	cancel  context.CancelFunc
	done    chan struct{}
	onSplit func() // called once, the first time the alias is split
	read    func(context.Context)
}

func routing(version string, weights map[string]float64) string {
	if len(weights) == 0 {
		return version
	}
	var parts []string
	for v, w := range weights {
		parts = append(parts, fmt.Sprintf("%s@%g", v, w))
	}
	sort.Strings(parts)
	return version + "+" + strings.Join(parts, ",")
}

// watchAlias starts a watcher; onSplit (may be nil) runs once when weights first appear.
func watchAlias(t *testing.T, fn, alias string, onSplit func()) *aliasWatcher {
	t.Helper()
	lc := acctest.Lambda(t)
	ctx, cancel := context.WithCancel(context.Background())
	w := &aliasWatcher{cancel: cancel, done: make(chan struct{}), onSplit: onSplit}
	w.read = func(ctx context.Context) {
		out, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String(alias)})
		if err == nil {
			var weights map[string]float64
			if out.RoutingConfig != nil {
				weights = out.RoutingConfig.AdditionalVersionWeights
			}
			w.record(routing(aws.ToString(out.FunctionVersion), weights), len(weights) > 0)
		}
	}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			w.read(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(w.stop)
	return w
}

func (w *aliasWatcher) record(r string, split bool) {
	w.mu.Lock()
	if n := len(w.seen); n == 0 || w.seen[n-1] != r {
		w.seen = append(w.seen, r)
	}
	fire := split && w.onSplit != nil
	f := w.onSplit
	if fire {
		w.onSplit = nil
	}
	w.mu.Unlock()
	if fire {
		f()
	}
}

func (w *aliasWatcher) stop() {
	w.cancel()
	<-w.done
}

// Seen stops the watcher and returns the distinct routings it saw, in order, ending with
// one last read: a rollback can land less than a tick before terraform exits.
func (w *aliasWatcher) Seen() []string {
	w.stop()
	w.read(context.Background())
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.seen...)
}

// expectSeen checks that want appears, in order, among the routings seen (others may be
// interleaved), and that none of forbidden was seen.
func (w *aliasWatcher) expectSeen(want []string, forbidden ...string) error {
	seen := w.Seen()
	i := 0
	for _, s := range seen {
		for _, f := range forbidden {
			if s == f {
				return fmt.Errorf("the alias was seen routing %s, which must never happen; seen: %v", s, seen)
			}
		}
		if i < len(want) && s == want[i] {
			i++
		}
	}
	if i < len(want) {
		return fmt.Errorf("want the alias seen routing %v in order; seen: %v", want, seen)
	}
	return nil
}

// setAlarmState drives an alarm from any goroutine (moto never evaluates metrics).
func setAlarmState(t *testing.T, name, state string) func() {
	cw := acctest.CloudWatch(t)
	return func() {
		_, err := cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{
			AlarmName:   aws.String(name),
			StateValue:  cwtypes.StateValue(state),
			StateReason: aws.String("set by the acceptance test"),
		})
		if err != nil {
			panic(fmt.Sprintf("set alarm %s to %s: %v", name, state, err))
		}
	}
}
