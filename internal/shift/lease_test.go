package shift

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Tests of the lease and of what a release does with a split an interrupted release left.

// A canary left split by a release that was killed, whose alarm fired while nobody watched
// it: the next release rolls the split back before anything else and stops, saying what
// happened and what is live, and never suggests ignore_alarms.
func TestInterruptedSplitWithAnAlarmInAlarmIsRolledBackFirst(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(h *harness)
		r     Release
		by    string
	}{
		{"its lease ran out", func(h *harness) {
			h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		}, release(), "release d-killed (run by ci@runner), which was interrupted (its lease ran out at 2025-06-01T11:59:59Z)"},
		{"its holder is gone", func(h *harness) {
			h.aws.setAlias("live", "3", w("4", 0.1))
			h.aws.aliases["live"].Description = Lease{ReleaseID: "d-killed", Holder: "ci@runner pid 7", Until: t0.Add(time.Hour)}.String()
			h.engine.HolderGone = func(string) bool { return true }
		}, release(), "release d-killed (run by ci@runner pid 7), which was interrupted (its process has ended)"},
		{"it left no lease", func(h *harness) {
			h.aws.setAlias("live", "3", w("4", 0.1))
		}, release(), "an earlier release, which was interrupted:"},
		{"its canary is not the version to release", func(h *harness) {
			h.aws.splitByKilledRelease("live", "3", w("2", 0.1))
		}, release(), "release d-killed"},
		{"with a pre_traffic hook, which never runs", func(h *harness) {
			h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		}, release(func(r *Release) { r.PreTrafficHook = "smoke" }), "release d-killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.setup(h)
			before, _ := h.aws.alias("live")
			h.aws.alarms["orders-errors"] = always("ALARM")
			res, err := h.run(tc.r)
			if err == nil || res.Status != StatusRolledBack {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			h.wantAlias("3", nil)
			split := shapeOf(before).String()
			for _, want := range []string{
				`alarm "orders-errors" is in ALARM, and alias live was left split at ` + split + ` by ` + tc.by,
				": the split is rolled back to version 3 before anything else, and the release stops",
				"Reason: orders-errors: Threshold Crossed",
				"The alias live now serves version 3 with no weights (rolled back: the split " + split + " left by ",
				"took traffic while no release watched it, and the alarms fired",
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%s", want, err)
				}
			}
			if strings.Contains(err.Error(), "ignore_alarms") {
				t.Errorf("the error suggests ignore_alarms over a failing canary:\n%s", err)
			}
			if n := h.aws.count("Invoke") + h.aws.count("PublishVersion"); n != 0 || h.aws.writes != 1 {
				t.Errorf("invokes+publishes %d, routing writes %d: want only the rollback", n, h.aws.writes)
			}
			if a, _ := h.aws.alias("live"); !strings.HasPrefix(a.Description, "safelambda restored version 3 from 4 in d-test") {
				t.Errorf("description %q", a.Description)
			}
		})
	}
	t.Run("a rollback that cannot finish says how, and still not ignore_alarms", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		h.aws.alarms["orders-errors"] = always("ALARM")
		h.aws.beforeUpdate = func(int, AliasUpdate) error { return fmt.Errorf("TooManyRequestsException: %w", ErrThrottled) }
		res, err := h.run(release())
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("3", w("4", 0.1))
		if !strings.Contains(err.Error(), "The rollback did not complete") ||
			!strings.Contains(err.Error(), "aws lambda update-alias --function-name orders-api --name live --function-version 3 --routing-config '{}'") ||
			strings.Contains(err.Error(), "ignore_alarms") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("ignore_alarms resumes it: alarms are not a check then", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		h.aws.alarms["orders-errors"] = always("ALARM")
		res, err := h.run(release(func(r *Release) { r.IgnoreAlarms = true }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("4", nil)
	})
	t.Run("alarms OK: the split is resumed", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded || !h.hasEvent(EventShift, "resuming") {
			t.Fatalf("status %s err %v", res.Status, err)
		}
	})
}

// Any check that fails over an interrupted split rolls it back: it is resumed only when
// every check passes, and a split nobody watches never stays.
func TestInterruptedSplitFailingAnyCheckIsRolledBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(h *harness, r *Release)
		want string
	}{
		{"a missing hook function", func(h *harness, r *Release) { r.PreTrafficHook = "gone" }, `pre_traffic hook function "gone" does not exist`},
		{"a missing alarm", func(h *harness, r *Release) { r.Alarms = []string{"orders-errors", "gone"} }, `alarm "gone" does not exist`},
		{"alarm states that cannot be read", func(h *harness, r *Release) {
			h.aws.describeErr = func(time.Duration) error { return errors.New("AccessDenied") }
		}, "could not read the states of 1 alarm in preflight"},
		{"a hash that matches nothing", func(h *harness, r *Release) { r.Version, r.CodeSha256 = "", "h9" }, "code_sha256 h9 matches no published version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
			r := release()
			tc.mod(h, &r)
			res, err := h.run(r)
			if err == nil || res.Status != StatusRolledBack {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			h.wantAlias("3", nil)
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "(rolled back: the split 3 with 10% on 4 left by release d-killed (run by ci@runner), which was interrupted, is undone)") {
				t.Errorf("error:\n%s", err)
			}
		})
	}
	t.Run("a live lease of another release is not touched", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.aliases["live"].Description = Lease{ReleaseID: "d-other", Holder: "bob@ci", Until: t0.Add(time.Hour)}.String()
		h.aws.alarms["orders-errors"] = always("ALARM")
		res, err := h.run(release())
		if err == nil || res.Status != StatusFailed || h.aws.count("UpdateAlias") != 0 {
			t.Fatalf("status %s, updates %d, err %v", res.Status, h.aws.count("UpdateAlias"), err)
		}
		h.wantAlias("3", w("4", 0.1))
	})
}

// The lease each write carries covers what follows it before the next write: a step's
// whole duration (the hold and the metric-evidence wait), the hook that follows, and the
// slack for a gate check and the write itself.
func TestLeaseCoversTheWholeStep(t *testing.T) {
	t.Run("a step held longer for metric evidence", func(t *testing.T) {
		h := newHarness(t)
		h.withMetrics(steady(100, rate(0), rate(0)))
		delay := 10 * time.Minute
		r := release(gates(func(g *MetricGates) { one := 1.0; g.ArrivalDelay, g.MaxErrorRate = &delay, &one }))
		res, err := h.run(r)
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		step := StepDuration(r.Schedule.Steps[0], r.MetricGates)
		if step != 5*time.Minute+time.Minute+delay {
			t.Errorf("StepDuration %s, want the 5m hold + 1m + the 10m arrival delay", step)
		}
		if l := leaseOf(t, h.aws.descriptions[0]); !l.Until.Equal(t0.Add(step + DefaultLeaseSlack)) {
			t.Errorf("lease of the step until %s, want %s", l.Until, t0.Add(step+DefaultLeaseSlack))
		}
		// The hold lasts exactly as long, and so does what the plan counts.
		if h.clock.elapsed() != step || MinReleaseDuration(r) != step {
			t.Errorf("release took %s, MinReleaseDuration %s, want %s", h.clock.elapsed(), MinReleaseDuration(r), step)
		}
	})
	t.Run("a resumed step and the pre_traffic hook before it", func(t *testing.T) {
		h := newHarness(t)
		h.aws.timeouts = map[string]time.Duration{"smoke": 30 * time.Second}
		h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		want := t0.Add(30*time.Second + hookStartAllowance + 5*time.Minute + DefaultLeaseSlack)
		if l := leaseOf(t, h.aws.descriptions[0]); !l.Until.Equal(want) {
			t.Errorf("lease before the hook until %s, want %s (hook timeout + allowance + the resumed step + slack)", l.Until, want)
		}
	})
	t.Run("the promotion covers the post_traffic hook; one with no known timeout gets Lambda's longest", func(t *testing.T) {
		h := newHarness(t)
		res, err := h.run(release(func(r *Release) { r.PostTrafficHook = "e2e" }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		want := t0.Add(5*time.Minute + maxInvocation + hookStartAllowance + DefaultLeaseSlack)
		if l := leaseOf(t, h.aws.descriptions[1]); !l.Until.Equal(want) {
			t.Errorf("lease at promotion until %s, want %s", l.Until, want)
		}
	})
}

// A hook throttled again and again (each attempt losing minutes to the SDK's own
// retries) is tried again with backoff; before each attempt the lease covers the hook's
// bound and half the slack at least, renewed when it would not: the retries cannot outlast
// it.
func TestLeaseRenewedBeforeHookAttempts(t *testing.T) {
	h := newHarness(t)
	h.aws.timeouts = map[string]time.Duration{"smoke": time.Minute}
	bound := time.Minute + hookStartAllowance
	var margins []time.Duration
	h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
		a, _ := h.aws.alias("live")
		l, _ := ParseLease(a.Description)
		margins = append(margins, l.Until.Sub(h.clock.Now()))
		if h.aws.count("Invoke") <= 3 {
			<-h.clock.After(5 * time.Minute) // throttled inside the SDK's retries first
			return InvokeResult{}, fmt.Errorf("TooManyRequestsException: Rate Exceeded.: %w", ErrThrottled)
		}
		return InvokeResult{Payload: []byte(`{"status":"Succeeded"}`)}, nil
	}
	res, err := h.run(release(func(r *Release) { r.PreTrafficHook, r.Schedule = "smoke", Schedule{} }))
	if err != nil || res.Status != StatusSucceeded || len(margins) != 4 {
		t.Fatalf("status %s, %d attempts, err %v", res.Status, len(margins), err)
	}
	for i, m := range margins {
		if m < bound+DefaultLeaseSlack/2 {
			t.Errorf("attempt %d began with the lease %s from running out, want at least %s", i+1, m, bound+DefaultLeaseSlack/2)
		}
	}
	// Attempts at 0, 5m2s, 10m6s and 15m14s: the one at 10m6s found the lease short and
	// renewed it; the others were covered.
	d := h.aws.descriptions
	if len(d) != 4 {
		t.Fatalf("descriptions %q: want the lease, one renewal, the promotion and the mark", d)
	}
	renewedAt := 10*time.Minute + 6*time.Second
	if l := leaseOf(t, d[1]); !l.Until.Equal(t0.Add(renewedAt + bound + DefaultLeaseSlack)) {
		t.Errorf("renewal until %s, want %s", l.Until, t0.Add(renewedAt+bound+DefaultLeaseSlack))
	}
	if h.aws.writes != 1 {
		t.Errorf("routing writes %d: a renewal must not move traffic", h.aws.writes)
	}
	// An attempt right after the write before the hook costs no renewal.
	h = newHarness(t)
	if _, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" })); err != nil || h.aws.count("UpdateAlias") != 4 {
		t.Errorf("UpdateAlias %d, err %v: want the lease, the step, the promotion and the clearing write only", h.aws.count("UpdateAlias"), err)
	}
}

// Destroy keeps off an alias another release holds, saying whose and until when.
func TestRemoveRefusesWhileAnotherReleaseHoldsTheLease(t *testing.T) {
	hold := func(h *harness, until time.Time) {
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.aliases["live"].Description = Lease{ReleaseID: "d-other", Holder: "https://ci.example/run/7 on bob@ci pid 9", Until: until}.String()
	}
	t.Run("held", func(t *testing.T) {
		h := newHarness(t)
		hold(h, t0.Add(20*time.Minute))
		err := h.engine.Remove(context.Background(), fnName, "live", "d-mine")
		if !errors.Is(err, ErrLeaseHeld) || h.aws.count("DeleteAlias") != 0 {
			t.Fatalf("err %v, deletes %d", err, h.aws.count("DeleteAlias"))
		}
		for _, want := range []string{
			"alias live of function orders-api is being released by d-other (run by https://ci.example/run/7 on bob@ci pid 9) until 2025-06-01T12:20:00Z at the latest; nothing was deleted",
			"skip_destroy = true",
			`aws lambda update-alias --function-name orders-api --name live --description ""`,
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	})
	for _, tc := range []struct {
		name  string
		setup func(h *harness)
		last  string
	}{
		{"ran out", func(h *harness) { hold(h, t0.Add(-time.Second)) }, ""},
		{"holder gone", func(h *harness) {
			hold(h, t0.Add(time.Hour))
			h.engine.HolderGone = func(string) bool { return true }
		}, ""},
		{"this configuration's own last release", func(h *harness) { hold(h, t0.Add(time.Hour)) }, "d-other"},
		{"no lease", func(*harness) {}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			tc.setup(h)
			if err := h.engine.Remove(context.Background(), fnName, "live", tc.last); err != nil {
				t.Fatal(err)
			}
			if _, ok := h.aws.alias("live"); ok {
				t.Error("alias not deleted")
			}
		})
	}
}

// The holder names the run, the user and host, and the process, cut to fit the 256
// characters of an alias description: the middle of the run is cut, never the process.
func TestHolderFitsTheDescription(t *testing.T) {
	proc := "pid 4242 start 123456789 ns 0123456789ab"
	run := "https://github.com/" + strings.Repeat("o", 39) + "/" + strings.Repeat("r", 100) + "/actions/runs/987654321"
	holder := run + " on runner@" + strings.Repeat("h", 40) + " " + proc
	for _, desc := range []string{
		Lease{ReleaseID: "d-0123456789ab", Holder: holder, Until: t0}.String(),
		Lease{ReleaseID: "d-0123456789ab", From: "1234567890", Holder: holder, Until: t0}.String(),
		Released{Version: "12345", ReleaseID: "d-0123456789ab", Holder: holder, At: t0}.String(),
	} {
		if len(desc) > maxDescription {
			t.Errorf("%d characters, over Lambda's 256: %q", len(desc), desc)
		}
		if !strings.HasPrefix(strings.SplitN(desc, " by ", 2)[1], "https://github.com/ooo") || !strings.Contains(desc, "...") ||
			!strings.Contains(desc, "/runs/987654321 on runner@") {
			t.Errorf("the run is not cut in its middle: %q", desc)
		}
		l, ok := ParseLease(desc)
		if m, okm := ParseReleased(desc); okm {
			l.Holder, ok = m.Holder, true
		}
		if p, pok := parseProcess(l.Holder); !ok || !pok || p.String() != proc {
			t.Errorf("the process did not survive the cut: %q", desc)
		}
	}
	// A holder with nothing but its process cut still keeps it.
	if got := cutHolder("x "+proc, 2); got != proc {
		t.Errorf("cutHolder = %q", got)
	}
	h := NewHolder("GitHub Actions run")
	if !strings.HasPrefix(h, "GitHub Actions run on ") {
		t.Errorf("NewHolder = %q", h)
	}
	if p, ok := parseProcess(h); !ok || p.pid == 0 {
		t.Errorf("NewHolder %q names no process", h)
	}
}

// Leases written before holders recorded more than a pid, or by a holder that cannot be
// checked, are read, and their holder is alive.
func TestOldAndUncheckableHoldersAreAlive(t *testing.T) {
	for _, holder := range []string{
		"ci@runner",
		"ci@runner pid 1",
		"ci@runner pid 999999999",
		"me@host pid x",
		"https://ci.example/7 on me@host pid 12 start 5 ns nothex",
	} {
		if holderGone(holder) {
			t.Errorf("holderGone(%q) = true", holder)
		}
	}
	p, ok := parseProcess("ci@runner pid 42")
	if !ok || p.pid != 42 || p.ns != "" {
		t.Errorf("parseProcess of an old holder = %+v %v", p, ok)
	}
}

// The lease records the version the alias served before (from); it reads back whole, and
// a lease written before from was recorded still reads, with no from.
func TestLeaseRoundTripFrom(t *testing.T) {
	for _, l := range []Lease{
		{ReleaseID: "d-1", From: "3", Holder: "ci@runner pid 7", Until: t0},
		{ReleaseID: "d-1", From: "$LATEST", Holder: "GitHub Actions run from main on ci@runner pid 7", Until: t0},
		{ReleaseID: "d-1", Holder: "ci@runner pid 7", Until: t0},
	} {
		desc := l.String()
		got, ok := ParseLease(desc)
		if !ok || got != l {
			t.Errorf("ParseLease(%q) = %+v, %v; want %+v", desc, got, ok, l)
		}
	}
	if desc := (Lease{ReleaseID: "d-1", From: "3", Holder: "ci@runner pid 7", Until: t0}).String(); desc != "safelambda release d-1 from 3 by ci@runner pid 7 until 2025-06-01T12:00:00Z" {
		t.Errorf("lease text %q", desc)
	}
	old := "safelambda release d-1 by ci@runner pid 7 until 2025-06-01T12:00:00Z"
	if got, ok := ParseLease(old); !ok || got.From != "" || got.ReleaseID != "d-1" || got.Holder != "ci@runner pid 7" {
		t.Errorf("old lease %q read as %+v, %v", old, got, ok)
	}
	// Every write of a release records from: the alias's version before it.
	h := newHarness(t)
	var seen []string
	h.aws.beforeUpdate = func(_ int, u AliasUpdate) error {
		if u.Description != nil {
			seen = append(seen, *u.Description)
		}
		return nil
	}
	if _, err := h.run(release(func(r *Release) { r.PostTrafficHook = "" })); err != nil {
		t.Fatal(err)
	}
	leases := 0
	for _, d := range seen {
		if l, ok := ParseLease(d); ok {
			leases++
			if l.From != "3" {
				t.Errorf("lease %q records from %q, want 3", d, l.From)
			}
		}
	}
	if leases == 0 {
		t.Errorf("no lease written: %q", seen)
	}
}
