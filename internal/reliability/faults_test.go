package reliability

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// With 20% of Lambda and CloudWatch calls answered by throttling, 500s, connection
// resets or 2s of latency, canary releases gated on an alarm still succeed: the SDK's
// retryer absorbs them. SAFELAMBDA_SOAK_TRIALS raises the number of releases (default 3).
func TestFaults_transientAWSFaults(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	trials := 3
	if n, err := strconv.Atoi(os.Getenv("SAFELAMBDA_SOAK_TRIALS")); err == nil && n > 0 {
		trials = n
	}
	seed := time.Now().UnixNano()
	if s, err := strconv.ParseInt(os.Getenv("SAFELAMBDA_FAULT_SEED"), 10, 64); err == nil {
		seed = s
	}
	p := acctest.StartProxy(t)
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	acctest.SetAlarmState(t, alarm, "OK")

	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), ""), Alarms: []string{alarm}, PollInterval: "1s"})
	r.Shift = `{ canary = { percentage = 10, interval = "2s" } }`
	p.SetFaults(acctest.Faults{
		Rate:     0.2,
		Kinds:    []acctest.FaultKind{acctest.Throttle429, acctest.Server500, acctest.ConnReset, acctest.Latency},
		Latency:  2 * time.Second,
		Services: []string{"Lambda", "CloudWatch"},
		Seed:     seed,
	})
	p.Reset()
	t.Logf("fault seed %d (set SAFELAMBDA_FAULT_SEED to replay)", seed)

	for i := range trials {
		body := fmt.Sprintf("v%d", i+2)
		if i > 0 {
			acctest.UpdateCode(t, fn, body)
		}
		r.Code = acctest.HandlerCodeSha256(body)
		setConfig(t, w, r.HCL())
		start := time.Now()
		apply(t, w)
		want := strconv.Itoa(i + 2)
		expectAlias(t, fn, want)
		t.Logf("trial %d: released version %s in %s", i+1, want, time.Since(start).Round(time.Millisecond))
	}
	calls := 0
	for _, n := range p.Calls() {
		calls += n
	}
	injected := p.InjectedFaults()
	t.Logf("%d releases succeeded; %d calls through the proxy; faults injected: %v", trials, calls, injected)
	if total := injected[acctest.Throttle429] + injected[acctest.Server500] + injected[acctest.ConnReset] + injected[acctest.Latency]; total == 0 {
		t.Errorf("no fault was injected in %d calls", calls)
	}
}

// The real shared Lambda control-plane quota, 15 requests a second, enforced by the
// proxy: 20 releases in one apply at -parallelism=20 all succeed.
func TestFaults_throttledAccount(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	const n = 20
	p := acctest.StartProxy(t)
	fns := make([]string, n)
	for i := range fns {
		fns[i] = acctest.Function(t, "").Name
	}
	config := func(sha string) string {
		return fmt.Sprintf(`provider "safelambda" {
%s}

resource "safelambda_deployment" "fleet" {
  for_each      = toset(%s)
  function_name = each.key
  alias         = "live"
  code_sha256   = %q
  traffic_shift = { canary = { percentage = 10, interval = "1s" } }
  traffic_arrives_via = "direct_invoke"
}
`, endpointsAt(p.URL(), ""), hclList(fns), sha)
	}
	w := acctest.NewWorkdir(t, config(shaV1))
	apply(t, w, "-parallelism=20") // first releases, unthrottled
	for _, fn := range fns {
		acctest.UpdateCode(t, fn, "v2")
	}
	setConfig(t, w, config(shaV2))
	p.SetRateLimit("Lambda", 15, 15)
	p.Reset()

	start := time.Now()
	apply(t, w, "-parallelism=20")
	took := time.Since(start)
	for _, fn := range fns {
		expectAlias(t, fn, "2")
	}
	lambdaCalls := 0
	for op, c := range p.Calls() {
		if len(op) > 7 && op[:7] == "Lambda." {
			lambdaCalls += c
		}
	}
	limited := p.InjectedFaults()[acctest.RateLimited]
	t.Logf("%d releases in %s; %d Lambda calls, %d answered 429 TooManyRequestsException by the 15 rps limit", n, took.Round(time.Millisecond), lambdaCalls, limited)
	if limited == 0 {
		t.Errorf("the rate limit never bit: %d Lambda calls in %s", lambdaCalls, took)
	}
}

func hclList(items []string) string {
	s := "["
	for i, it := range items {
		if i > 0 {
			s += ", "
		}
		s += strconv.Quote(it)
	}
	return s + "]"
}
