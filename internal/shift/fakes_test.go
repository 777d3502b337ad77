package shift

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeClock moves time by itself: After(d) advances Now by d and returns a channel that
// has already fired, so nothing in the tests sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *fakeClock) elapsed() time.Duration { return c.Now().Sub(t0) }

// alarmScript gives an alarm's state from fake time and the live alias (nil when absent).
type alarmScript func(elapsed time.Duration, live *Alias) string

func stateAfter(at time.Duration, state string) alarmScript {
	return func(e time.Duration, _ *Alias) string {
		if e >= at {
			return state
		}
		return "OK"
	}
}

func always(state string) alarmScript {
	return func(time.Duration, *Alias) string { return state }
}

const (
	fnName = "orders-api"
	fnARN  = "arn:aws:lambda:eu-central-1:123456789012:function:orders-api"
)

// fakeAWS is one function with versions and aliases, hook functions and alarms, scripted
// against fake time, counting calls. Every method fails on a done context, as the SDK does.
type fakeAWS struct {
	mu    sync.Mutex
	clock *fakeClock

	functions map[string]bool
	// timeouts are the functions' own timeouts (GetFunction's Timeout; 0 when not set).
	timeouts  map[string]time.Duration
	versions  []Version // published, oldest first
	latestSha string
	// publishState is the State of a freshly published version; "" is Active.
	publishState string
	// enforceSha makes PublishVersion refuse a precondition that does not match
	// (AWS does; moto does not).
	enforceSha bool
	// publishErr, when set, is asked at every PublishVersion call (n counts from 1); an
	// error it returns is the call's answer. beforePublish runs under the lock before a
	// publish (change $LATEST as someone else would).
	publishErr    func(n int) error
	beforePublish func()
	// latest is $LATEST's configuration beyond its hash: role, dead-letter target, update
	// status. latestStatus, when set, gives LastUpdateStatus at each read of $LATEST.
	latest       Version
	latestStatus func(elapsed time.Duration) string
	aliases      map[string]*Alias
	rev          int

	alarms map[string]alarmScript
	hooks  map[string]func(HookPayload) (InvokeResult, error)

	// describeErr, when set, fails DescribeAlarms calls it returns an error for.
	describeErr func(elapsed time.Duration) error
	// onDescribe runs at every DescribeAlarms call, outside the lock: cancel a context,
	// move the alias as someone else would.
	onDescribe func(elapsed time.Duration)
	// beforeUpdate runs at every UpdateAlias call (n counts from 1), outside the lock;
	// an error it returns is UpdateAlias's answer.
	beforeUpdate func(n int, u AliasUpdate) error
	// afterUpdate runs after UpdateAlias applied a write (n counts from 1); an error it
	// returns is UpdateAlias's answer although the write landed.
	afterUpdate func(n int) error
	// afterCreate runs after a successful CreateAlias, outside the lock; an error onCreate
	// returns is CreateAlias's answer, before it creates anything.
	afterCreate func()
	onCreate    func() error
	// getVersionErr, when set, is asked at every GetVersion call (n counts from 1); an
	// error it returns is the call's answer.
	getVersionErr func(n int, version string) error

	// transient makes the alias show Lambda's own weights (provisioned concurrency moving)
	// for this long after a write that changes its version and clears its weights: the
	// new primary with a share on the version it left.
	transient      time.Duration
	transientUntil time.Time
	transientFrom  string
	// float32Weights stores weights in single precision, as a service may.
	float32Weights bool
	// rollbackDeadlines records how much time each UpdateAlias call's context had left.
	deadlines []time.Duration

	calls   map[string]int
	writes  int           // alias writes that changed what it serves (not its description alone)
	updates []AliasUpdate // successful UpdateAlias calls that changed what it serves
	// descriptions lists every description UpdateAlias and CreateAlias set (the lease).
	descriptions []string
	batches      []int // names per DescribeAlarms call
	polledAt     []time.Duration
	payloads     []HookPayload
}

func newFakeAWS(clock *fakeClock) *fakeAWS {
	f := &fakeAWS{
		clock:     clock,
		functions: map[string]bool{fnName: true, "smoke": true, "e2e": true},
		aliases:   map[string]*Alias{},
		alarms:    map[string]alarmScript{},
		hooks:     map[string]func(HookPayload) (InvokeResult, error){},
		calls:     map[string]int{},
	}
	for i := 1; i <= 4; i++ {
		f.versions = append(f.versions, Version{Version: strconv.Itoa(i), ARN: fnARN + ":" + strconv.Itoa(i), CodeSha256: "h" + strconv.Itoa(i), State: "Active"})
	}
	f.latestSha = "h4"
	f.setAlias("live", "3", nil)
	return f
}

func (f *fakeAWS) aws() AWS {
	return AWS{Functions: f, Aliases: f, Invoker: f, Alarms: f}
}

func (f *fakeAWS) enter(ctx context.Context, name string) error {
	f.calls[name]++
	return ctx.Err()
}

func (f *fakeAWS) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

// setAlias is a write by someone else: it does not count as the engine's.
func (f *fakeAWS) setAlias(name, version string, weights map[string]float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rev++
	f.aliases[name] = &Alias{Name: name, ARN: fnARN + ":" + name, FunctionVersion: version, Weights: copyWeights(weights), RevisionID: "r" + strconv.Itoa(f.rev)}
}

// splitByKilledRelease leaves the alias as a release killed mid-shift does: split, with
// its lease run out.
func (f *fakeAWS) splitByKilledRelease(name, version string, weights map[string]float64) {
	f.setAlias(name, version, weights)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.aliases[name].Description = Lease{ReleaseID: "d-killed", Holder: "ci@runner", Until: t0.Add(-time.Second)}.String()
}

func (f *fakeAWS) alias(name string) (Alias, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.aliases[name]
	if !ok {
		return Alias{}, false
	}
	c := *a
	c.Weights = copyWeights(a.Weights)
	return c, true
}

func (f *fakeAWS) versionNumbers() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.versions {
		out = append(out, v.Version)
	}
	return out
}

func notFound(what string) error { return fmt.Errorf("%s: %w", what, ErrNotFound) }

func (f *fakeAWS) GetFunction(ctx context.Context, function string) (Function, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "GetFunction"); err != nil {
		return Function{}, err
	}
	if !f.functions[function] {
		return Function{}, notFound("function " + function)
	}
	return Function{Name: function, ARN: "arn:aws:lambda:eu-central-1:123456789012:function:" + function, Timeout: f.timeouts[function]}, nil
}

func (f *fakeAWS) GetVersion(ctx context.Context, function, version string) (Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "GetVersion"); err != nil {
		return Version{}, err
	}
	if f.getVersionErr != nil {
		if err := f.getVersionErr(f.calls["GetVersion"], version); err != nil {
			return Version{}, err
		}
	}
	if function != fnName && function != fnARN {
		return Version{}, notFound("function " + function)
	}
	if version == "$LATEST" {
		l := f.latest
		l.Version, l.ARN, l.CodeSha256, l.State = "$LATEST", fnARN+":$LATEST", f.latestSha, "Active"
		if f.latestStatus != nil {
			l.LastUpdateStatus = f.latestStatus(f.clock.elapsed())
		}
		return l, nil
	}
	for _, v := range f.versions {
		if v.Version == version {
			return v, nil
		}
	}
	return Version{}, notFound("version " + version)
}

func (f *fakeAWS) ListVersions(ctx context.Context, function string) ([]Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "ListVersions"); err != nil {
		return nil, err
	}
	return append([]Version(nil), f.versions...), nil
}

func (f *fakeAWS) PublishVersion(ctx context.Context, function, codeSha256, description string) (Version, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "PublishVersion"); err != nil {
		return Version{}, err
	}
	if f.publishErr != nil {
		if err := f.publishErr(f.calls["PublishVersion"]); err != nil {
			return Version{}, err
		}
	}
	if f.beforePublish != nil {
		f.beforePublish()
	}
	if f.enforceSha && codeSha256 != "" && codeSha256 != f.latestSha {
		// Lambda: 400 InvalidParameterValueException.
		return Version{}, fmt.Errorf("InvalidParameterValueException: CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the current CodeSHA256.: %w",
			codeSha256, f.latestSha, ErrInvalidParameter)
	}
	n := 1
	if len(f.versions) > 0 {
		n, _ = strconv.Atoi(f.versions[len(f.versions)-1].Version)
		n++
	}
	v := Version{Version: strconv.Itoa(n), ARN: fnARN + ":" + strconv.Itoa(n), CodeSha256: f.latestSha, Description: description, State: f.publishState,
		Role: f.latest.Role, DeadLetterTarget: f.latest.DeadLetterTarget, Configuration: f.latest.Configuration}
	f.versions = append(f.versions, v)
	// A Pending version becomes Active on the next read.
	if f.publishState == "Pending" {
		f.versions[len(f.versions)-1].State = "Active"
	}
	return v, nil
}

func (f *fakeAWS) DeleteVersion(ctx context.Context, function, version string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "DeleteVersion"); err != nil {
		return err
	}
	for i, v := range f.versions {
		if v.Version == version {
			f.versions = append(f.versions[:i], f.versions[i+1:]...)
			return nil
		}
	}
	return notFound("version " + version)
}

func (f *fakeAWS) GetAlias(ctx context.Context, function, alias string) (Alias, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "GetAlias"); err != nil {
		return Alias{}, err
	}
	if function != fnName && function != fnARN {
		return Alias{}, notFound("function " + function)
	}
	a, ok := f.aliases[alias]
	if !ok {
		return Alias{}, notFound("alias " + alias)
	}
	c := *a
	c.Weights = copyWeights(a.Weights)
	if f.clock.Now().Before(f.transientUntil) && len(c.Weights) == 0 {
		c.Weights = map[string]float64{f.transientFrom: 0.3}
	}
	return c, nil
}

func (f *fakeAWS) ListAliases(ctx context.Context, function string) ([]Alias, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "ListAliases"); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(f.aliases))
	for n := range f.aliases {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Alias
	for _, n := range names {
		out = append(out, *f.aliases[n])
	}
	return out, nil
}

func (f *fakeAWS) CreateAlias(ctx context.Context, function, alias, version, description string) (Alias, error) {
	f.mu.Lock()
	if err := f.enter(ctx, "CreateAlias"); err != nil {
		f.mu.Unlock()
		return Alias{}, err
	}
	if f.onCreate != nil {
		if err := f.onCreate(); err != nil {
			f.mu.Unlock()
			return Alias{}, err
		}
	}
	if _, ok := f.aliases[alias]; ok {
		f.mu.Unlock()
		// Lambda: 409 ResourceConflictException "Alias already exists: <alias ARN>".
		return Alias{}, fmt.Errorf("ResourceConflictException: Alias already exists: %s:%s: %w", fnARN, alias, ErrAlreadyExists)
	}
	f.rev++
	a := &Alias{Name: alias, ARN: fnARN + ":" + alias, FunctionVersion: version, RevisionID: "r" + strconv.Itoa(f.rev), Description: description}
	f.descriptions = append(f.descriptions, description)
	f.aliases[alias] = a
	f.writes++
	out := *a
	hook := f.afterCreate
	f.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

func (f *fakeAWS) UpdateAlias(ctx context.Context, u AliasUpdate) (Alias, error) {
	f.mu.Lock()
	f.calls["UpdateAlias"]++
	n, hook := f.calls["UpdateAlias"], f.beforeUpdate
	f.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return Alias{}, err
	}
	if hook != nil {
		if err := hook(n, u); err != nil {
			return Alias{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.aliases[u.Alias]
	if !ok {
		return Alias{}, notFound("alias " + u.Alias)
	}
	if u.RevisionID != "" && u.RevisionID != a.RevisionID {
		// Lambda: 412 PreconditionFailedException.
		return Alias{}, fmt.Errorf("PreconditionFailedException: The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id: %w", ErrConflict)
	}
	f.rev++
	if d, ok := ctx.Deadline(); ok {
		f.deadlines = append(f.deadlines, time.Until(d))
	}
	moved := !(aliasShape{version: u.FunctionVersion, weights: u.Weights}).matches(*a)
	if f.transient > 0 && a.FunctionVersion != u.FunctionVersion && len(u.Weights) == 0 {
		f.transientUntil, f.transientFrom = f.clock.Now().Add(f.transient), a.FunctionVersion
	}
	a.FunctionVersion, a.Weights, a.RevisionID = u.FunctionVersion, copyWeights(u.Weights), "r"+strconv.Itoa(f.rev)
	if f.float32Weights {
		for k, v := range a.Weights {
			a.Weights[k] = float64(float32(v))
		}
	}
	if u.Description != nil {
		a.Description = *u.Description
		f.descriptions = append(f.descriptions, *u.Description)
	}
	if moved {
		f.writes++
		f.updates = append(f.updates, u)
	}
	if f.afterUpdate != nil {
		if err := f.afterUpdate(n); err != nil {
			return Alias{}, err
		}
	}
	return *a, nil
}

func (f *fakeAWS) DeleteAlias(ctx context.Context, function, alias string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter(ctx, "DeleteAlias"); err != nil {
		return err
	}
	if _, ok := f.aliases[alias]; !ok {
		return notFound("alias " + alias)
	}
	delete(f.aliases, alias)
	f.writes++
	return nil
}

func (f *fakeAWS) Invoke(ctx context.Context, function string, payload []byte) (InvokeResult, error) {
	f.mu.Lock()
	if err := f.enter(ctx, "Invoke"); err != nil {
		f.mu.Unlock()
		return InvokeResult{}, err
	}
	var p HookPayload
	if err := json.Unmarshal(payload, &p); err != nil {
		f.mu.Unlock()
		return InvokeResult{}, err
	}
	f.payloads = append(f.payloads, p)
	h := f.hooks[function]
	f.mu.Unlock()
	if h == nil {
		return InvokeResult{Payload: []byte("null")}, nil
	}
	return h(p)
}

func (f *fakeAWS) DescribeAlarms(ctx context.Context, names []string) ([]AlarmState, error) {
	elapsed := f.clock.elapsed()
	f.mu.Lock()
	f.calls["DescribeAlarms"]++
	f.batches = append(f.batches, len(names))
	f.polledAt = append(f.polledAt, elapsed)
	hook := f.onDescribe
	f.mu.Unlock()
	if hook != nil {
		hook(elapsed)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if f.describeErr != nil {
		if err := f.describeErr(elapsed); err != nil {
			return nil, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	live := f.aliases["live"]
	var out []AlarmState
	for _, n := range names {
		if s, ok := f.alarms[n]; ok {
			out = append(out, AlarmState{Name: n, State: s(elapsed, live), Reason: "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (1.0)."})
		}
	}
	return out, nil
}

// harness wires an Engine to the fakes.
type harness struct {
	t      *testing.T
	clock  *fakeClock
	aws    *fakeAWS
	engine *Engine
	events []Event
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, clock: newFakeClock()}
	h.aws = newFakeAWS(h.clock)
	h.aws.alarms["orders-errors"] = always("OK")
	h.engine = &Engine{
		AWS:      h.aws.aws(),
		Clock:    h.clock,
		Observer: func(e Event) { h.events = append(h.events, e) },
		NewID:    func() string { return "d-test" },
	}
	return h
}

func canary10for5m() Schedule {
	s, _ := ResolveSchedule(ScheduleSpec{Preset: "Canary10Percent5Minutes"})
	return s
}

// release is the default: version 4 onto alias live (serving 3), Canary10Percent5Minutes,
// one alarm polled every 10s.
func release(mods ...func(*Release)) Release {
	r := Release{
		Function:          fnName,
		Alias:             "live",
		Version:           "4",
		Schedule:          canary10for5m(),
		Alarms:            []string{"orders-errors"},
		AlarmPollInterval: 10 * time.Second,
	}
	for _, m := range mods {
		m(&r)
	}
	return r
}

func (h *harness) run(r Release) (Result, *ReleaseError) {
	return h.runCtx(context.Background(), r)
}

func (h *harness) runCtx(ctx context.Context, r Release) (Result, *ReleaseError) {
	h.t.Helper()
	res, err := h.engine.Run(ctx, r)
	if err == nil {
		return res, nil
	}
	rerr, ok := err.(*ReleaseError)
	if !ok {
		h.t.Fatalf("Run returned %T %v, want *ReleaseError", err, err)
	}
	if rerr.Status != res.Status {
		h.t.Errorf("ReleaseError.Status %s != Result.Status %s", rerr.Status, res.Status)
	}
	return res, rerr
}

// wantAlias checks the fake's alias "live".
func (h *harness) wantAlias(version string, weights map[string]float64) {
	h.t.Helper()
	a, ok := h.aws.alias("live")
	if !ok {
		h.t.Fatalf("alias live does not exist, want %s", aliasState(version, weights))
	}
	if !(aliasShape{version: version, weights: weights}).matches(a) {
		h.t.Fatalf("alias live serves %s, want %s", shapeOf(a), aliasState(version, weights))
	}
}

func (h *harness) hasEvent(kind EventKind, substr string) bool {
	for _, e := range h.events {
		if e.Kind == kind && strings.Contains(e.Detail, substr) {
			return true
		}
	}
	return false
}
