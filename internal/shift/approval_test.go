package shift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// approvalAsk is one ask the approval function saw, with the time it was asked at and the
// lease the alias carried then.
type approvalAsk struct {
	ApprovalPayload
	at    time.Duration
	lease Lease
}

// approvalHarness is a harness whose approval function "approve" answers from a script:
// answer(n) is the payload of the n-th ask (1-based).
type approvalHarness struct {
	*harness
	asks []approvalAsk
}

type approvalInvoker struct {
	h      *approvalHarness
	inner  Invoker
	answer func(n int, p ApprovalPayload) (InvokeResult, error)
}

func (i approvalInvoker) Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error) {
	if function != "approve" {
		return i.inner.Invoke(ctx, function, payload)
	}
	if err := ctx.Err(); err != nil {
		return InvokeResult{}, err
	}
	var p ApprovalPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		return InvokeResult{}, err
	}
	ask := approvalAsk{ApprovalPayload: p, at: i.h.clock.elapsed()}
	if a, ok := i.h.aws.alias("live"); ok {
		ask.lease, _ = ParseLease(a.Description)
	}
	i.h.asks = append(i.h.asks, ask)
	return i.answer(len(i.h.asks), p)
}

func newApprovalHarness(t *testing.T, answer func(n int, p ApprovalPayload) (InvokeResult, error)) *approvalHarness {
	h := &approvalHarness{harness: newHarness(t)}
	h.aws.functions["approve"] = true
	h.engine.AWS.Invoker = approvalInvoker{h: h, inner: h.aws, answer: answer}
	return h
}

func answer(status, reason string) (InvokeResult, error) {
	return InvokeResult{Payload: []byte(fmt.Sprintf(`{"status":%q,"reason":%q}`, status, reason))}, nil
}

// answers answers the n-th ask with script[n-1], and the last entry from then on.
func answers(script ...string) func(int, ApprovalPayload) (InvokeResult, error) {
	return func(n int, _ ApprovalPayload) (InvokeResult, error) {
		return answer(script[min(n, len(script))-1], fmt.Sprintf("answer %d", n))
	}
}

func withApproval(mods ...func(*Approval)) func(*Release) {
	return func(r *Release) {
		a := &Approval{Function: "approve", BeforeTrafficIncrease: true, BeforePromotion: true, PollInterval: 30 * time.Second, Timeout: 10 * time.Minute}
		for _, m := range mods {
			m(a)
		}
		r.Approval = a
	}
}

func twoSteps(r *Release) {
	r.Schedule = Schedule{Name: kindSteps, Steps: []Step{{Percent: 10, Hold: time.Minute}, {Percent: 50, Hold: time.Minute}}}
}

func TestApprovalApprovedAtOnce(t *testing.T) {
	h := newApprovalHarness(t, answers("Approved"))
	res, err := h.run(release(twoSteps, withApproval()))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("4", nil)
	// Asked before each step and before promotion, never waiting: the holds alone.
	if h.clock.elapsed() != 2*time.Minute {
		t.Errorf("took %s, want 2m0s", h.clock.elapsed())
	}
	type seen struct {
		Event, Before        string
		Step, Steps, Attempt int
		Current, Next        float64
		ExecutionID, Target  string
		At                   time.Duration
	}
	var got []seen
	for _, a := range h.asks {
		got = append(got, seen{a.LifecycleEvent, a.Before, a.Step, a.Steps, a.Attempt, a.CurrentPercent, a.NextPercent, a.LifecycleEventHookExecutionID, a.TargetVersion, a.at})
	}
	want := []seen{
		{"Approval", "TrafficIncrease", 1, 2, 1, 0, 10, "d-test-Approval-TrafficIncrease-1", "4", 0},
		{"Approval", "TrafficIncrease", 2, 2, 1, 10, 50, "d-test-Approval-TrafficIncrease-2", "4", time.Minute},
		{"Approval", "Promotion", 0, 2, 1, 50, 100, "d-test-Approval-Promotion-0", "4", 2 * time.Minute},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("asks\n%+v\nwant\n%+v", got, want)
	}
	if p := h.asks[0]; p.CurrentVersion != "3" || p.FunctionName != fnName || p.Alias != "live" || p.WaitingSince != t0.Format(time.RFC3339) {
		t.Errorf("payload %+v", p)
	}
	if !h.hasEvent(EventApproval, "approve approved before step 2 of 2 (50% on version 4) after 0s (1 ask): answer 2") {
		t.Errorf("timeline has no approval: %+v", h.events)
	}
}

func TestApprovalWaitsThenApproves(t *testing.T) {
	h := newApprovalHarness(t, answers("Waiting", "waiting", "APPROVED"))
	res, err := h.run(release(withApproval(func(a *Approval) { a.BeforePromotion = false })))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("4", nil)
	var at []time.Duration
	var attempts []int
	for _, a := range h.asks {
		at, attempts = append(at, a.at), append(attempts, a.Attempt)
		if a.LifecycleEventHookExecutionID != "d-test-Approval-TrafficIncrease-1" || a.WaitingSince != t0.Format(time.RFC3339) {
			t.Errorf("every ask of one wait carries the same id and start: %+v", a)
		}
	}
	// Time advances by the poll interval between asks; the step follows the approval.
	if want := []time.Duration{0, 30 * time.Second, time.Minute}; !reflect.DeepEqual(at, want) {
		t.Errorf("asked at %v, want %v", at, want)
	}
	if !reflect.DeepEqual(attempts, []int{1, 2, 3}) {
		t.Errorf("attempts %v", attempts)
	}
	if h.clock.elapsed() != 6*time.Minute {
		t.Errorf("took %s, want 1m0s of waiting and the 5m0s hold", h.clock.elapsed())
	}
	if h.aws.writes != 2 {
		t.Errorf("%d traffic writes, want the step and the promotion", h.aws.writes)
	}
}

func TestApprovalRejectsAtTheSecondStep(t *testing.T) {
	h := newApprovalHarness(t, func(n int, _ ApprovalPayload) (InvokeResult, error) {
		if n == 1 {
			return answer("Approved", "")
		}
		return answer("Rejected", "load test: p99 1.2s over the 800ms budget")
	})
	res, err := h.run(release(twoSteps, withApproval()))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if !strings.HasPrefix(err.Error(), `approval "approve" rejected the release before step 2 of 2 (50% on version 4): load test: p99 1.2s over the 800ms budget`) {
		t.Errorf("error:\n%s", err)
	}
	if !strings.Contains(err.Error(), "The alias live now serves version 3 with no weights (rolled back).") {
		t.Errorf("error:\n%s", err)
	}
	if len(h.asks) != 2 || h.aws.writes != 2 { // step 1, then the rollback
		t.Errorf("%d asks, %d writes", len(h.asks), h.aws.writes)
	}
	if a, _ := h.aws.alias("live"); !strings.HasPrefix(a.Description, "safelambda restored version 3") {
		t.Errorf("description %q", a.Description)
	}
}

// Asked before the release's first write: the lease goes on the alias before the ask,
// and a rejection leaves the alias as it was.
func TestApprovalRejectsBeforeTrafficMoved(t *testing.T) {
	h := newApprovalHarness(t, answers("Rejected"))
	res, err := h.run(release(withApproval()))
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if h.aws.writes != 0 {
		t.Errorf("%d traffic writes", h.aws.writes)
	}
	if len(h.asks) != 1 || h.asks[0].lease.ReleaseID != "d-test" {
		t.Errorf("asks %+v: the lease was not on the alias when the approval was asked", h.asks)
	}
	if !strings.Contains(err.Error(), "The alias live now serves version 3 with no weights (unchanged).") {
		t.Errorf("error:\n%s", err)
	}
	if a, _ := h.aws.alias("live"); strings.HasPrefix(a.Description, "safelambda release") {
		t.Errorf("the lease was left on the alias: %q", a.Description)
	}
}

func TestApprovalTimesOut(t *testing.T) {
	h := newApprovalHarness(t, answers("Waiting"))
	res, err := h.run(release(withApproval(func(a *Approval) { a.BeforeTrafficIncrease, a.Timeout = false, 2*time.Minute })))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if !strings.HasPrefix(err.Error(), `approval "approve" gave no decision within approval.timeout (2m0s) before promotion (100% on version 4); its last answer: Waiting: answer 5; a wait that runs out counts as a rejection`) {
		t.Errorf("error:\n%s", err)
	}
	// Asked at 0, 30s, 1m, 1m30s and at the deadline, after the 5m hold.
	if len(h.asks) != 5 || h.asks[4].at != 7*time.Minute || h.clock.elapsed() != 7*time.Minute {
		t.Errorf("%d asks, last at %s, ended at %s", len(h.asks), h.asks[len(h.asks)-1].at, h.clock.elapsed())
	}
}

func TestApprovalInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := newApprovalHarness(t, func(n int, _ ApprovalPayload) (InvokeResult, error) {
		if n == 3 {
			cancel() // Ctrl-C while the release waits
		}
		return answer("Waiting", "")
	})
	res, err := h.runCtx(ctx, release(withApproval(func(a *Approval) { a.BeforeTrafficIncrease = false }), func(r *Release) { r.RollbackTimeout = 30 * time.Second }))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if !strings.HasPrefix(err.Error(), "the release was interrupted (it was cancelled) during: waiting for approval approve before promotion (100% on version 4)") ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("error:\n%s", err)
	}
	if len(h.asks) != 3 {
		t.Errorf("%d asks after the interruption's", len(h.asks))
	}
}

// A wait longer than the lease slack keeps the lease alive: renewed once the wait begins,
// then every approvalLeaseRenewal, each time with the alias as it was.
func TestApprovalRenewsTheLease(t *testing.T) {
	h := newApprovalHarness(t, func(n int, _ ApprovalPayload) (InvokeResult, error) {
		if n > 80 { // 40 minutes at 30s
			return answer("Approved", "")
		}
		return answer("Waiting", "")
	})
	r := release(withApproval(func(a *Approval) { a.BeforeTrafficIncrease, a.Timeout = false, time.Hour }))
	updatesBefore := 0
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if u.FunctionVersion == "4" && updatesBefore == 0 {
			updatesBefore = n // the promotion
		}
		return nil
	}
	res, err := h.run(r)
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("4", nil)
	for _, a := range h.asks {
		now := t0.Add(a.at)
		if a.lease.ReleaseID != "d-test" || a.lease.Until.Sub(now) < DefaultLeaseSlack-30*time.Second {
			t.Fatalf("at +%s the lease was %+v: it must not come near running out", a.at, a.lease)
		}
	}
	// The step's write, then a renewal whenever the lease would no longer cover one more
	// ask (the approval function's bound, 20m) and half the slack: every 7m30s of the
	// 40m30s wait (6 renewals), then the promotion. Renewals move no traffic.
	if renewals := updatesBefore - 2; renewals != 6 {
		t.Errorf("%d renewals in a 40m30s wait, want 6", renewals)
	}
	if h.aws.writes != 2 {
		t.Errorf("%d traffic writes, want the step and the promotion", h.aws.writes)
	}
}

// A renewal finds the alias moved by someone else: the release stops without touching it.
func TestApprovalRenewalFindsDrift(t *testing.T) {
	h := newApprovalHarness(t, func(n int, _ ApprovalPayload) (InvokeResult, error) {
		return answer("Waiting", "")
	})
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if n == 2 { // the first renewal
			h.aws.setAlias("live", "2", nil)
		}
		return nil
	}
	res, err := h.run(release(withApproval(func(a *Approval) { a.BeforeTrafficIncrease = false })))
	if err == nil || res.Status != StatusFailed || !errors.Is(err, ErrConflict) {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("2", nil)
}

func TestApprovalAnswersThatStop(t *testing.T) {
	tests := []struct {
		name   string
		answer func(int, ApprovalPayload) (InvokeResult, error)
		want   string
	}{
		{"function error", func(int, ApprovalPayload) (InvokeResult, error) {
			return InvokeResult{FunctionError: "Unhandled", Payload: []byte(`{"errorType":"ClientError","errorMessage":"AccessDenied on ssm:GetParameter"}`)}, nil
		}, `approval "approve" failed before promotion (100% on version 4): function error (Unhandled): ClientError: AccessDenied on ssm:GetParameter; an approval check that fails counts as a rejection`},
		{"unknown status", func(int, ApprovalPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`{"status":"Succeeded"}`)}, nil
		}, `approval "approve" failed before promotion (100% on version 4): answered {"status":"Succeeded"}; an approval check that fails counts as a rejection`},
		{"not an object", func(int, ApprovalPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`null`)}, nil
		}, `approval "approve" failed before promotion (100% on version 4): answered null`},
		{"invoke refused", func(int, ApprovalPayload) (InvokeResult, error) {
			return InvokeResult{}, errors.New("AccessDeniedException: not authorized to perform lambda:InvokeFunction")
		}, `approval "approve" could not be invoked before promotion (100% on version 4): AccessDeniedException`},
		{"rejected without a reason", func(int, ApprovalPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`{"status":"rejected"}`)}, nil
		}, `approval "approve" rejected the release before promotion (100% on version 4): no reason given`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newApprovalHarness(t, tt.answer)
			res, err := h.run(release(withApproval(func(a *Approval) { a.BeforeTrafficIncrease = false })))
			if err == nil || res.Status != StatusRolledBack {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			h.wantAlias("3", nil)
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n%s\nwant prefix %q", err, tt.want)
			}
			if len(h.asks) != 1 {
				t.Errorf("%d asks: each invocation runs once", len(h.asks))
			}
		})
	}
}

// An answer lost on the way back (the function may have run) is no decision: the
// function is asked again at the next poll, a new invocation.
func TestApprovalLostAnswerAsksAgain(t *testing.T) {
	h := newApprovalHarness(t, func(n int, _ ApprovalPayload) (InvokeResult, error) {
		if n == 1 {
			return InvokeResult{}, fmt.Errorf("read tcp: connection reset by peer: %w", ErrOutcomeUnknown)
		}
		return answer("Approved", "")
	})
	res, err := h.run(release(withApproval(func(a *Approval) { a.BeforeTrafficIncrease = false })))
	if err != nil || res.Status != StatusSucceeded || len(h.asks) != 2 {
		t.Fatalf("status %s, %d asks, err %v", res.Status, len(h.asks), err)
	}
	if !h.hasEvent(EventWarning, "approval approve gave no answer") {
		t.Errorf("no warning in %+v", h.events)
	}
}

// A first release creates the alias on the target: there is nothing to shift from and
// nothing to approve.
func TestApprovalNotAskedOnAFirstRelease(t *testing.T) {
	h := newApprovalHarness(t, answers("Rejected"))
	delete(h.aws.aliases, "live")
	res, err := h.run(release(withApproval()))
	if err != nil || res.Status != StatusSucceeded || len(h.asks) != 0 {
		t.Fatalf("status %s, %d asks, err %v", res.Status, len(h.asks), err)
	}
}

func TestApprovalFunctionMissingAtPreflight(t *testing.T) {
	h := newApprovalHarness(t, answers("Approved"))
	delete(h.aws.functions, "approve")
	res, err := h.run(release(withApproval()))
	if err == nil || res.Status != StatusFailed || h.aws.count("UpdateAlias") != 0 {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if !strings.HasPrefix(err.Error(), `approval function "approve" does not exist; nothing was changed`) {
		t.Errorf("error:\n%s", err)
	}
}

func TestDescribeApproval(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	tests := []struct {
		name string
		r    Release
		want string
	}{
		{"both, canary", release(withApproval()),
			"10% for 5m0s, 100%; approval before 1 traffic increase and promotion, polled every 30s, each wait up to 10m0s; 1 alarm polled every 10s; at least 5m0s"},
		{"promotion only, defaults", release(func(r *Release) { r.Approval = &Approval{Function: "approve", BeforePromotion: true} }),
			"10% for 5m0s, 100%; approval before promotion, polled every 30s, each wait up to 30m0s; 1 alarm polled every 10s; at least 5m0s"},
		{"increases only, linear", release(withApproval(func(a *Approval) { a.BeforePromotion = false }), func(r *Release) { r.Schedule = linear }),
			"10%, 20% … 90% for 1m0s each, 100%; approval before 9 traffic increases, polled every 30s, each wait up to 10m0s; 1 alarm polled every 10s; at least 9m0s"},
	}
	for _, tt := range tests {
		if got := Describe(tt.r); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	first := DescribeFirstRelease(release(withApproval()))
	if !strings.Contains(first, "approval before 1 traffic increase and promotion, polled every 30s, each wait up to 10m0s (when an existing alias is adopted; a created alias is not asked about)") {
		t.Errorf("first release: %s", first)
	}
}

func TestResolveApproval(t *testing.T) {
	str := func(s string) *string { return &s }
	base := func(mods ...func(*Config)) Config {
		c := Config{Function: fnName, Alias: "live", Version: str("4"),
			Shift:    &ShiftConfig{Preset: str("Canary10Percent5Minutes")},
			Approval: &ApprovalConfig{Function: str("approve")}}
		for _, m := range mods {
			m(&c)
		}
		return c
	}
	t.Run("defaults", func(t *testing.T) {
		out, errs := base().Resolve()
		if len(errs) > 0 || !out.Complete {
			t.Fatalf("errs %v complete %v", errs, out.Complete)
		}
		if a := out.Release.Approval; a == nil || !a.BeforeTrafficIncrease || !a.BeforePromotion || a.pollInterval() != DefaultApprovalPollInterval || a.timeout() != DefaultApprovalTimeout {
			t.Errorf("approval %+v", a)
		}
	})
	t.Run("unknown function keeps the schedule known", func(t *testing.T) {
		out, errs := base(func(c *Config) {
			c.Approval.Function = nil
			c.Unknown = map[string]bool{"approval.function": true}
		}).Resolve()
		if len(errs) > 0 || !out.Complete || !strings.Contains(Describe(out.Release), "approval before 1 traffic increase and promotion") {
			t.Fatalf("errs %v complete %v %s", errs, out.Complete, Describe(out.Release))
		}
	})
	t.Run("unknown before waits", func(t *testing.T) {
		out, errs := base(func(c *Config) { c.Unknown = map[string]bool{"approval.before": true} }).Resolve()
		if len(errs) > 0 || out.Complete {
			t.Fatalf("errs %v complete %v", errs, out.Complete)
		}
	})
	t.Run("unknown approval waits", func(t *testing.T) {
		out, errs := base(func(c *Config) {
			c.Approval = &ApprovalConfig{}
			c.Unknown = map[string]bool{"approval": true}
		}).Resolve()
		if len(errs) > 0 || out.Complete {
			t.Fatalf("errs %v complete %v", errs, out.Complete)
		}
	})
	tests := []struct {
		name string
		c    Config
		path string
		want string
	}{
		{"no function", base(func(c *Config) { c.Approval.Function = nil }), "approval.function", "approval.function must name the Lambda function"},
		{"qualified function", base(func(c *Config) { c.Approval.Function = str("approve:live") }), "approval.function", "approval.function \"approve:live\" names alias"},
		{"empty before", base(func(c *Config) { c.Approval.BeforeSet = true }), "approval.before", "approval.before names when to ask"},
		{"unknown point", base(func(c *Config) { c.Approval.Before, c.Approval.BeforeSet = []string{"promote"}, true }), "approval.before", `got "promote"`},
		{"never asked", base(func(c *Config) {
			c.Shift = nil
			c.Approval.Before, c.Approval.BeforeSet = []string{"traffic_increase"}, true
		}), "approval.before", "the traffic shift is AllAtOnce"},
		{"bad duration", base(func(c *Config) { c.Approval.PollInterval = str("30") }), "approval.poll_interval", `write "30s"`},
		{"poll longer than timeout", base(func(c *Config) { c.Approval.PollInterval, c.Approval.Timeout = str("5m"), str("1m") }), "approval.poll_interval", "longer than approval.timeout"},
		{"wait longer than the update timeout", base(func(c *Config) {
			c.Approval.Timeout = str("1h")
		}), "approval.timeout", "timeouts.create is 1h0m0s, so a wait for approval could only end by the apply timing out"},
		{"default wait longer than a short timeout", base(func(c *Config) {
			c.Timeouts = map[string]string{"create": "20m", "update": "20m"}
		}), "approval", "timeouts.create is 20m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := tt.c.Resolve()
			if len(errs) != 1 || FormatPath(errs[0].Path) != tt.path || !strings.Contains(errs[0].Detail, tt.want) {
				t.Fatalf("errs %v, want one on %s containing %q", errs, tt.path, tt.want)
			}
		})
	}
	t.Run("a timeout that holds the wait", func(t *testing.T) {
		_, errs := base(func(c *Config) {
			c.Approval.Timeout = str("1h")
			c.Timeouts = map[string]string{"create": "2h", "update": "2h"}
		}).Resolve()
		if len(errs) > 0 {
			t.Fatal(errs)
		}
	})
}

// A poll interval longer than the lease renewal: the lease is renewed between asks, and
// the asks keep to the poll interval.
func TestApprovalRenewsTheLeaseBetweenSparseAsks(t *testing.T) {
	h := newApprovalHarness(t, func(n int, _ ApprovalPayload) (InvokeResult, error) {
		if n == 3 {
			return answer("Approved", "")
		}
		return answer("Waiting", "")
	})
	var leaseLeft []time.Duration // at every UpdateAlias, how long the alias's lease had left
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if a, ok := h.aws.alias("live"); ok {
			if l, leased := ParseLease(a.Description); leased {
				leaseLeft = append(leaseLeft, l.Until.Sub(h.clock.Now()))
			}
		}
		return nil
	}
	res, err := h.run(release(withApproval(func(a *Approval) {
		a.BeforeTrafficIncrease, a.PollInterval, a.Timeout = false, 20*time.Minute, time.Hour
	})))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	var at []time.Duration
	for _, a := range h.asks {
		at = append(at, a.at)
		if left := a.lease.Until.Sub(t0.Add(a.at)); left < DefaultLeaseSlack/2 {
			t.Errorf("at +%s the lease had %s left", a.at, left)
		}
	}
	// After the 5m hold: asked at once, then every 20m.
	if want := []time.Duration{5 * time.Minute, 25 * time.Minute, 45 * time.Minute}; !reflect.DeepEqual(at, want) {
		t.Errorf("asked at %v, want %v", at, want)
	}
	// After the step's write: renewals at 5m (the first ask), then every 7m30s until the
	// ask at 45m (6 in all), the promotion, the end of the lease; before every one of them
	// the lease had not come near running out.
	if len(leaseLeft) != 8 {
		t.Errorf("%d alias writes under a lease, want 8: %v", len(leaseLeft), leaseLeft)
	}
	for i, left := range leaseLeft {
		if left < DefaultLeaseSlack/2 {
			t.Errorf("write %d: the lease had %s left", i+1, left)
		}
	}
}
