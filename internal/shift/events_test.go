package shift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeBus is an event bus that records what it was given, and fails as told.
type fakeBus struct {
	mu    sync.Mutex
	clock *fakeClock
	// fail, when set, is asked at every call (n counts from 1): a non-nil error is the
	// call's answer; entry, when set, fails single entries (by the event's detail-type).
	fail  func(n int) error
	entry func(detailType string) error
	// takes is how long each call takes on the fake clock.
	takes time.Duration

	calls   int
	batches [][]BusEvent // the calls' entries, failed ones included
	put     []BusEvent   // the entries that went out, in order
	buses   []string
	ctxErrs []error // the calls' context errors
}

func (b *fakeBus) PutEvents(ctx context.Context, bus string, entries []BusEvent) ([]error, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	b.batches = append(b.batches, append([]BusEvent(nil), entries...))
	b.buses = append(b.buses, bus)
	b.ctxErrs = append(b.ctxErrs, ctx.Err())
	if b.takes > 0 {
		<-b.clock.After(b.takes)
	}
	if len(entries) == 0 || len(entries) > MaxEventsPerPut {
		return nil, fmt.Errorf("ValidationException: entries must hold 1 to %d, got %d", MaxEventsPerPut, len(entries))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if b.fail != nil {
		if err := b.fail(b.calls); err != nil {
			return nil, err
		}
	}
	failed := make([]error, len(entries))
	for i, e := range entries {
		if b.entry != nil {
			if failed[i] = b.entry(e.DetailType); failed[i] != nil {
				continue
			}
		}
		b.put = append(b.put, e)
	}
	return failed, nil
}

// details decodes what went out.
func (b *fakeBus) details(t *testing.T) []EventDetail {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]EventDetail, len(b.put))
	for i, e := range b.put {
		if err := json.Unmarshal([]byte(e.Detail), &out[i]); err != nil {
			t.Fatalf("detail %d is not JSON: %v\n%s", i, err, e.Detail)
		}
		if want := "Release " + map[string]string{"started": "Started", "step": "Step", "tripped": "Tripped",
			"rolled_back": "Rolled Back", "promoted": "Promoted", "finished": "Finished"}[out[i].Event]; e.DetailType != want {
			t.Errorf("event %q has detail-type %q, want %q", out[i].Event, e.DetailType, want)
		}
	}
	return out
}

func (b *fakeBus) kinds(t *testing.T) string {
	var names []string
	for _, d := range b.details(t) {
		names = append(names, d.Event)
	}
	return strings.Join(names, " ")
}

func withBus(h *harness) *fakeBus {
	b := &fakeBus{clock: h.clock}
	h.engine.AWS.Events = b
	h.engine.Holder = "ci@runner pid 7 (https://ci.example/run/42)"
	return b
}

func onBus(r *Release) { r.EventBus = "releases" }

func warnings(res Result) []string {
	var out []string
	for _, e := range res.Timeline {
		if e.Kind == EventWarning {
			out = append(out, e.Detail)
		}
	}
	return out
}

func TestEventsOfASuccessfulCanary(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	res, err := h.run(release(onBus))
	if err != nil {
		t.Fatal(err)
	}
	if got := bus.kinds(t); got != "started step promoted finished" {
		t.Fatalf("events %q", got)
	}
	d := bus.details(t)
	for i, e := range d {
		if e.SchemaVersion != 1 || e.Sequence != i+1 || e.ReleaseID != "d-test" || e.Function != fnName || e.FunctionARN != fnARN ||
			e.Alias != "live" || e.AliasARN != fnARN+":live" || e.TargetVersion != "4" || e.PreviousVersion != "3" ||
			e.Schedule != "Canary10Percent5Minutes" || e.RunBy != "ci@runner pid 7 (https://ci.example/run/42)" || !e.StartedAt.Equal(t0) || e.Message == "" {
			t.Errorf("event %d: %+v", i, e)
		}
		if i > 0 && e.OffsetSeconds < d[i-1].OffsetSeconds {
			t.Errorf("offsets go back: %v then %v", d[i-1].OffsetSeconds, e.OffsetSeconds)
		}
		if want := StatusInProgress; i < len(d)-1 && e.Status != want {
			t.Errorf("event %d status %q, want %q", i, e.Status, want)
		}
	}
	if s := d[0]; s.TargetPercent != 0 || s.Live.Version != "3" || len(s.Live.Weights) != 0 {
		t.Errorf("started: %+v", s)
	}
	if s := d[1]; s.TargetPercent != 10 || s.Live.Version != "3" || s.Live.Weights["4"] != 0.1 ||
		s.Step == nil || *s.Step != (EventStep{Number: 1, Count: 1, Percent: 10, HoldSeconds: 300}) || s.OffsetSeconds != 0 {
		t.Errorf("step: %+v step %+v", s, s.Step)
	}
	if p := d[2]; p.TargetPercent != 100 || p.Live.Version != "4" || len(p.Live.Weights) != 0 || p.OffsetSeconds < 300 {
		t.Errorf("promoted: %+v", p)
	}
	if f := d[3]; f.Status != "Succeeded" || f.Cause != "" || f.Live.Version != "4" || f.TargetPercent != 100 ||
		f.OffsetSeconds != res.FinishedAt.Sub(res.StartedAt).Seconds() {
		t.Errorf("finished: %+v", f)
	}
	for i, b := range bus.put {
		if !b.Time.Equal(t0.Add(time.Duration(d[i].OffsetSeconds * float64(time.Second)))) {
			t.Errorf("event %d at %s, offset %v", i, b.Time, d[i].OffsetSeconds)
		}
		if strings.Join(b.Resources, " ") != fnARN+" "+fnARN+":live" {
			t.Errorf("event %d resources %v", i, b.Resources)
		}
	}
	if bus.calls != 4 || strings.Join(bus.buses, ",") != "releases,releases,releases,releases" {
		t.Errorf("%d calls on %v: each event goes out at its moment", bus.calls, bus.buses)
	}
	if w := warnings(res); len(w) != 0 {
		t.Errorf("warnings %q", w)
	}
	// The raw JSON carries every documented key, the empty ones too.
	var raw map[string]any
	_ = json.Unmarshal([]byte(bus.put[0].Detail), &raw)
	for _, k := range []string{"schema_version", "event", "sequence", "release_id", "function", "function_arn", "alias", "alias_arn",
		"target_version", "previous_version", "target_percent", "live", "schedule", "status", "message", "run_by", "started_at", "offset_seconds"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("started event has no %q: %s", k, bus.put[0].Detail)
		}
	}
}

func TestEventsOfARollback(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	h.aws.alarms["orders-errors"] = stateAfter(90*time.Second, "ALARM")
	res, err := h.run(release(onBus))
	if err == nil || res.Status != StatusRolledBack {
		t.Fatalf("status %s err %v", res.Status, err)
	}
	if got := bus.kinds(t); got != "started step tripped rolled_back finished" {
		t.Fatalf("events %q", got)
	}
	d := bus.details(t)
	trip, back, fin := d[2], d[3], d[4]
	if !strings.Contains(trip.Cause, "orders-errors") || trip.Live.Version != "3" || trip.Live.Weights["4"] != 0.1 ||
		trip.TargetPercent != 10 || trip.Status != StatusInProgress || trip.OffsetSeconds != 90 {
		t.Errorf("tripped: %+v", trip)
	}
	if back.Cause != trip.Cause || back.Live.Version != "3" || len(back.Live.Weights) != 0 || back.TargetPercent != 0 {
		t.Errorf("rolled back: %+v", back)
	}
	if fin.Status != "RolledBack" || !strings.Contains(fin.Cause, "orders-errors") || fin.Live.Version != "3" ||
		len(fin.Live.Weights) != 0 || fin.TargetPercent != 0 || fin.PreviousVersion != "3" {
		t.Errorf("finished: %+v", fin)
	}
}

func TestEventsOfAFirstRelease(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	h.aws.aliases = map[string]*Alias{}
	if _, err := h.run(release(onBus)); err != nil {
		t.Fatal(err)
	}
	if got := bus.kinds(t); got != "started promoted finished" {
		t.Fatalf("events %q", got)
	}
	d := bus.details(t)
	if d[0].PreviousVersion != "" || d[0].Live.Version != "" || d[0].AliasARN != "" || len(bus.put[0].Resources) != 1 {
		t.Errorf("started before the alias exists: %+v %v", d[0], bus.put[0].Resources)
	}
	if d[1].AliasARN != fnARN+":live" || d[1].Live.Version != "4" {
		t.Errorf("promoted: %+v", d[1])
	}
}

func TestEventsOfAResumedSplit(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	h.aws.splitByKilledRelease("live", "3", map[string]float64{"2": 0.1})
	if _, err := h.run(release(onBus)); err != nil {
		t.Fatal(err)
	}
	if got := bus.kinds(t); got != "started rolled_back step promoted finished" {
		t.Fatalf("events %q", got)
	}
	if back := bus.details(t)[1]; !strings.Contains(back.Cause, "left split at 3 with 10% on 2 by an earlier release") || back.Live.Version != "3" {
		t.Errorf("rolled back: %+v", back)
	}
}

func TestEventsOfACancelledReleaseGoOut(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.aws.onDescribe = func(e time.Duration) {
		if e >= 2*time.Minute {
			cancel()
		}
	}
	res, _ := h.runCtx(ctx, release(onBus))
	if res.Status != StatusRolledBack {
		t.Fatalf("status %s", res.Status)
	}
	if got := bus.kinds(t); got != "started step tripped rolled_back finished" {
		t.Fatalf("events %q", got)
	}
	for i, err := range bus.ctxErrs {
		if err != nil {
			t.Errorf("call %d had a done context: %v", i+1, err)
		}
	}
	if d := bus.details(t); !strings.Contains(d[2].Cause, "interrupted (it was cancelled)") {
		t.Errorf("tripped: %+v", d[2])
	}
}

func TestEventsNeverFailARelease(t *testing.T) {
	denied := errors.New("AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/deployer/ci is not authorized to perform: events:PutEvents")
	t.Run("every put refused: succeeded, with one warning", func(t *testing.T) {
		h := newHarness(t)
		bus := withBus(h)
		bus.fail = func(int) error { return denied }
		res, err := h.run(release(onBus))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		h.wantAlias("4", nil)
		w := warnings(res)
		if len(w) != 1 || !strings.HasPrefix(w[0], "4 of 4 release events could not be put on event bus releases (AccessDeniedException") ||
			!strings.Contains(w[0], "events:PutEvents") {
			t.Errorf("warnings %q", w)
		}
		// Each event tried at its moment (carrying those before it), once more at the end.
		if bus.calls != 5 || len(bus.batches[3]) != 4 {
			t.Errorf("%d calls, batches %d", bus.calls, len(bus.batches))
		}
		if h.clock.elapsed() != 5*time.Minute {
			t.Errorf("the release took %s: the failing bus delayed it", h.clock.elapsed())
		}
	})
	t.Run("rolled back with the bus down: the warning is in the error's timeline", func(t *testing.T) {
		h := newHarness(t)
		bus := withBus(h)
		bus.fail = func(int) error { return denied }
		h.aws.alarms["orders-errors"] = stateAfter(90*time.Second, "ALARM")
		res, err := h.run(release(onBus))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if !strings.Contains(err.Error(), "warning 5 of 5 release events could not be put") {
			t.Errorf("error:\n%s", err)
		}
	})
	t.Run("a failed put goes out with the next event, in order", func(t *testing.T) {
		h := newHarness(t)
		bus := withBus(h)
		bus.fail = func(n int) error {
			if n == 1 {
				return errors.New("InternalException: try again")
			}
			return nil
		}
		res, err := h.run(release(onBus))
		if err != nil {
			t.Fatal(err)
		}
		if got := bus.kinds(t); got != "started step promoted finished" {
			t.Fatalf("events %q", got)
		}
		if len(bus.batches[1]) != 2 || bus.calls != 4 {
			t.Errorf("%d calls; the second carries %d entries", bus.calls, len(bus.batches[1]))
		}
		if d := bus.details(t); bus.put[0].Time != t0 || d[0].OffsetSeconds != 0 {
			t.Errorf("the late event keeps its moment: %s %+v", bus.put[0].Time, d[0])
		}
		if w := warnings(res); len(w) != 0 {
			t.Errorf("warnings %q", w)
		}
	})
	t.Run("an entry EventBridge refuses is put again", func(t *testing.T) {
		h := newHarness(t)
		bus := withBus(h)
		refused := 0
		bus.entry = func(dt string) error {
			if dt == DetailTypeStep && refused == 0 {
				refused++
				return errors.New("ThrottlingException")
			}
			return nil
		}
		res, err := h.run(release(onBus))
		if err != nil {
			t.Fatal(err)
		}
		if got := bus.kinds(t); got != "started step promoted finished" || len(warnings(res)) != 0 {
			t.Fatalf("events %q, warnings %q", got, warnings(res))
		}
	})
	t.Run("an unreachable bus costs the release at most the budget", func(t *testing.T) {
		h := newHarness(t)
		bus := withBus(h)
		bus.takes = eventsPutTimeout
		bus.fail = func(int) error { return context.DeadlineExceeded }
		h.aws.alarms["orders-errors"] = stateAfter(90*time.Second, "ALARM")
		res, err := h.run(release(onBus))
		if err == nil || res.Status != StatusRolledBack {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if bus.calls != 3 {
			t.Errorf("%d calls of %s each: the budget is %s", bus.calls, eventsPutTimeout, eventsPutBudget)
		}
		if w := warnings(res); len(w) != 1 || !strings.HasPrefix(w[0], "5 of 5 release events") {
			t.Errorf("warnings %q", w)
		}
		// Tripped at 90s (alarm time): the puts added at most their budget to the release.
		if h.clock.elapsed() > 90*time.Second+eventsPutBudget {
			t.Errorf("the release took %s", h.clock.elapsed())
		}
	})
}

func TestEventsAreBatchedByTen(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	down := true
	bus.fail = func(int) error {
		if down {
			return errors.New("InternalException")
		}
		return nil
	}
	r := release(onBus, func(r *Release) {
		r.Schedule, _ = ResolveSchedule(ScheduleSpec{Preset: "Linear10PercentEvery1Minute"})
	})
	h.aws.onDescribe = func(e time.Duration) { down = e < 8*time.Minute+30*time.Second }
	if _, err := h.run(r); err != nil {
		t.Fatal(err)
	}
	// started, 9 steps, promoted, finished: the first 10 fail, then go out 10 and 1.
	d := bus.details(t)
	if len(d) != 12 {
		t.Fatalf("%d events: %q", len(d), bus.kinds(t))
	}
	for i, e := range d {
		if e.Sequence != i+1 {
			t.Fatalf("out of order: %q", bus.kinds(t))
		}
	}
	sizes := []int{}
	for _, b := range bus.batches {
		sizes = append(sizes, len(b))
	}
	if fmt.Sprint(sizes) != "[1 2 3 4 5 6 7 8 9 10 10 1 1]" {
		t.Errorf("batch sizes %v", sizes)
	}
	if s := d[9].Step; s == nil || *s != (EventStep{Number: 9, Count: 9, Percent: 90, HoldSeconds: 60}) {
		t.Errorf("step 9: %+v", s)
	}
}

func TestNoBusNoEvents(t *testing.T) {
	h := newHarness(t)
	bus := withBus(h)
	if _, err := h.run(release()); err != nil {
		t.Fatal(err)
	}
	h.engine.AWS.Events = nil
	if _, err := h.run(release(onBus)); err != nil {
		t.Fatal(err)
	}
	if bus.calls != 0 {
		t.Errorf("%d calls", bus.calls)
	}
}

func TestEventsConfig(t *testing.T) {
	str := func(s string) *string { return &s }
	base := func() Config {
		return Config{Function: fnName, Alias: "live", Version: str("4"), Unknown: map[string]bool{}, Region: "eu-central-1"}
	}
	for _, tc := range []struct {
		name    string
		events  *EventsConfig
		unknown []string
		bus     string
		err     string // path and summary of the one error
	}{
		{name: "none"},
		{name: "default bus", events: &EventsConfig{EventBus: str("default")}, bus: "default"},
		{name: "custom bus", events: &EventsConfig{EventBus: str("team.releases-prod_1")}, bus: "team.releases-prod_1"},
		{name: "ARN in the region", events: &EventsConfig{EventBus: str("arn:aws:events:eu-central-1:123456789012:event-bus/releases")},
			bus: "arn:aws:events:eu-central-1:123456789012:event-bus/releases"},
		{name: "unknown bus", events: &EventsConfig{}, unknown: []string{"events.event_bus"}},
		{name: "unknown object", unknown: []string{"events"}},
		{name: "empty events", events: &EventsConfig{}, err: "events: Empty events"},
		{name: "empty name", events: &EventsConfig{EventBus: str("")}, err: "events.event_bus: Invalid event_bus"},
		{name: "space in name", events: &EventsConfig{EventBus: str("my bus")}, err: "events.event_bus: Invalid event_bus"},
		{name: "ARN of a rule", events: &EventsConfig{EventBus: str("arn:aws:events:eu-central-1:123456789012:rule/releases")}, err: "events.event_bus: Invalid event_bus"},
		{name: "ARN of an SNS topic", events: &EventsConfig{EventBus: str("arn:aws:sns:eu-central-1:123456789012:releases")}, err: "events.event_bus: Invalid event_bus"},
		{name: "ARN in another region", events: &EventsConfig{EventBus: str("arn:aws:events:us-east-1:123456789012:event-bus/releases")}, err: "events.event_bus: Invalid event_bus"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			c.Events = tc.events
			for _, u := range tc.unknown {
				c.Unknown[u] = true
			}
			out, errs := c.Resolve()
			var got []string
			for _, e := range errs {
				got = append(got, FormatPath(e.Path)+": "+e.Summary)
				if !strings.Contains(e.Detail, "write") && !strings.Contains(e.Detail, "name a bus") {
					t.Errorf("the error does not say what to write: %s", e.Detail)
				}
			}
			if tc.err == "" && len(got) != 0 || tc.err != "" && (len(got) != 1 || got[0] != tc.err) {
				t.Fatalf("errors %q, want %q", got, tc.err)
			}
			if out.Release.EventBus != tc.bus {
				t.Errorf("bus %q, want %q", out.Release.EventBus, tc.bus)
			}
			if complete := tc.err == ""; out.Complete != complete {
				t.Errorf("complete %v, want %v", out.Complete, complete)
			}
		})
	}
}
