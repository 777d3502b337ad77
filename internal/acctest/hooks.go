package acctest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// moto's docker-free Lambda answers every Invoke, of any function and any qualifier in the
// region, with the next queued result, or echoes the request payload once the queue is
// empty. The queue is one per region, so the harness hands it to one test at a time.
var hookQueue struct {
	sem   chan struct{} // holds a token while a test owns the queue
	mu    sync.Mutex
	owner testing.TB
}

func init() { hookQueue.sem = make(chan struct{}, 1) }

// QueueHookResults queues payloads that the next Invoke calls return, in FIFO order,
// whatever function or alias they target. moto always answers StatusCode 200 with no
// FunctionError, so a failing hook has to be told apart by its payload.
//
// The calling test (with its subtests) owns the queue until it ends: other tests calling
// QueueHookResults wait, and the queue is drained when the owner ends so leftovers cannot leak into the
// next test. Tests that invoke functions without queueing should not run in parallel
// with tests that queue. Skips with SAFELAMBDA_REAL_AWS=1.
func QueueHookResults(t testing.TB, results ...string) {
	t.Helper()
	if RealAWS() {
		t.Skip("QueueHookResults needs moto: real Lambda runs the real handler")
	}
	PreCheck(t)
	acquireHookQueue(t)
	if results == nil {
		results = []string{}
	}
	_, err := postMotoAPI(Endpoint(), "/moto-api/static/lambda-simple/response", map[string]any{
		"results": results,
		"region":  Region,
	})
	if err != nil {
		t.Fatalf("queue Lambda invoke results in moto: %v", err)
	}
}

func acquireHookQueue(t testing.TB) {
	t.Helper()
	hookQueue.mu.Lock()
	// A subtest of the owner shares its queue; blocking it would deadlock the owner.
	owned := hookQueue.owner != nil && (hookQueue.owner == t || strings.HasPrefix(t.Name(), hookQueue.owner.Name()+"/"))
	hookQueue.mu.Unlock()
	if owned {
		return
	}
	hookQueue.sem <- struct{}{}
	hookQueue.mu.Lock()
	hookQueue.owner = t
	hookQueue.mu.Unlock()
	release := func() {
		hookQueue.mu.Lock()
		hookQueue.owner = nil
		hookQueue.mu.Unlock()
		<-hookQueue.sem
	}
	// A crashed earlier run against a reused SAFELAMBDA_MOTO_ENDPOINT may have left some.
	if err := drainHookQueue(context.Background(), t); err != nil {
		release()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		defer release()
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		if err := drainHookQueue(ctx, t); err != nil {
			t.Error(err)
		}
	})
}

var drainFunc struct {
	mu   sync.Mutex
	name string
}

// drainHookQueue invokes a function of its own with a unique payload until moto echoes
// that payload back, which it does only once the queue is empty.
func drainHookQueue(ctx context.Context, t testing.TB) error {
	drainFunc.mu.Lock()
	defer drainFunc.mu.Unlock()
	cfg, err := loadConfig(ctx)
	if err != nil {
		return err
	}
	c := lambda.NewFromConfig(cfg)
	if drainFunc.name == "" {
		name := RandName("tf-acc-drain")
		_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name),
			Runtime:      lambdatypes.RuntimePython312,
			Role:         aws.String(Role(t)),
			Handler:      aws.String("index.handler"),
			Code:         &lambdatypes.FunctionCode{ZipFile: HandlerZip("drain")},
		})
		if err != nil {
			return fmt.Errorf("create the function that drains moto's invoke queue: %w", err)
		}
		drainFunc.name = name
		onBinaryExit(func(ctx context.Context) {
			_, _ = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}) // moto is about to stop anyway
		})
	}
	// A JSON object: moto 5.2.1 answers HTTP 500 to an unqualified Invoke whose payload is
	// JSON but not an object (it looks for a "qualifier" key in the body).
	sentinel := fmt.Sprintf(`{"acctest_drain":%q}`, RandName("drain"))
	for range 10000 {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{
			FunctionName: aws.String(drainFunc.name),
			Payload:      []byte(sentinel),
		})
		if err != nil {
			return fmt.Errorf("drain moto's Lambda invoke queue: %w", err)
		}
		if string(out.Payload) == sentinel {
			return nil
		}
	}
	return fmt.Errorf("drain moto's Lambda invoke queue: still not empty after 10000 invokes")
}
