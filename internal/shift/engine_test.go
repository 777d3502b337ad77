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

func w(version string, p float64) map[string]float64 { return map[string]float64{version: p} }

// shapes lists the (version, weights) of every UpdateAlias the fake accepted.
func (h *harness) shapes() []string {
	var out []string
	for _, u := range h.aws.updates {
		out = append(out, aliasState(u.FunctionVersion, u.Weights))
	}
	return out
}

func TestRunSucceeds(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Linear: &Interval{Percent: 30, Every: time.Minute}})
	custom, _ := ResolveSchedule(ScheduleSpec{Steps: []Step{{0.5, time.Minute}, {1, 2 * time.Minute}, {25, 90 * time.Second}}})
	tests := []struct {
		name     string
		setup    func(*harness)
		r        Release
		updates  []string
		previous string
		elapsed  time.Duration
		polls    int // DescribeAlarms calls
	}{
		{
			name:     "canary",
			r:        release(),
			updates:  []string{"3 with 10% on 4", "4 with no weights"},
			previous: "3",
			elapsed:  5 * time.Minute,
			polls:    1 + 31 + 1, // preflight, every 10s of the hold from 0s to 300s, after promotion
		},
		{
			name:     "linear 30%",
			r:        release(func(r *Release) { r.Schedule = linear }),
			updates:  []string{"3 with 30% on 4", "3 with 60% on 4", "3 with 90% on 4", "4 with no weights"},
			previous: "3",
			elapsed:  3 * time.Minute,
			polls:    1 + 3*7 + 1,
		},
		{
			name:     "steps with fractions",
			r:        release(func(r *Release) { r.Schedule = custom }),
			updates:  []string{"3 with 0.5% on 4", "3 with 1% on 4", "3 with 25% on 4", "4 with no weights"},
			previous: "3",
			elapsed:  4*time.Minute + 30*time.Second,
			polls:    1 + 7 + 13 + 10 + 1,
		},
		{
			name:     "all at once",
			r:        release(func(r *Release) { r.Schedule = Schedule{} }),
			updates:  []string{"4 with no weights"},
			previous: "3",
			polls:    2,
		},
		{
			name:     "no alarms holds without polling",
			r:        release(func(r *Release) { r.Alarms = nil }),
			updates:  []string{"3 with 10% on 4", "4 with no weights"},
			previous: "3",
			elapsed:  5 * time.Minute,
		},
		{
			name:     "first release creates the alias directly",
			setup:    func(h *harness) { delete(h.aws.aliases, "live") },
			r:        release(func(r *Release) { r.PreTrafficHook, r.PostTrafficHook = "smoke", "e2e" }),
			updates:  nil,
			previous: "",
			polls:    2, // preflight, after creation
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			res, err := h.run(tt.r)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if res.Status != StatusSucceeded {
				t.Fatalf("status %s", res.Status)
			}
			h.wantAlias("4", nil)
			if got := h.shapes(); !reflect.DeepEqual(got, tt.updates) {
				t.Errorf("updates %q, want %q", got, tt.updates)
			}
			if res.PreviousVersion != tt.previous || res.TargetVersion != "4" {
				t.Errorf("previous %q target %q", res.PreviousVersion, res.TargetVersion)
			}
			if !res.AliasExists || res.LiveVersion != "4" || len(res.LiveWeights) != 0 || res.LiveCodeSha256 != "h4" ||
				res.AliasARN != fnARN+":live" {
				t.Errorf("live: %+v", res)
			}
			if got := h.clock.elapsed(); got != tt.elapsed {
				t.Errorf("took %s of fake time, want %s", got, tt.elapsed)
			}
			if got := h.aws.count("DescribeAlarms"); got != tt.polls {
				t.Errorf("%d DescribeAlarms calls, want %d", got, tt.polls)
			}
			if h.aws.count("PublishVersion") != 0 {
				t.Error("published in version mode")
			}
			if res.DeploymentID != "d-test" || res.StartedAt != t0 || res.FinishedAt != t0.Add(tt.elapsed) {
				t.Errorf("id %q, started %s, finished %s", res.DeploymentID, res.StartedAt, res.FinishedAt)
			}
			if len(h.events) != len(res.Timeline) || h.events[len(h.events)-1].Kind != EventDone {
				t.Errorf("observer saw %d events, timeline has %d", len(h.events), len(res.Timeline))
			}
			if !strings.Contains(res.Message, "released version 4") {
				t.Errorf("message %q", res.Message)
			}
		})
	}
}

func TestRunFirstReleaseSkipsTheSchedule(t *testing.T) {
	h := newHarness(t)
	delete(h.aws.aliases, "live")
	res, err := h.run(release())
	if err != nil {
		t.Fatal(err)
	}
	if h.aws.count("CreateAlias") != 1 || len(h.aws.updates) != 0 || h.clock.elapsed() != 0 {
		t.Errorf("create %d, updates %q, took %s", h.aws.count("CreateAlias"), h.shapes(), h.clock.elapsed())
	}
	if !h.hasEvent(EventPromote, "first release") || res.PreviousVersion != "" {
		t.Errorf("timeline %v", res.Timeline)
	}
}

func TestRunCodeSha256(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(*fakeAWS)
		sha       string
		target    string
		published int
		event     string
	}{
		{"publishes $LATEST", func(f *fakeAWS) { f.versions = f.versions[:3] }, "h4", "4", 1, "version 4 from $LATEST"},
		{"reuses the newest version with the hash", func(f *fakeAWS) {
			f.versions[0].CodeSha256, f.versions[1].CodeSha256, f.versions[3].CodeSha256 = "hA", "hA", "hA"
			f.latestSha = "hA"
		}, "hA", "4", 0, "version 4 reused"},
		{"reuses an older version", func(f *fakeAWS) {
			f.versions[1].CodeSha256 = "hA"
			f.latestSha = "hB"
		}, "hA", "2", 0, "version 2 reused"},
		{"waits for a pending version", func(f *fakeAWS) { f.versions = f.versions[:3]; f.publishState = "Pending" }, "h4", "4", 1, "version 4 from $LATEST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(h.aws)
			res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256, r.Schedule = "", tt.sha, Schedule{} }))
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != StatusSucceeded || res.TargetVersion != tt.target {
				t.Fatalf("status %s target %s", res.Status, res.TargetVersion)
			}
			h.wantAlias(tt.target, nil)
			if got := h.aws.count("PublishVersion"); got != tt.published {
				t.Errorf("%d publishes, want %d", got, tt.published)
			}
			if !h.hasEvent(EventPublished, tt.event) {
				t.Errorf("no %q event in %v", tt.event, res.Timeline)
			}
		})
	}
}

func TestRunCodeSha256ServedIsNoChange(t *testing.T) {
	h := newHarness(t)
	h.aws.versions[3].CodeSha256 = "h3" // a newer version with the same code: not released
	res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", "h3" }))
	if err != nil || res.Status != StatusNoChange || res.TargetVersion != "3" {
		t.Fatalf("status %s target %s err %v", res.Status, res.TargetVersion, err)
	}
	if h.aws.writes != 0 || h.aws.count("PublishVersion") != 0 {
		t.Errorf("writes %d publishes %d", h.aws.writes, h.aws.count("PublishVersion"))
	}
}

func TestRunHashMismatch(t *testing.T) {
	t.Run("a hash that matches nothing says so", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions, h.aws.latestSha = h.aws.versions[:3], "h5"
		res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", "h4" }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		want := "code_sha256 h4 matches no published version of orders-api, and $LATEST has code_sha256 h5; nothing was changed"
		if !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "changed under the release") ||
			!strings.Contains(err.Error(), "filebase64sha256") {
			t.Errorf("error:\n%s", err)
		}
		if h.aws.count("PublishVersion") != 0 || h.aws.writes != 0 || len(h.aws.versionNumbers()) != 3 {
			t.Errorf("publishes %d writes %d", h.aws.count("PublishVersion"), h.aws.writes)
		}
	})
	t.Run("$LATEST changed between the read and the publish", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions = h.aws.versions[:3]
		h.aws.beforePublish = func() { h.aws.latestSha = "h5" }
		res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", "h4" }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		for _, want := range []string{"$LATEST changed under the release", "published version 4 has code_sha256 h5, not h4", "nothing else was changed"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%s", want, err)
			}
		}
		if h.aws.writes != 0 || h.aws.count("Invoke") != 0 {
			t.Errorf("writes %d invokes %d", h.aws.writes, h.aws.count("Invoke"))
		}
		h.wantAlias("3", nil)
		if res.LiveVersion != "3" || res.TargetVersion != "" {
			t.Errorf("live %s target %s", res.LiveVersion, res.TargetVersion)
		}
	})
	t.Run("AWS refuses the precondition as InvalidParameterValue", func(t *testing.T) {
		h := newHarness(t)
		h.aws.versions, h.aws.enforceSha = h.aws.versions[:3], true
		h.aws.beforePublish = func() { h.aws.latestSha = "h5" }
		_, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", "h4" }))
		if err == nil || !strings.HasPrefix(err.Error(), "$LATEST changed under the release: AWS refused to publish it") ||
			!errors.Is(err, ErrInvalidParameter) || len(h.aws.versionNumbers()) != 3 {
			t.Errorf("err %v, versions %v", err, h.aws.versionNumbers())
		}
	})
}

func TestRunNoChange(t *testing.T) {
	h := newHarness(t)
	h.aws.setAlias("live", "4", nil)
	res, err := h.run(release(func(r *Release) { r.PreTrafficHook, r.PostTrafficHook = "smoke", "e2e" }))
	if err != nil || res.Status != StatusNoChange {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if h.aws.writes != 0 || h.aws.count("Invoke") != 0 || h.clock.elapsed() != 0 {
		t.Errorf("writes %d invokes %d took %s", h.aws.writes, h.aws.count("Invoke"), h.clock.elapsed())
	}
	if res.LiveVersion != "4" || res.PreviousVersion != "4" || !strings.Contains(res.Message, "already serves version 4") {
		t.Errorf("%+v", res)
	}
}

func TestRunAlarmTrips(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	servesTarget := func(_ time.Duration, a *Alias) string {
		if a != nil && a.FunctionVersion == "4" {
			return "ALARM"
		}
		return "OK"
	}
	tests := []struct {
		name    string
		setup   func(*harness)
		r       Release
		cause   string
		updates []string
		at      time.Duration
	}{
		{
			name:    "during the canary hold",
			setup:   func(h *harness) { h.aws.alarms["orders-errors"] = stateAfter(90*time.Second, "ALARM") },
			r:       release(),
			cause:   `alarm "orders-errors" is in ALARM at step 1 of 1 (10% on version 4)`,
			updates: []string{"3 with 10% on 4", "3 with no weights"},
			at:      90 * time.Second,
		},
		{
			name:    "at step 3 of a linear schedule",
			setup:   func(h *harness) { h.aws.alarms["orders-errors"] = stateAfter(150*time.Second, "ALARM") },
			r:       release(func(r *Release) { r.Schedule = linear }),
			cause:   `alarm "orders-errors" is in ALARM at step 3 of 9 (30% on version 4)`,
			updates: []string{"3 with 10% on 4", "3 with 20% on 4", "3 with 30% on 4", "3 with no weights"},
			at:      150 * time.Second,
		},
		{
			name: "second of two alarms",
			setup: func(h *harness) {
				h.aws.alarms["orders-latency"] = stateAfter(20*time.Second, "ALARM")
			},
			r:       release(func(r *Release) { r.Alarms = []string{"orders-errors", "orders-latency"} }),
			cause:   `alarm "orders-latency" is in ALARM at step 1 of 1`,
			updates: []string{"3 with 10% on 4", "3 with no weights"},
			at:      20 * time.Second,
		},
		{
			name:    "after promotion",
			setup:   func(h *harness) { h.aws.alarms["orders-errors"] = servesTarget },
			r:       release(),
			cause:   `alarm "orders-errors" is in ALARM after promotion (100% on version 4)`,
			updates: []string{"3 with 10% on 4", "4 with no weights", "3 with no weights"},
			at:      5 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.setup(h)
			res, err := h.run(tt.r)
			if err == nil || res.Status != StatusRolledBack {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			h.wantAlias("3", nil)
			if got := h.shapes(); !reflect.DeepEqual(got, tt.updates) {
				t.Errorf("updates %q, want %q", got, tt.updates)
			}
			lines := strings.Split(err.Error(), "\n")
			if !strings.HasPrefix(lines[0], tt.cause) {
				t.Errorf("first line %q, want %q", lines[0], tt.cause)
			}
			for _, want := range []string{
				"Reason: orders-",
				"The alias live now serves version 3 with no weights (rolled back).",
				"Timeline:\n  +0s preflight ok",
				"trip " + strings.TrimPrefix(tt.cause, ""),
			} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q:\n%s", want, err)
				}
			}
			if h.clock.elapsed() != tt.at {
				t.Errorf("ended at %s, want %s", h.clock.elapsed(), tt.at)
			}
			if res.LiveVersion != "3" || len(res.LiveWeights) != 0 || res.PreviousVersion != "3" || res.DeletedVersions != nil {
				t.Errorf("result %+v", res)
			}
			if !strings.HasPrefix(res.Message, tt.cause) {
				t.Errorf("message %q", res.Message)
			}
		})
	}
}

func TestRunAlarmAfterFirstReleaseDeletesAlias(t *testing.T) {
	h := newHarness(t)
	delete(h.aws.aliases, "live")
	h.aws.alarms["orders-errors"] = func(_ time.Duration, a *Alias) string {
		if a != nil {
			return "ALARM"
		}
		return "OK"
	}
	res, err := h.run(release())
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if _, ok := h.aws.alias("live"); ok || res.AliasExists {
		t.Error("alias still exists")
	}
	if !strings.Contains(err.Error(), "after creating the alias (100% on version 4)") ||
		!strings.Contains(err.Error(), "the first release created it and the rollback deleted it") {
		t.Errorf("error:\n%s", err)
	}
}

func TestRunAlarmAlreadyInAlarm(t *testing.T) {
	h := newHarness(t)
	h.aws.versions = h.aws.versions[:3]
	h.aws.alarms["orders-errors"] = always("ALARM")
	res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256, r.PreTrafficHook = "", "h4", "smoke" }))
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if !strings.HasPrefix(err.Error(), `alarm "orders-errors" is already in ALARM before the release started; nothing was changed`) ||
		!strings.Contains(err.Error(), "ignore_alarms = true") {
		t.Errorf("error:\n%s", err)
	}
	if h.aws.count("PublishVersion") != 0 || h.aws.writes != 0 || h.aws.count("Invoke") != 0 {
		t.Errorf("publish %d writes %d invokes %d", h.aws.count("PublishVersion"), h.aws.writes, h.aws.count("Invoke"))
	}
	if !strings.Contains(err.Error(), "The alias live now serves version 3 with no weights (unchanged).") {
		t.Errorf("error:\n%s", err)
	}
}

func TestRunMissingAlarms(t *testing.T) {
	h := newHarness(t)
	_, err := h.run(release(func(r *Release) { r.Alarms = []string{"orders-errors", "typo-1", "typo-2"} }))
	if err == nil || !strings.HasPrefix(err.Error(), `alarms "typo-1", "typo-2" do not exist; nothing was changed`) {
		t.Fatalf("err %v", err)
	}
	if !errors.Is(err, ErrNotFound) || h.aws.writes != 0 {
		t.Errorf("errors.Is(ErrNotFound) false or writes %d", h.aws.writes)
	}
}

func TestRunInsufficientDataDoesNotTrip(t *testing.T) {
	h := newHarness(t)
	h.aws.alarms["orders-errors"] = always("INSUFFICIENT_DATA")
	res, err := h.run(release())
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if !h.hasEvent(EventPoll, "1 INSUFFICIENT_DATA") {
		t.Errorf("no poll event shows INSUFFICIENT_DATA")
	}
}

func TestRunAlarmReadFailure(t *testing.T) {
	failFrom := func(at time.Duration) func(time.Duration) error {
		return func(e time.Duration) error {
			if e >= at {
				return fmt.Errorf("AccessDenied: not authorized to perform cloudwatch:DescribeAlarms")
			}
			return nil
		}
	}
	t.Run("fails and rolls back", func(t *testing.T) {
		h := newHarness(t)
		h.aws.describeErr = failFrom(60 * time.Second)
		res, err := h.run(release())
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("3", nil)
		if !strings.HasPrefix(err.Error(), "could not read alarm states at step 1 of 1 (10% on version 4): AccessDenied") ||
			!strings.Contains(err.Error(), "ignore_poll_alarm_failure = true") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("in preflight nothing changes", func(t *testing.T) {
		h := newHarness(t)
		h.aws.describeErr = failFrom(0)
		res, err := h.run(release())
		if err == nil || res.Status != StatusFailed || h.aws.writes != 0 {
			t.Fatalf("status %s writes %d err %v", res.Status, h.aws.writes, err)
		}
	})
	t.Run("ignored", func(t *testing.T) {
		h := newHarness(t)
		h.aws.describeErr = failFrom(0)
		res, err := h.run(release(func(r *Release) { r.IgnorePollAlarmFailure = true }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("4", nil)
		if !h.hasEvent(EventWarning, "going on (ignore_poll_alarm_failure)") ||
			!strings.Contains(res.Message, "alarm states could not be read 33 times") {
			t.Errorf("no warning in %v", res.Timeline)
		}
	})
	t.Run("alarm deleted mid-release counts as unreadable", func(t *testing.T) {
		h := newHarness(t)
		h.aws.onDescribe = func(e time.Duration) {
			if e >= 30*time.Second {
				h.aws.mu.Lock()
				delete(h.aws.alarms, "orders-errors")
				h.aws.mu.Unlock()
			}
		}
		res, err := h.run(release())
		if err == nil || res.Status != StatusRolledBack || !strings.Contains(err.Error(), `alarm "orders-errors" no longer exists`) {
			t.Fatalf("status %s err %v", res.Status, err)
		}
	})
}

func TestRunIgnoreAlarms(t *testing.T) {
	h := newHarness(t)
	h.aws.alarms["orders-errors"] = always("ALARM")
	res, err := h.run(release(func(r *Release) { r.IgnoreAlarms = true }))
	if err != nil || res.Status != StatusSucceeded {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("4", nil)
	if got := h.aws.count("DescribeAlarms"); got != 1 {
		t.Errorf("%d DescribeAlarms calls, want 1 (preflight: the alarms exist)", got)
	}
	if !strings.Contains(res.Message, "alarms were ignored (ignore_alarms)") {
		t.Errorf("message %q", res.Message)
	}
	if !h.hasEvent(EventWarning, `alarm "orders-errors" is in ALARM; ignored (ignore_alarms)`) ||
		!h.hasEvent(EventWarning, "alarms ignored (ignore_alarms)") {
		t.Errorf("timeline does not say alarms were ignored: %v", res.Timeline)
	}
}

func TestRunHoldPollsEveryIntervalWithAShorterLastWait(t *testing.T) {
	h := newHarness(t)
	s, _ := ResolveSchedule(ScheduleSpec{Canary: &Interval{Percent: 10, Every: 25 * time.Second}})
	if _, err := h.run(release(func(r *Release) { r.Schedule = s })); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, 0, 10 * time.Second, 20 * time.Second, 25 * time.Second, 25 * time.Second}
	if !reflect.DeepEqual(h.aws.polledAt, want) {
		t.Errorf("polled at %v, want %v (preflight, hold, after promotion)", h.aws.polledAt, want)
	}
}

func Test250AlarmsCost3CallsPerPoll(t *testing.T) {
	h := newHarness(t)
	var alarms []string
	for i := range 250 {
		name := fmt.Sprintf("alarm-%03d", i)
		alarms = append(alarms, name)
		h.aws.alarms[name] = always("OK")
	}
	s, _ := ResolveSchedule(ScheduleSpec{Canary: &Interval{Percent: 10, Every: 30 * time.Second}})
	if _, err := h.run(release(func(r *Release) { r.Alarms, r.Schedule = alarms, s })); err != nil {
		t.Fatal(err)
	}
	polls := 1 + 4 + 1 // preflight, hold at 0s, 10s, 20s, 30s, after promotion
	if got := h.aws.count("DescribeAlarms"); got != 3*polls {
		t.Errorf("%d DescribeAlarms calls, want %d", got, 3*polls)
	}
	for i, n := range h.aws.batches {
		if want := []int{100, 100, 50}[i%3]; n != want {
			t.Fatalf("call %d asked for %d alarms, want %d", i, n, want)
		}
	}
}

func TestRunPreTrafficHookFails(t *testing.T) {
	tests := []struct {
		name string
		hook func(HookPayload) (InvokeResult, error)
		want string
	}{
		{"function error", func(HookPayload) (InvokeResult, error) {
			return InvokeResult{FunctionError: "Unhandled", Payload: []byte(`{"errorType":"Error","errorMessage":"smoke test: GET /orders returned 500"}`)}, nil
		}, `pre_traffic hook "smoke" failed before traffic moved: function error (Unhandled): Error: smoke test: GET /orders returned 500`},
		{"status Failed with reason", func(HookPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"3 of 20 checks failed"}`)}, nil
		}, `pre_traffic hook "smoke" failed before traffic moved: status Failed: 3 of 20 checks failed`},
		{"status Failed with message", func(HookPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`{"status":"Failed","message":"db unreachable"}`)}, nil
		}, `pre_traffic hook "smoke" failed before traffic moved: status Failed: db unreachable`},
		{"invoke error", func(HookPayload) (InvokeResult, error) {
			return InvokeResult{}, errors.New("AccessDeniedException: not authorized to perform lambda:InvokeFunction")
		}, `pre_traffic hook "smoke" could not be invoked before traffic moved: AccessDeniedException`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			h.aws.hooks["smoke"] = tt.hook
			res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
			if err == nil || res.Status != StatusFailed {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error:\n%s\nwant prefix %q", err, tt.want)
			}
			if h.aws.writes != 0 {
				t.Errorf("%d alias writes: traffic moved", h.aws.writes)
			}
			h.wantAlias("3", nil)
			if !strings.Contains(err.Error(), "The alias live now serves version 3 with no weights (unchanged).") {
				t.Errorf("error:\n%s", err)
			}
		})
	}
}

func TestHookVerdictPasses(t *testing.T) {
	for _, payload := range []string{``, `null`, `"ok"`, `{"status":"Succeeded"}`, `{"result":"fine"}`, `[1,2]`, `not json`} {
		if reason, failed := hookVerdict(InvokeResult{Payload: []byte(payload)}); failed {
			t.Errorf("payload %q failed: %s", payload, reason)
		}
	}
	if reason, failed := hookVerdict(InvokeResult{FunctionError: "Unhandled", Payload: []byte(`Task timed out`)}); !failed ||
		reason != "function error (Unhandled): Task timed out" {
		t.Errorf("got %q %v", reason, failed)
	}
}

func TestHookPayloads(t *testing.T) {
	h := newHarness(t)
	if _, err := h.run(release(func(r *Release) { r.PreTrafficHook, r.PostTrafficHook = "smoke", "e2e" })); err != nil {
		t.Fatal(err)
	}
	want := []HookPayload{
		{"d-test", "d-test-PreTraffic", "PreTraffic", fnName, "live", "3", "4", fnARN + ":4", nil},
		{"d-test", "d-test-PostTraffic", "PostTraffic", fnName, "live", "3", "4", fnARN + ":4", nil},
	}
	if !reflect.DeepEqual(h.aws.payloads, want) {
		t.Errorf("payloads %+v\nwant %+v", h.aws.payloads, want)
	}
	// The pre hook runs before any traffic moves, the post hook after promotion.
	var kinds []string
	for _, e := range h.events {
		if e.Kind == EventHook || e.Kind == EventShift || e.Kind == EventPromote {
			kinds = append(kinds, fmt.Sprintf("%s@%s", e.Kind, FormatPercent(e.Percent)))
		}
	}
	wantKinds := []string{"hook@0", "hook@0", "shift@10", "promote@100", "hook@100", "hook@100"}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("order %v, want %v", kinds, wantKinds)
	}
}

func TestRunPostTrafficHookFailsRollsBack(t *testing.T) {
	h := newHarness(t)
	h.aws.hooks["e2e"] = func(HookPayload) (InvokeResult, error) {
		return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"checkout flow broken"}`)}, nil
	}
	res, err := h.run(release(func(r *Release) { r.PostTrafficHook = "e2e" }))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if !strings.HasPrefix(err.Error(), `post_traffic hook "e2e" failed after promotion (100% on version 4): status Failed: checkout flow broken`) {
		t.Errorf("error:\n%s", err)
	}
}

func TestRunFirstReleasePostHookFailsDeletesAlias(t *testing.T) {
	h := newHarness(t)
	delete(h.aws.aliases, "live")
	h.aws.hooks["e2e"] = func(HookPayload) (InvokeResult, error) {
		return InvokeResult{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"boom"}`)}, nil
	}
	res, err := h.run(release(func(r *Release) { r.PostTrafficHook = "e2e" }))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if _, ok := h.aws.alias("live"); ok || res.AliasExists || res.LiveVersion != "" {
		t.Errorf("alias still exists: %+v", res)
	}
	if h.aws.count("CreateAlias") != 1 || h.aws.count("DeleteAlias") != 1 || h.aws.writes != 2 {
		t.Errorf("create %d delete %d writes %d", h.aws.count("CreateAlias"), h.aws.count("DeleteAlias"), h.aws.writes)
	}
	if !strings.Contains(err.Error(), "function error (Unhandled): boom") || h.aws.payloads[0].CurrentVersion != "" {
		t.Errorf("error:\n%s\npayload %+v", err, h.aws.payloads)
	}
}

func TestRunInterrupted(t *testing.T) {
	t.Run("mid-hold rolls back on a detached context", func(t *testing.T) {
		h := newHarness(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h.aws.onDescribe = func(e time.Duration) {
			if e >= 2*time.Minute {
				cancel()
			}
		}
		res, err := h.runCtx(ctx, release(func(r *Release) { r.RollbackTimeout = 30 * time.Second }))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		// The fake fails every call on a done context: the rollback and the read-back
		// used another one.
		h.wantAlias("3", nil)
		if res.LiveVersion != "3" || !res.AliasExists {
			t.Errorf("live %+v", res)
		}
		if !strings.HasPrefix(err.Error(), "the release was interrupted (it was cancelled) during: polling alarm states at step 1 of 1 (10% on version 4)") ||
			!errors.Is(err, context.Canceled) {
			t.Errorf("error:\n%s", err)
		}
		if h.clock.elapsed() != 2*time.Minute {
			t.Errorf("stopped at %s", h.clock.elapsed())
		}
		if !strings.Contains(err.Error(), "  +2m0s trip the release was interrupted") {
			t.Errorf("timeline does not show the interruption:\n%s", err)
		}
	})
	t.Run("deadline during the post hook", func(t *testing.T) {
		h := newHarness(t)
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		h.aws.hooks["e2e"] = func(HookPayload) (InvokeResult, error) {
			cancel(context.DeadlineExceeded)
			return InvokeResult{}, context.DeadlineExceeded
		}
		res, err := h.runCtx(ctx, release(func(r *Release) { r.PostTrafficHook = "e2e" }))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("3", nil)
		if !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("during the pre hook nothing moves", func(t *testing.T) {
		h := newHarness(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
			cancel()
			return InvokeResult{}, context.Canceled
		}
		res, err := h.runCtx(ctx, release(func(r *Release) { r.PreTrafficHook = "smoke" }))
		if err == nil || res.Status != StatusFailed || h.aws.writes != 0 {
			t.Fatalf("status %s writes %d err %v", res.Status, h.aws.writes, err)
		}
		if !strings.Contains(err.Error(), "interrupted") || res.LiveVersion != "3" {
			t.Errorf("error:\n%s", err)
		}
	})
}

func TestRollbackRetriesThroughTransientErrors(t *testing.T) {
	h := newHarness(t)
	h.aws.alarms["orders-errors"] = stateAfter(60*time.Second, "ALARM")
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if n == 2 || n == 3 { // the first two rollback writes
			return fmt.Errorf("TooManyRequestsException: %w", ErrThrottled)
		}
		return nil
	}
	res, err := h.run(release())
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", nil)
	if got := h.aws.count("UpdateAlias"); got != 4 {
		t.Errorf("%d UpdateAlias calls, want shift + 3 rollback attempts", got)
	}
	if want := 60*time.Second + 1*time.Second + 2*time.Second; h.clock.elapsed() != want {
		t.Errorf("ended at %s, want %s (backoff 1s, 2s on the engine clock)", h.clock.elapsed(), want)
	}
	if !h.hasEvent(EventRollback, "attempt 2 failed") || !h.hasEvent(EventRollback, "(verified)") {
		t.Errorf("timeline %v", res.Timeline)
	}
}

func TestRollbackThatCannotFinish(t *testing.T) {
	h := newHarness(t)
	h.aws.alarms["orders-errors"] = stateAfter(60*time.Second, "ALARM")
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if n > 1 {
			return fmt.Errorf("ServiceException: %w", ErrThrottled)
		}
		return nil
	}
	res, err := h.run(release(func(r *Release) { r.RollbackTimeout = time.Minute }))
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	h.wantAlias("3", w("4", 0.1))
	for _, want := range []string{
		`alarm "orders-errors" is in ALARM at step 1 of 1 (10% on version 4)`,
		"The rollback did not complete (ServiceException: throttled). As last read, the alias live serves version 3 with 10% on 4.",
		"Run terraform apply again to finish the rollback, or: aws lambda update-alias --function-name orders-api --name live --function-version 3 --routing-config '{}'",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%s", want, err)
		}
	}
	// 1s, 2s, 4s, 8s, 16s fit in the minute; 32s more would not.
	if got := h.aws.count("UpdateAlias"); got != 1+6 {
		t.Errorf("%d UpdateAlias calls", got)
	}
	if res.LiveVersion != "3" || res.LiveWeights["4"] != 0.1 {
		t.Errorf("live %+v", res)
	}
}

func TestAliasMovedOutside(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	t.Run("before the next step", func(t *testing.T) {
		h := newHarness(t)
		h.aws.onDescribe = func(e time.Duration) {
			if e == 30*time.Second {
				h.aws.setAlias("live", "7", w("9", 0.2))
			}
		}
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if h.aws.writes != 1 || h.aws.count("UpdateAlias") != 1 {
			t.Errorf("writes %d, UpdateAlias %d: want only the first shift", h.aws.writes, h.aws.count("UpdateAlias"))
		}
		h.wantAlias("7", w("9", 0.2))
		want := "alias live now serves 7 with 20% on 9; this release left it at 3 with 10% on 4; it was changed outside this release, which stopped without touching it"
		if !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "alias live was changed outside this release") {
			t.Errorf("error:\n%s", err)
		}
		if !errors.Is(err, ErrConflict) || res.LiveVersion != "7" {
			t.Errorf("live %s", res.LiveVersion)
		}
	})
	t.Run("before the rollback", func(t *testing.T) {
		h := newHarness(t)
		h.aws.alarms["orders-errors"] = stateAfter(30*time.Second, "ALARM")
		h.aws.onDescribe = func(e time.Duration) {
			if e == 30*time.Second {
				h.aws.setAlias("live", "5", nil)
			}
		}
		res, err := h.run(release())
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if h.aws.writes != 1 {
			t.Errorf("%d writes: the rollback touched a moved alias", h.aws.writes)
		}
		h.wantAlias("5", nil)
		if !strings.Contains(err.Error(), "The rollback stopped: alias live now serves 5 with no weights; this release left it at 3 with 10% on 4") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("deleted before the next step", func(t *testing.T) {
		h := newHarness(t)
		h.aws.onDescribe = func(e time.Duration) {
			if e == 30*time.Second {
				h.aws.mu.Lock()
				delete(h.aws.aliases, "live")
				h.aws.mu.Unlock()
			}
		}
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err == nil || res.Status != StatusFailed || h.aws.writes != 1 || res.AliasExists {
			t.Fatalf("status %s writes %d err %v", res.Status, h.aws.writes, err)
		}
		if !strings.Contains(err.Error(), "alias live no longer exists; this release left it at 3 with 10% on 4") {
			t.Errorf("error:\n%s", err)
		}
	})
}

func TestRevisionIDConflict(t *testing.T) {
	h := newHarness(t)
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	h.aws.beforeUpdate = func(n int, u AliasUpdate) error {
		if n == 2 { // someone rewrites the alias between our read and our write
			a, _ := h.aws.alias("live")
			h.aws.setAlias("live", a.FunctionVersion, a.Weights)
		}
		return nil
	}
	res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
	if err == nil || res.Status != StatusFailed {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if h.aws.count("UpdateAlias") != 2 || h.aws.writes != 1 {
		t.Errorf("UpdateAlias %d writes %d: want no write after the conflict", h.aws.count("UpdateAlias"), h.aws.writes)
	}
	if u := h.aws.updates[0]; u.RevisionID == "" {
		t.Error("UpdateAlias without RevisionId")
	}
	if !strings.Contains(err.Error(), "alias live was written by someone else (its RevisionId changed); this release left it at 3 with 10% on 4") {
		t.Errorf("error:\n%s", err)
	}
	h.wantAlias("3", w("4", 0.1))
}

func TestRunSplitAlias(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	t.Run("resumes when the weighted version is the target", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.2))
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		want := []string{"3 with 30% on 4", "3 with 40% on 4", "3 with 50% on 4", "3 with 60% on 4", "3 with 70% on 4", "3 with 80% on 4", "3 with 90% on 4", "4 with no weights"}
		if got := h.shapes(); !reflect.DeepEqual(got, want) {
			t.Errorf("updates %q", got)
		}
		// The 20% step it was left at is held again in full (1m), then 30%…90%.
		if res.PreviousVersion != "3" || h.clock.elapsed() != 8*time.Minute {
			t.Errorf("previous %s, took %s", res.PreviousVersion, h.clock.elapsed())
		}
		if !h.hasEvent(EventShift, "resuming: alias live was left split at 3 with 20% on 4; continuing from 20%") ||
			!h.hasEvent(EventShift, "20% → 4 already (step 2 of 9): holding it again for 1m0s") {
			t.Errorf("timeline %v", res.Timeline)
		}
	})
	t.Run("resume at the last step holds it again before promoting", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if got := h.shapes(); !reflect.DeepEqual(got, []string{"4 with no weights"}) {
			t.Errorf("updates %q", got)
		}
		if h.clock.elapsed() != 5*time.Minute {
			t.Errorf("took %s, want the 5m canary held again", h.clock.elapsed())
		}
	})
	t.Run("resume above the last step of a changed schedule holds before promoting", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.5))
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if got := h.shapes(); !reflect.DeepEqual(got, []string{"4 with no weights"}) {
			t.Errorf("updates %q", got)
		}
		if h.clock.elapsed() != 5*time.Minute || !h.hasEvent(EventShift, "50% → 4 already, above the last step: holding it for 5m0s") {
			t.Errorf("took %s, timeline %v", h.clock.elapsed(), res.Timeline)
		}
	})
	for _, tc := range []struct {
		name  string
		setup func(*harness)
		r     Release
	}{
		{"an alarm during the repeated hold rolls back", func(h *harness) {
			h.aws.alarms["orders-errors"] = stateAfter(2*time.Minute, "ALARM")
		}, release()},
		{"a failed resume rolls back to the primary", func(h *harness) {
			h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
				return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"no"}`)}, nil
			}
		}, release(func(r *Release) { r.PreTrafficHook = "smoke" })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.aws.splitByKilledRelease("live", "3", w("4", 0.2))
			tc.setup(h)
			res, err := h.run(tc.r)
			if err == nil || res.Status != StatusRolledBack {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			h.wantAlias("3", nil)
		})
	}
	t.Run("weights on what a finished release left are waited out before judging", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "2", nil)
		h.aws.mu.Lock()
		h.aws.aliases["live"].Description = Released{Version: "2", ReleaseID: "d-prev", Holder: "ci", At: t0}.String()
		h.aws.transientFrom, h.aws.transientUntil = "1", t0.Add(30*time.Second)
		h.aws.mu.Unlock()
		res, err := h.run(release(func(r *Release) { r.Version, r.Schedule = "3", Schedule{} }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if got := h.shapes(); !reflect.DeepEqual(got, []string{"3 with no weights"}) || h.clock.elapsed() != 30*time.Second {
			t.Errorf("updates %q after %s: want no restore, the weights waited out", got, h.clock.elapsed())
		}
		if h.hasEvent(EventRollback, "left split") || !h.hasEvent(EventPoll, "Lambda's own weights cleared") {
			t.Errorf("timeline %v", res.Timeline)
		}
	})
	t.Run("restores the primary when another version is weighted", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("2", 0.1))
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		want := []string{"3 with no weights", "3 with 10% on 4", "4 with no weights"}
		if got := h.shapes(); !reflect.DeepEqual(got, want) {
			t.Errorf("updates %q, want %q", got, want)
		}
		if !h.hasEvent(EventRollback, "alias live was left split at 3 with 10% on 2; restored 3 with no weights before releasing 4") {
			t.Errorf("timeline %v", res.Timeline)
		}
	})
}

func TestPreflightFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*harness)
		r     Release
		want  string
	}{
		{"missing function", nil, release(func(r *Release) { r.Function = "nope" }), `function "nope" does not exist; nothing was changed`},
		{"missing version", nil, release(func(r *Release) { r.Version = "9" }), "version 9 of function orders-api is not published"},
		{"inactive version", func(h *harness) { h.aws.versions[3].State = "Inactive" }, release(), "version 4 is Inactive, not Active"},
		{"version stuck pending", func(h *harness) { h.aws.versions[3].State = "Pending" }, release(), "version 4 is still Pending after 5m0s"},
		{"missing hook", nil, release(func(r *Release) { r.PostTrafficHook = "e2e-typo" }), `post_traffic hook function "e2e-typo" does not exist`},
		{"metric gates without a client", nil, release(func(r *Release) { r.MetricGates = &MetricGates{MinInvocations: 5} }),
			"metric gates are configured but the engine has no Metrics client"},
		{"invalid release", nil, release(func(r *Release) { r.Version = "$LATEST" }), "the release is invalid; nothing was changed"},
		{"invalid schedule", nil, release(func(r *Release) { r.Schedule = Schedule{Steps: []Step{{Percent: 100, Hold: time.Minute}}} }),
			"traffic_shift.steps[0].percentage: Invalid percentage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if tt.setup != nil {
				tt.setup(h)
			}
			res, err := h.run(tt.r)
			if err == nil || res.Status != StatusFailed {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n%s\nwant %q", err, tt.want)
			}
			if h.aws.writes != 0 || h.aws.count("PublishVersion") != 0 || h.aws.count("Invoke") != 0 {
				t.Errorf("writes %d publishes %d invokes %d", h.aws.writes, h.aws.count("PublishVersion"), h.aws.count("Invoke"))
			}
		})
	}
}

func TestRetention(t *testing.T) {
	h := newHarness(t)
	for i := 5; i <= 8; i++ {
		h.aws.versions = append(h.aws.versions, Version{Version: fmt.Sprint(i), CodeSha256: fmt.Sprint("h", i), State: "Active"})
	}
	h.aws.setAlias("live", "3", nil)
	h.aws.setAlias("beta", "1", w("2", 0.5))
	res, err := h.run(release(func(r *Release) { r.Version, r.KeepVersions, r.Schedule = "6", 2, Schedule{} }))
	if err != nil {
		t.Fatal(err)
	}
	// Newest two are 8 and 7; 6 is the target, 3 the previous, 1 and 2 are beta's.
	if !reflect.DeepEqual(res.DeletedVersions, []string{"5", "4"}) {
		t.Errorf("deleted %v", res.DeletedVersions)
	}
	if got := h.aws.versionNumbers(); !reflect.DeepEqual(got, []string{"1", "2", "3", "6", "7", "8"}) {
		t.Errorf("versions left %v", got)
	}
	if !h.hasEvent(EventRetention, "deleted 5, 4") {
		t.Errorf("timeline %v", res.Timeline)
	}

	// A release that does not succeed deletes nothing.
	h = newHarness(t)
	h.aws.alarms["orders-errors"] = stateAfter(time.Minute, "ALARM")
	res, _ = h.run(release(func(r *Release) { r.KeepVersions = 1 }))
	if res.Status != StatusRolledBack || res.DeletedVersions != nil || h.aws.count("DeleteVersion") != 0 {
		t.Errorf("status %s deleted %v", res.Status, res.DeletedVersions)
	}
}

func TestReleaseErrorFormat(t *testing.T) {
	h := newHarness(t)
	h.aws.alarms["orders-errors"] = stateAfter(90*time.Second, "ALARM")
	_, err := h.run(release())
	want := strings.Join([]string{
		`alarm "orders-errors" is in ALARM at step 1 of 1 (10% on version 4)`,
		`Reason: orders-errors: Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (1.0).`,
		`The alias live now serves version 3 with no weights (rolled back).`,
		`Find out why the alarm fired and fix it, then run terraform apply again (ignore_alarms = true ships a hotfix regardless).`,
		`Timeline:`,
		`  +0s preflight ok: function orders-api, version 4, alias live serves 3 with no weights`,
		`  +0s shift 10% → 4 (step 1 of 1, hold 5m0s)`,
		`  +1m30s trip alarm "orders-errors" is in ALARM at step 1 of 1 (10% on version 4)`,
		`  +1m30s rollback rolling back to 3 with no weights`,
		`  +1m30s rollback alias live serves 3 with no weights (verified)`,
		`  +1m30s done RolledBack: alarm "orders-errors" is in ALARM at step 1 of 1 (10% on version 4)`,
	}, "\n")
	if err.Error() != want {
		t.Errorf("error:\n%s\n\nwant:\n%s", err, want)
	}
}

func TestInspectAndRemove(t *testing.T) {
	h := newHarness(t)
	h.aws.setAlias("live", "3", w("4", 0.1))
	// Left split by a release that was killed: its lease is on the alias.
	h.aws.aliases["live"].Description = Lease{ReleaseID: "d-old", Holder: "ci@runner", Until: t0}.String()
	live, err := h.engine.Inspect(context.Background(), fnName, "live", Known{})
	if err != nil {
		t.Fatal(err)
	}
	want := Live{AliasARN: fnARN + ":live", Version: "3", Weights: w("4", 0.1), CodeSha256: "h3", Writer: "d-old"}
	if !reflect.DeepEqual(live, want) {
		t.Errorf("Inspect = %+v, want %+v", live, want)
	}
	if n := h.aws.count("GetAlias") + h.aws.count("GetVersion"); n != 2 {
		t.Errorf("Inspect with nothing known made %d calls, want 2", n)
	}
	// The hash state holds for the live version is not asked for again: one call.
	again, err := h.engine.Inspect(context.Background(), fnName, "live", Known{Version: "3", CodeSha256: "h3"})
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Errorf("Inspect with a known hash = %+v, %v", again, err)
	}
	if n := h.aws.count("GetAlias") + h.aws.count("GetVersion"); n != 3 {
		t.Errorf("Inspect with the hash known made %d calls, want 1", n-2)
	}
	// A known hash of another version is no help: the live one is read.
	if moved, _ := h.engine.Inspect(context.Background(), fnName, "live", Known{Version: "2", CodeSha256: "h2"}); moved.CodeSha256 != "h3" {
		t.Errorf("Inspect with a stale hash reported %q", moved.CodeSha256)
	}
	if _, err := h.engine.Inspect(context.Background(), fnName, "gone", Known{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing alias: %v", err)
	}
	if _, err := h.engine.Inspect(context.Background(), "gone", "live", Known{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing function: %v", err)
	}
	if err := h.engine.Remove(context.Background(), fnName, "live", ""); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.aws.alias("live"); ok {
		t.Error("alias not deleted")
	}
	if err := h.engine.Remove(context.Background(), fnName, "live", ""); err != nil {
		t.Errorf("removing a missing alias: %v", err)
	}
	if len(h.aws.versionNumbers()) != 4 {
		t.Error("Remove deleted versions")
	}
}

func TestDefaultID(t *testing.T) {
	id := (&Engine{}).newID()
	if len(id) != 14 || !strings.HasPrefix(id, "d-") {
		t.Errorf("id %q", id)
	}
}

func TestRunAliasWriteErrors(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	boom := errors.New("ServiceException: internal error")
	t.Run("first shift fails: nothing moved", func(t *testing.T) {
		h := newHarness(t)
		h.aws.beforeUpdate = func(n int, _ AliasUpdate) error { return boom }
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err == nil || res.Status != StatusFailed || h.aws.writes != 0 {
			t.Fatalf("status %s writes %d err %v", res.Status, h.aws.writes, err)
		}
		if !strings.HasPrefix(err.Error(), "could not shift at step 1 of 9 (10% on version 4): ServiceException") ||
			!strings.Contains(err.Error(), "serves version 3 with no weights (unchanged)") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("later shift fails: rolls back", func(t *testing.T) {
		h := newHarness(t)
		h.aws.beforeUpdate = func(n int, _ AliasUpdate) error {
			if n == 2 {
				return boom
			}
			return nil
		}
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("3", nil)
		if !strings.HasPrefix(err.Error(), "could not shift at step 2 of 9 (20% on version 4): ServiceException") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("a failed write that landed is rolled back, not taken for drift", func(t *testing.T) {
		h := newHarness(t)
		h.aws.afterUpdate = func(n int) error {
			if n == 1 {
				return errors.New("RequestTimeout")
			}
			return nil
		}
		res, err := h.run(release(func(r *Release) { r.Schedule = linear }))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("3", nil)
		if got := h.shapes(); !reflect.DeepEqual(got, []string{"3 with 10% on 4", "3 with no weights"}) {
			t.Errorf("updates %q", got)
		}
	})
}

func TestFormatTimelineKeepsStartAndEnd(t *testing.T) {
	var events []Event
	for i := range 100 {
		events = append(events, Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: EventShift, Detail: fmt.Sprint(i)},
			Event{Time: t0, Kind: EventPoll, Detail: "poll"})
	}
	lines := strings.Split(FormatTimeline(t0, events), "\n")
	if len(lines) != maxTimelineLines+1 || lines[0] != "  +0s shift 0" || lines[12] != "  … 76 more events" ||
		lines[len(lines)-1] != "  +1m39s shift 99" {
		t.Errorf("timeline:\n%s", strings.Join(lines, "\n"))
	}
}

// A release costs 5 + 2 × steps Lambda control-plane calls in version mode, and one more
// for a gradual one: preflight reads the version and the alias (and, for a gradual
// release, the live version, whose role and dead-letter target must match the target's
// for Lambda to route weights); each traffic move, the promotion included, is a guarded
// write (read, then write); when a check follows the promotion, one write (no read: the
// RevisionId of the promotion guards it) clears the lease. Nothing is read again after a
// success.
func TestLambdaCallsPerRelease(t *testing.T) {
	linear, _ := ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	control := []string{"GetFunction", "GetVersion", "ListVersions", "PublishVersion", "DeleteVersion",
		"GetAlias", "ListAliases", "CreateAlias", "UpdateAlias", "DeleteAlias"}
	for _, tc := range []struct {
		name     string
		schedule Schedule
	}{{"AllAtOnce", Schedule{}}, {"canary", canary10for5m()}, {"linear", linear}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			res, err := h.run(release(func(r *Release) { r.Schedule = tc.schedule }))
			if err != nil || res.Status != StatusSucceeded {
				t.Fatalf("status %s err %v", res.Status, err)
			}
			calls := 0
			for _, op := range control {
				calls += h.aws.count(op)
			}
			want := 5 + 2*len(tc.schedule.Steps)
			if len(tc.schedule.Steps) > 0 {
				want++
			}
			if calls != want {
				t.Errorf("%d Lambda control-plane calls, want %d", calls, want)
			}
			if res.LiveVersion != "4" || len(res.LiveWeights) != 0 || !res.AliasExists || res.LiveCodeSha256 == "" {
				t.Errorf("live after success: %+v", res)
			}
		})
	}
}

// In version mode the first GetVersion proves function and version at once; when it fails
// for another reason the function is read on its own and the version read again, and
// that second read is the target.
func TestRunVersionModeAfterAFailedFirstRead(t *testing.T) {
	h := newHarness(t)
	h.aws.getVersionErr = func(n int, _ string) error {
		if n == 1 {
			return errors.New("ServiceException: internal error")
		}
		return nil
	}
	res, err := h.run(release(func(r *Release) { r.Schedule = Schedule{} }))
	if err != nil || res.Status != StatusSucceeded || res.TargetVersion != "4" {
		t.Fatalf("status %s target %q err %v", res.Status, res.TargetVersion, err)
	}
	h.wantAlias("4", nil)
	if got := h.shapes(); !reflect.DeepEqual(got, []string{"4 with no weights"}) {
		t.Errorf("updates %q", got)
	}
}
