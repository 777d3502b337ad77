package shift

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Tests for where real AWS differs from an emulator: leases between pipelines, Lambda's
// transient weights, routing constraints, updates in progress, hooks of unknown outcome,
// the rollback's own budget, Inactive versions, weight precision.

func leaseOf(t *testing.T, desc string) Lease {
	t.Helper()
	l, ok := ParseLease(desc)
	if !ok {
		t.Fatalf("description %q holds no lease", desc)
	}
	return l
}

func TestLeaseRoundTrip(t *testing.T) {
	l := Lease{ReleaseID: "d-0123456789ab", Holder: "ci@runner-7", Until: t0.Add(20 * time.Minute)}
	got, ok := ParseLease(l.String())
	if !ok || !reflect.DeepEqual(got, l) {
		t.Errorf("ParseLease(%q) = %+v %v", l.String(), got, ok)
	}
	long := Lease{ReleaseID: "d-1", Holder: strings.Repeat("h", 400), Until: t0}
	if s := long.String(); len(s) > 256 {
		t.Errorf("lease description is %d characters, over Lambda's 256", len(s))
	}
	for _, r := range []Released{
		{Version: "4", ReleaseID: "d-1", Holder: "ci", At: t0, Restored: true},
		{Version: "4", From: "3", ReleaseID: "d-1", Holder: "ci", At: t0},
		{Version: "3", From: "4", ReleaseID: "d-1", Holder: "ci", At: t0, Restored: true},
	} {
		if got, ok := ParseReleased(r.String()); !ok || !reflect.DeepEqual(got, r) {
			t.Errorf("ParseReleased(%q) = %+v %v", r.String(), got, ok)
		}
	}
	for _, d := range []string{"", "release 1.4.2", "safelambda release d-1 by x until tomorrow"} {
		if _, ok := ParseLease(d); ok {
			t.Errorf("ParseLease(%q) found a lease", d)
		}
	}
}

func TestLeaseIsRenewedAtEveryWriteAndClearedAtTheEnd(t *testing.T) {
	h := newHarness(t)
	h.engine.Holder = "ci@runner"
	linear, _ := ResolveSchedule(ScheduleSpec{Linear: &Interval{Percent: 50, Every: 2 * time.Minute}})
	res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	d := h.aws.descriptions
	if len(d) != 3 || d[2] != "safelambda released version 4 from 3 in d-test by ci@runner at 2025-06-01T12:02:00Z" {
		t.Fatalf("descriptions %q: want a lease at each of 2 writes, then the release's mark", d)
	}
	if _, ok := ParseLease(d[2]); ok {
		t.Error("the mark reads as a lease")
	}
	first, promote := leaseOf(t, d[0]), leaseOf(t, d[1])
	// Each write's lease covers the hold after it plus the slack.
	if first.ReleaseID != "d-test" || first.Holder != "ci@runner" || !first.Until.Equal(t0.Add(2*time.Minute+DefaultLeaseSlack)) {
		t.Errorf("first lease %+v", first)
	}
	if !promote.Until.Equal(t0.Add(2*time.Minute + DefaultLeaseSlack)) {
		t.Errorf("lease at promotion %+v, want renewed at 2m", promote)
	}
	if a, _ := h.aws.alias("live"); a.Description != d[2] {
		t.Errorf("alias description %q", a.Description)
	}
}

func TestLeaseClearedByThePromotionWhenNothingFollows(t *testing.T) {
	h := newHarness(t)
	res, err := h.run(release(func(r *Release) { r.Alarms = nil }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if d := h.aws.descriptions; len(d) != 2 || !strings.HasPrefix(d[1], "safelambda released version 4") || h.aws.count("UpdateAlias") != 2 {
		t.Errorf("descriptions %q, UpdateAlias %d: the promotion should clear the lease", d, h.aws.count("UpdateAlias"))
	}
}

func TestLeaseOfAnotherRelease(t *testing.T) {
	t.Run("a live lease refuses before anything changes", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions = h.aws.versions[:3]
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.aliases["live"].Description = Lease{ReleaseID: "d-other", Holder: "alice@laptop", Until: t0.Add(7 * time.Minute)}.String()
		res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256, r.PreTrafficHook = "", "h4", "smoke" }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		for _, want := range []string{
			"alias live is being released by d-other (run by alice@laptop) until 2025-06-01T12:07:00Z at the latest; nothing was changed",
			"its lease runs out in 7m0s",
		} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%s", want, err)
			}
		}
		if h.aws.count("PublishVersion")+h.aws.count("Invoke")+h.aws.count("UpdateAlias") != 0 {
			t.Errorf("publish %d invoke %d update %d", h.aws.count("PublishVersion"), h.aws.count("Invoke"), h.aws.count("UpdateAlias"))
		}
		h.wantAlias("3", w("4", 0.1))
	})
	t.Run("an expired lease is taken over and its split resumed", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.aliases["live"].Description = Lease{ReleaseID: "d-killed", Holder: "ci@runner", Until: t0.Add(-time.Second)}.String()
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("4", nil)
		if !h.hasEvent(EventWarning, "the lease of release d-killed (run by ci@runner) ran out at 2025-06-01T11:59:59Z") ||
			!h.hasEvent(EventShift, "resuming") {
			t.Errorf("timeline %v", res.Timeline)
		}
		// The repeated hold comes before any shift: the lease is taken first, covering it.
		if l := leaseOf(t, h.aws.descriptions[0]); l.ReleaseID != "d-test" || !l.Until.Equal(t0.Add(5*time.Minute+DefaultLeaseSlack)) {
			t.Errorf("first lease %+v", l)
		}
	})
	t.Run("a live lease whose process on this host has ended is taken over", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.aliases["live"].Description = Lease{ReleaseID: "d-killed", Holder: "ci@runner pid 4242", Until: t0.Add(10 * time.Minute)}.String()
		var asked []string
		h.engine.HolderGone = func(holder string) bool { asked = append(asked, holder); return true }
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("4", nil)
		if len(asked) != 1 || asked[0] != "ci@runner pid 4242" {
			t.Errorf("HolderGone asked about %q", asked)
		}
		if !h.hasEvent(EventWarning, "release d-killed (run by ci@runner pid 4242) holds the alias until 2025-06-01T12:10:00Z, but its process on this host has ended") {
			t.Errorf("timeline %v", res.Timeline)
		}
	})
	t.Run("another release taking the alias mid-release is named", func(t *testing.T) {
		h := newHarness(t)
		linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
		h.aws.onDescribe = func(e time.Duration) {
			if e == 30*time.Second {
				h.aws.setAlias("live", "3", w("5", 0.1))
				h.aws.mu.Lock()
				h.aws.aliases["live"].Description = Lease{ReleaseID: "d-flop", Holder: "bob@ci", Until: t0.Add(time.Hour)}.String()
				h.aws.mu.Unlock()
			}
		}
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if !strings.HasPrefix(err.Error(), "alias live was taken by release d-flop (run by bob@ci) while this release ran") ||
			!strings.Contains(err.Error(), "its own alias") {
			t.Errorf("error:\n%s", err)
		}
		h.wantAlias("3", w("5", 0.1))
	})
}

func TestLeaseDuringThePreTrafficHook(t *testing.T) {
	t.Run("written before the hook, cleared when it fails", func(t *testing.T) {
		h := newHarness(t)
		var during string
		h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
			a, _ := h.aws.alias("live")
			during = a.Description
			return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"no"}`)}, nil
		}
		res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if l := leaseOf(t, during); l.ReleaseID != "d-test" {
			t.Errorf("lease during the hook %+v", l)
		}
		if a, _ := h.aws.alias("live"); !strings.HasPrefix(a.Description, "safelambda restored version 3 in d-test") || h.aws.writes != 0 {
			t.Errorf("after the failure: description %q, routing writes %d", a.Description, h.aws.writes)
		}
		if !strings.Contains(err.Error(), "serves version 3 with no weights (unchanged)") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("a rollback clears it", func(t *testing.T) {
		h := newHarness(t)
		h.aws.alarms["orders-errors"] = stateAfter(time.Minute, "ALARM")
		res, _ := h.run(release())
		if a, _ := h.aws.alias("live"); res.Status != StatusRolledBack || !strings.HasPrefix(a.Description, "safelambda restored version 3 from 4 in d-test") {
			t.Errorf("status %s, description %q", res.Status, a.Description)
		}
	})
}

func TestCreateFindsTheAliasExists(t *testing.T) {
	h := newHarness(t)
	delete(h.aws.aliases, "live")
	h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
		h.aws.setAlias("live", "2", nil) // another resource on the same alias creates it
		return InvokeResult{Payload: []byte("null")}, nil
	}
	res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	for _, want := range []string{
		"alias live was created by someone else while this release ran (Lambda: alias already exists)",
		"did not exist at preflight but now serves 2 with no weights",
		"give each safelambda_deployment its own alias",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	if !errors.Is(err, ErrAlreadyExists) {
		t.Errorf("error does not wrap ErrAlreadyExists: %v", err)
	}
	h.wantAlias("2", nil)
}

func TestTransientWeights(t *testing.T) {
	t.Run("a rollback after promotion is not refused and ends with no weights", func(t *testing.T) {
		h := newHarness(t)
		h.aws.transient = 20 * time.Second
		h.aws.alarms["orders-errors"] = func(_ time.Duration, a *Alias) string {
			if a != nil && a.FunctionVersion == "4" {
				return "ALARM"
			}
			return "OK"
		}
		res, err := h.run(release())
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.clock.After(time.Minute) // let Lambda's own weights clear
		h.wantAlias("3", nil)
		if res.LiveVersion != "3" || len(res.LiveWeights) != 0 {
			t.Errorf("live %s %v", res.LiveVersion, res.LiveWeights)
		}
		// The rollback's verification waited for the weights of its own write to clear.
		if !h.hasEvent(EventRollback, "alias live serves 3 with no weights (verified)") || h.clock.elapsed() < 5*time.Minute+20*time.Second {
			t.Errorf("took %s, timeline %v", h.clock.elapsed(), res.Timeline)
		}
	})
	t.Run("refresh after a rollback waits them out too", func(t *testing.T) {
		h := newHarness(t)
		h.aws.transient = transientWaitLimit + inspectTransientLimit/2
		h.aws.alarms["orders-errors"] = func(_ time.Duration, a *Alias) string {
			if a != nil && a.FunctionVersion == "4" {
				return "ALARM"
			}
			return "OK"
		}
		res, _ := h.run(release(func(r *Release) { r.Schedule = Schedule{} }))
		if res.Status != StatusRolledBack {
			t.Fatalf("status %s", res.Status)
		}
		// Lambda's weights outlast the rollback's own wait: the rollback is still done,
		// and the weights it leaves are its own, not a split to report.
		if !h.hasEvent(EventRollback, "(verified)") || res.LiveVersion != "3" || len(res.LiveWeights) != 0 {
			t.Errorf("result %+v", res)
		}
		live, err := h.engine.Inspect(context.Background(), fnName, "live", Known{})
		if err != nil || live.Version != "3" || len(live.Weights) != 0 {
			t.Errorf("Inspect = %+v %v, want 3 with no weights", live, err)
		}
	})
	t.Run("refresh waits them out instead of reporting a split", func(t *testing.T) {
		h := newHarness(t)
		h.aws.transient = 10 * time.Second
		if _, err := h.run(release(func(r *Release) { r.Schedule = Schedule{}; r.Alarms = nil })); err != nil {
			t.Fatal(err)
		}
		live, err := h.engine.Inspect(context.Background(), fnName, "live", Known{Version: "4", CodeSha256: "h4"})
		if err != nil || live.Version != "4" || len(live.Weights) != 0 {
			t.Errorf("Inspect = %+v %v, want 4 with no weights", live, err)
		}
	})
	t.Run("weights on a finished release's version that outlast the bound are a split", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("2", 0.1))
		h.aws.aliases["live"].Description = Released{Version: "3", ReleaseID: "d-prev", Holder: "ci", At: t0}.String()
		res, err := h.run(release(func(r *Release) { r.Schedule = Schedule{} }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if got := h.shapes(); !reflect.DeepEqual(got, []string{"3 with no weights", "4 with no weights"}) || h.clock.elapsed() != transientWaitLimit {
			t.Errorf("updates %q after %s", got, h.clock.elapsed())
		}
	})
	t.Run("weights that do not clear are another writer's", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "4", w("3", 0.3))
		h.aws.aliases["live"].Description = Released{Version: "4", ReleaseID: "d-prev", Holder: "ci", At: t0}.String()
		live, err := h.engine.Inspect(context.Background(), fnName, "live", Known{Version: "4", CodeSha256: "h4"})
		if err != nil || !reflect.DeepEqual(live.Weights, w("3", 0.3)) || h.clock.elapsed() != inspectTransientLimit {
			t.Errorf("Inspect = %+v %v after %s", live, err, h.clock.elapsed())
		}
	})
}

func TestWeightsStoredInSinglePrecisionAreNotDrift(t *testing.T) {
	h := newHarness(t)
	h.aws.float32Weights = true
	custom, _ := ResolveSchedule(ScheduleSpec{Steps: []Step{{0.1, time.Minute}, {33.3, time.Minute}}})
	res, err := h.run(release(func(r *Release) { r.Schedule = custom }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	a, _ := h.aws.alias("live")
	if got := h.shapes(); len(got) != 3 || a.FunctionVersion != "4" || float64(float32(0.333)) == 0.333 {
		t.Errorf("updates %q, alias on %s", got, a.FunctionVersion)
	}
}

func TestRoutingConstraints(t *testing.T) {
	role := func(v, r string) func(*harness) {
		return func(h *harness) {
			for i := range h.aws.versions {
				if h.aws.versions[i].Version == v {
					h.aws.versions[i].Role = r
				}
			}
		}
	}
	tests := []struct {
		name  string
		setup func(*harness)
		r     Release
		want  string
	}{
		{"execution roles differ", role("4", "arn:aws:iam::123456789012:role/new"), release(func(r *Release) { r.PreTrafficHook = "smoke" }),
			"version 4 has execution role arn:aws:iam::123456789012:role/new, not (none) as version 3 (live on alias live) has"},
		{"dead-letter targets differ", func(h *harness) { h.aws.versions[2].DeadLetterTarget = "arn:aws:sqs:eu-central-1:123456789012:dlq" },
			release(), "version 4 has dead-letter target (none), not arn:aws:sqs:eu-central-1:123456789012:dlq"},
		{"the alias serves $LATEST", func(h *harness) { h.aws.setAlias("live", "$LATEST", nil) }, release(),
			"alias live serves $LATEST, and Lambda cannot route weighted traffic between $LATEST and a version"},
		{"$LATEST to publish has another role", func(h *harness) {
			h.aws.versions = h.aws.versions[:3]
			h.aws.latest.Role = "arn:aws:iam::123456789012:role/new"
		}, release(func(r *Release) { r.Version, r.CodeSha256 = "", "h4" }),
			"$LATEST (the version to publish) has execution role arn:aws:iam::123456789012:role/new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(h)
			res, err := h.run(tt.r)
			if err == nil || res.Status != StatusFailed {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "a gradual release cannot start; nothing was changed") ||
				!strings.Contains(err.Error(), "AllAtOnce") {
				t.Errorf("error:\n%s\nwant %q", err, tt.want)
			}
			if h.aws.count("Invoke")+h.aws.count("PublishVersion")+h.aws.count("UpdateAlias") != 0 {
				t.Errorf("invoke %d publish %d update %d", h.aws.count("Invoke"), h.aws.count("PublishVersion"), h.aws.count("UpdateAlias"))
			}
		})
	}
	t.Run("AllAtOnce still works", func(t *testing.T) {
		h := newHarness(t)
		role("4", "arn:aws:iam::123456789012:role/new")(h)
		res, err := h.run(release(func(r *Release) { r.Schedule = Schedule{} }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("4", nil)
	})
}

func TestPublishWhileTheFunctionUpdates(t *testing.T) {
	codeMode := func(r *Release) { r.Version, r.CodeSha256, r.Schedule = "", "h4", Schedule{} }
	t.Run("waits for the update to finish", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions = h.aws.versions[:3]
		h.aws.latestStatus = func(e time.Duration) string {
			if e < 9*time.Second {
				return "InProgress"
			}
			return "Successful"
		}
		h.aws.publishErr = func(int) error {
			if h.aws.latestStatus(h.clock.elapsed()) == "InProgress" {
				return fmt.Errorf("ResourceConflictException: The operation cannot be performed at this time. An update is in progress for resource: %s: %w", fnARN, ErrUpdateInProgress)
			}
			return nil
		}
		res, err := h.run(release(codeMode))
		if err != nil || res.Status != StatusSucceeded || res.TargetVersion != "4" {
			t.Fatalf("status %s target %s err %v", res.Status, res.TargetVersion, err)
		}
		if h.aws.count("PublishVersion") != 1 || h.clock.elapsed() != 10*time.Second {
			t.Errorf("%d publishes after %s, want 1 after 10s (polled every 2s)", h.aws.count("PublishVersion"), h.clock.elapsed())
		}
	})
	t.Run("retries the 409 with backoff", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions = h.aws.versions[:3]
		h.aws.publishErr = func(n int) error {
			if n <= 2 {
				return fmt.Errorf("ResourceConflictException: An update is in progress: %w", ErrUpdateInProgress)
			}
			return nil
		}
		res, err := h.run(release(codeMode))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if h.aws.count("PublishVersion") != 3 || h.clock.elapsed() != 3*time.Second {
			t.Errorf("%d publishes after %s, want 3 after 1s + 2s", h.aws.count("PublishVersion"), h.clock.elapsed())
		}
	})
	t.Run("an update that never ends fails within the bound", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions = h.aws.versions[:3]
		h.aws.latestStatus = func(time.Duration) string { return "InProgress" }
		res, err := h.run(release(codeMode))
		if err == nil || res.Status != StatusFailed || !strings.Contains(err.Error(), "still InProgress after 5m0s") {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if h.aws.count("PublishVersion") != 0 || h.clock.elapsed() != lambdaWaitLimit {
			t.Errorf("%d publishes, took %s", h.aws.count("PublishVersion"), h.clock.elapsed())
		}
	})
}

func TestInactiveAndFailedVersions(t *testing.T) {
	t.Run("an Inactive version with the hash is not reused: $LATEST is published anew", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions[1].CodeSha256, h.aws.versions[1].State = "hA", "Inactive"
		h.aws.latestSha = "hA"
		res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256, r.Schedule = "", "hA", Schedule{} }))
		if err != nil || res.TargetVersion != "5" {
			t.Fatalf("target %s err %v", res.TargetVersion, err)
		}
		if !h.hasEvent(EventWarning, "cannot take traffic: 2 (Inactive); publishing $LATEST anew") {
			t.Errorf("timeline %v", res.Timeline)
		}
	})
	t.Run("an Inactive version to release says how to wake it", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions[3].State = "Inactive"
		_, err := h.run(release())
		if err == nil || !strings.Contains(err.Error(), "version 4 is Inactive, not Active") ||
			!strings.Contains(err.Error(), "aws lambda invoke --function-name orders-api:4") {
			t.Errorf("error:\n%v", err)
		}
	})
	t.Run("a Failed version needs a new one", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions[3].State = "Failed"
		_, err := h.run(release())
		if err == nil || !strings.Contains(err.Error(), "version 4 is Failed, not Active") || !strings.Contains(err.Error(), "release a new version") {
			t.Errorf("error:\n%v", err)
		}
	})
}

func TestHooksRunOnce(t *testing.T) {
	t.Run("an answer that was lost is not invoked again", func(t *testing.T) {
		h := newHarness(t)
		h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
			return InvokeResult{}, fmt.Errorf("read tcp: connection reset by peer: %w", ErrOutcomeUnknown)
		}
		res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
		if err == nil || res.Status != StatusFailed || h.aws.count("Invoke") != 1 {
			t.Fatalf("status %s, %d invokes, err %v", res.Status, h.aws.count("Invoke"), err)
		}
		if !strings.Contains(err.Error(), "the hook may have run, and it is not invoked twice") || !errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("error:\n%s", err)
		}
		h.wantAlias("3", nil)
	})
	t.Run("throttling is retried: a throttled call never ran", func(t *testing.T) {
		h := newHarness(t)
		h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
			if h.aws.count("Invoke") <= 2 {
				return InvokeResult{}, fmt.Errorf("TooManyRequestsException: Rate Exceeded.: %w", ErrThrottled)
			}
			return InvokeResult{Payload: []byte(`{"status":"Succeeded"}`)}, nil
		}
		res, err := h.run(release(func(r *Release) { r.PreTrafficHook, r.Schedule = "smoke", Schedule{} }))
		if err != nil || res.Status != StatusSucceeded || h.aws.count("Invoke") != 3 {
			t.Fatalf("status %s, %d invokes, err %v", res.Status, h.aws.count("Invoke"), err)
		}
		if h.clock.elapsed() != 6*time.Second {
			t.Errorf("took %s, want 2s + 4s of backoff", h.clock.elapsed())
		}
	})
	t.Run("a long reason is cut everywhere", func(t *testing.T) {
		h := newHarness(t)
		long := strings.Repeat("x", 1<<20)
		h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"` + long + `"}`)}, nil
		}
		res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
		if err == nil {
			t.Fatal("no error")
		}
		if n := len(err.Error()); n > 4000 || !strings.Contains(err.Error(), fmt.Sprintf("… (%d bytes cut)", 1<<20+len("status Failed: ")-maxHookText)) {
			t.Errorf("error is %d bytes:\n%.600s", n, err)
		}
		if len(res.Message) > 1000 {
			t.Errorf("message is %d bytes", len(res.Message))
		}
		for _, ev := range res.Timeline {
			if len(ev.Detail) > 1000 {
				t.Errorf("timeline event of %d bytes", len(ev.Detail))
			}
		}
	})
}

func TestRollbackAttemptsHaveTheirOwnDeadline(t *testing.T) {
	h := newHarness(t)
	h.aws.alarms["orders-errors"] = stateAfter(time.Minute, "ALARM")
	res, _ := h.run(release())
	// The forward writes run on the caller's context (no deadline here); the rollback's
	// write on its own.
	if res.Status != StatusRolledBack || len(h.aws.deadlines) != 1 {
		t.Fatalf("status %s, deadlines %v", res.Status, h.aws.deadlines)
	}
	if d := h.aws.deadlines[0]; d > rollbackAttemptTimeout {
		t.Errorf("the rollback write had %s, want at most %s: one call must not use the rollback's whole budget", d, rollbackAttemptTimeout)
	}
}

func TestIgnorePollAlarmFailureForgivesOnlyReads(t *testing.T) {
	t.Run("a deleted alarm does not hide one in ALARM", func(t *testing.T) {
		h := newHarness(t)
		h.aws.alarms["orders-latency"] = stateAfter(40*time.Second, "ALARM")
		h.aws.onDescribe = func(e time.Duration) {
			if e >= 30*time.Second {
				h.aws.mu.Lock()
				delete(h.aws.alarms, "orders-errors")
				h.aws.mu.Unlock()
			}
		}
		res, err := h.run(release(func(r *Release) {
			r.Alarms, r.IgnorePollAlarmFailure = []string{"orders-errors", "orders-latency"}, true
		}))
		if err == nil || res.Status != StatusRolledBack || !strings.HasPrefix(err.Error(), `alarm "orders-latency" is in ALARM at step 1 of 1`) {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if !h.hasEvent(EventWarning, `alarm "orders-errors" no longer exists`) || h.clock.elapsed() != 40*time.Second {
			t.Errorf("took %s, timeline %v", h.clock.elapsed(), res.Timeline)
		}
	})
	t.Run("a batch that cannot be read does not hide another batch", func(t *testing.T) {
		h := newHarness(t)
		var alarms []string
		for i := range 150 {
			n := fmt.Sprintf("a-%03d", i)
			alarms = append(alarms, n)
			h.aws.alarms[n] = always("OK")
		}
		h.aws.alarms["a-120"] = stateAfter(20*time.Second, "ALARM")
		h.aws.describeErr = func(e time.Duration) error {
			if e >= 10*time.Second && h.aws.count("DescribeAlarms")%2 == 1 {
				return errors.New("AccessDenied")
			}
			return nil
		}
		res, err := h.run(release(func(r *Release) { r.Alarms, r.IgnorePollAlarmFailure = alarms, true }))
		if err == nil || res.Status != StatusRolledBack || !strings.Contains(err.Error(), `alarm "a-120" is in ALARM`) {
			t.Fatalf("status %s err %v", res.Status, err)
		}
	})
}

func TestTimelineSaysPublishedOnce(t *testing.T) {
	h := newHarness(t)
	h.aws.versions = h.aws.versions[:3]
	h.aws.alarms["orders-errors"] = stateAfter(time.Second, "ALARM")
	_, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", "h4" }))
	if err == nil || !strings.Contains(err.Error(), "+0s published version 4 from $LATEST (code_sha256 h4)") ||
		strings.Contains(err.Error(), "published published") {
		t.Errorf("error:\n%v", err)
	}
}

func TestRestore(t *testing.T) {
	restore := func(h *harness, req RestoreRequest) (Restored, error) {
		h.t.Helper()
		if req.Function == "" {
			req.Function, req.Alias = fnName, "live"
		}
		return h.engine.Restore(context.Background(), req)
	}
	t.Run("a split alias goes back to its primary", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.2))
		res, err := restore(h, RestoreRequest{Alarms: []string{"orders-errors"}})
		if err != nil || res.Status != StatusRolledBack || res.TargetVersion != "3" || res.PreviousVersion != "3" {
			t.Fatalf("%+v %v", res, err)
		}
		h.wantAlias("3", nil)
		if res.Message != "restored alias live to version 3 with no weights (it served 3 with 20% on 4); no alarm is in ALARM" {
			t.Errorf("message %q", res.Message)
		}
		if res.WasVersion != "3" || !reflect.DeepEqual(res.WasWeights, w("4", 0.2)) || res.AlarmsRead != 1 || len(res.Firing) != 0 || res.AlarmsErr != nil {
			t.Errorf("was %s %v, alarms read %d firing %v err %v", res.WasVersion, res.WasWeights, res.AlarmsRead, res.Firing, res.AlarmsErr)
		}
	})
	t.Run("an alias on one version goes back to the newest older one", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "4", nil)
		h.aws.alarms["orders-errors"] = always("ALARM")
		res, err := restore(h, RestoreRequest{Alarms: []string{"orders-errors"}})
		if err != nil || res.Status != StatusRolledBack || res.LiveVersion != "3" || res.LiveCodeSha256 != "h3" {
			t.Fatalf("%+v %v", res, err)
		}
		if !strings.Contains(res.Message, `alarm "orders-errors" is in ALARM`) {
			t.Errorf("message %q", res.Message)
		}
		if res.WasVersion != "4" || len(res.WasWeights) != 0 || len(res.Firing) != 1 || res.Firing[0].Name != "orders-errors" {
			t.Errorf("was %s %v, firing %v", res.WasVersion, res.WasWeights, res.Firing)
		}
	})
	t.Run("a version asked for, over a release in flight", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.aliases["live"].Description = Lease{ReleaseID: "d-other", Holder: "ci", Until: t0.Add(time.Hour)}.String()
		res, err := restore(h, RestoreRequest{Version: "2"})
		if err != nil || res.Status != StatusRolledBack {
			t.Fatalf("%+v %v", res, err)
		}
		h.wantAlias("2", nil)
		if a, _ := h.aws.alias("live"); !strings.HasPrefix(a.Description, "safelambda restored version 2") || !h.hasEvent(EventWarning, "release d-other") {
			t.Errorf("description %q, timeline %v", a.Description, res.Timeline)
		}
	})
	t.Run("already there", func(t *testing.T) {
		h := newHarness(t)
		res, err := restore(h, RestoreRequest{Version: "3"})
		if err != nil || res.Status != StatusNoChange || h.aws.count("UpdateAlias") != 0 {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("throttled until the deadline says what is live", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.1))
		h.aws.beforeUpdate = func(int, AliasUpdate) error { return fmt.Errorf("TooManyRequestsException: %w", ErrThrottled) }
		res, err := restore(h, RestoreRequest{Timeout: 30 * time.Second})
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("%+v %v", res, err)
		}
		if !strings.Contains(err.Error(), "could not restore alias live to version 3") ||
			!strings.Contains(err.Error(), "The alias live now serves version 3 with 10% on 4.") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("a missing alias", func(t *testing.T) {
		h := newHarness(t)
		_, err := restore(h, RestoreRequest{Function: fnName, Alias: "gone"})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("err %v", err)
		}
	})
}

func TestFlipFlopBetweenTwoConfigurations(t *testing.T) {
	h := newHarness(t)
	// Another configuration released version 3 onto the alias since this one released 4.
	h.aws.aliases["live"].Description = Released{Version: "3", ReleaseID: "d-b", Holder: "bob@ci", At: t0.Add(-time.Hour)}.String()
	res, err := h.run(release(func(r *Release) { r.LastDeploymentID = "d-a"; r.Schedule = Schedule{} }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	want := "alias live served version 3, put there by release d-b (run by bob@ci) at 2025-06-01T11:00:00Z, not by this configuration's last release d-a"
	if !strings.Contains(res.Message, want) || !h.hasEvent(EventWarning, want) {
		t.Errorf("message %q", res.Message)
	}
	// Its own last release is no flip-flop.
	h = newHarness(t)
	h.aws.aliases["live"].Description = Released{Version: "3", ReleaseID: "d-a", Holder: "alice", At: t0}.String()
	res, _ = h.run(release(func(r *Release) { r.LastDeploymentID = "d-a" }))
	if strings.Contains(res.Message, "note:") {
		t.Errorf("message %q", res.Message)
	}
	// Nor is the mark of its last successful release when a release failed since without
	// moving traffic (state's last release is the failed one; the alias kept the mark).
	h = newHarness(t)
	h.aws.aliases["live"].Description = Released{Version: "3", ReleaseID: "d-ok", Holder: "alice", At: t0}.String()
	res, _ = h.run(release(func(r *Release) { r.LastDeploymentID, r.LastReleasedID = "d-failed", "d-ok" }))
	if res.Status != StatusSucceeded || strings.Contains(res.Message, "note:") || h.hasEvent(EventWarning, "each apply undoes the other's") {
		t.Errorf("status %s message %q", res.Status, res.Message)
	}
}

func TestOwnLeaseOfTheLastReleaseIsTakenOver(t *testing.T) {
	h := newHarness(t)
	// The last release of this configuration failed and could not finish its rollback.
	h.aws.setAlias("live", "3", w("4", 0.1))
	h.aws.aliases["live"].Description = Lease{ReleaseID: "d-last", Holder: "ci", Until: t0.Add(time.Hour)}.String()
	res, err := h.run(release(func(r *Release) { r.LastDeploymentID = "d-last" }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if !h.hasEvent(EventWarning, "still holds the lease of this configuration's last release d-last; taking it over") {
		t.Errorf("timeline %v", res.Timeline)
	}
}

func TestCreateAliasErrorIsNoRollback(t *testing.T) {
	h := newHarness(t)
	delete(h.aws.aliases, "live")
	h.aws.onCreate = func() error { return errors.New("ServiceException: internal error") }
	res, err := h.run(release())
	if err == nil || res.Status != StatusFailed || h.aws.count("DeleteAlias") != 0 {
		t.Fatalf("status %s, deletes %d, err %v", res.Status, h.aws.count("DeleteAlias"), err)
	}
	if !strings.Contains(err.Error(), "could not create alias live on version 4: ServiceException") ||
		!strings.Contains(err.Error(), "The alias live does not exist (unchanged).") {
		t.Errorf("error:\n%s", err)
	}
}

func TestSplitRestoredOntoTheTargetLeavesNoLease(t *testing.T) {
	h := newHarness(t)
	h.aws.splitByKilledRelease("live", "4", w("2", 0.1))
	res, err := h.run(release())
	if err != nil || res.Status != StatusNoChange {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	a, _ := h.aws.alias("live")
	if _, leased := ParseLease(a.Description); leased || len(a.Weights) != 0 {
		t.Errorf("alias %+v", a)
	}
}

func TestLambdaRefusesTheWeights(t *testing.T) {
	h := newHarness(t)
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if len(u.Weights) > 0 {
			return fmt.Errorf("InvalidParameterValueException: Specified versions must be associated with the same execution role: %w", ErrInvalidParameter)
		}
		return nil
	}
	res, err := h.run(release())
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	for _, want := range []string{
		"Lambda refused to route traffic between version 3 and version 4 (shift at step 1 of 1 (10% on version 4)): InvalidParameterValueException: Specified versions must be associated with the same execution role",
		"serves version 3 with no weights (unchanged)",
		"AllAtOnce",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	// Refused, so it never landed: no rollback write.
	if h.aws.writes != 0 || h.hasEvent(EventRollback, "rolling back") {
		t.Errorf("writes %d, timeline %v", h.aws.writes, res.Timeline)
	}
}
