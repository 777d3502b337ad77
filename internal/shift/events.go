package shift

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// This file owns the release's events on an event bus (Amazon EventBridge): which moments
// are announced, the detail every event carries, and how a put that fails is retried and
// reported. Events never block or fail a release: a put that cannot be made is kept and
// tried again with the next event and once more at the end, and what never went out is
// one warning on the timeline.

// EventBus puts events on an event bus. internal/awsapi satisfies it with EventBridge's
// PutEvents.
type EventBus interface {
	// PutEvents puts entries (at most MaxEventsPerPut) on bus, a name or an ARN. err is
	// for the call as a whole; otherwise failed holds one error per entry, nil for the
	// entries that went out (EventBridge answers each entry on its own).
	PutEvents(ctx context.Context, bus string, entries []BusEvent) (failed []error, err error)
}

// MaxEventsPerPut is PutEvents' limit on entries per call.
const MaxEventsPerPut = 10

// BusEvent is one event to put. Its source is EventSource.
type BusEvent struct {
	Time       time.Time
	DetailType string
	Detail     string // JSON of an EventDetail
	Resources  []string
}

// EventSource is the source of every release event, for EventBridge rules to match.
const EventSource = "safelambda"

// The detail-types of release events, one per moment of a release.
const (
	DetailTypeStarted    = "Release Started"
	DetailTypeStep       = "Release Step"
	DetailTypeTripped    = "Release Tripped"
	DetailTypeRolledBack = "Release Rolled Back"
	DetailTypePromoted   = "Release Promoted"
	DetailTypeFinished   = "Release Finished"
)

// EventSchemaVersion is EventDetail.SchemaVersion: it changes only when a field changes
// meaning or goes away (new fields may be added under the same version).
const EventSchemaVersion = 1

// StatusInProgress is EventDetail.Status before the release has ended.
const StatusInProgress = "InProgress"

// EventDetail is the detail of every release event. The JSON names are public
// interface: users write EventBridge rules and chat messages against them.
type EventDetail struct {
	SchemaVersion int    `json:"schema_version"`
	Event         string `json:"event"`    // started, step, tripped, rolled_back, promoted, finished
	Sequence      int    `json:"sequence"` // 1, 2, … in the order the release put them
	ReleaseID     string `json:"release_id"`

	Function        string `json:"function"`
	FunctionARN     string `json:"function_arn"`
	Alias           string `json:"alias"`
	AliasARN        string `json:"alias_arn"`
	TargetVersion   string `json:"target_version"`
	PreviousVersion string `json:"previous_version"` // "" on a first release

	// TargetPercent is the traffic on the target version (0–100) at the moment.
	TargetPercent float64 `json:"target_percent"`
	// Live is what the alias serves at the moment, as this release left it (for the
	// finished event, as read back after the release).
	Live EventLive `json:"live"`
	// Step is set on step events only.
	Step     *EventStep `json:"step,omitempty"`
	Schedule string     `json:"schedule"` // the preset or kind, "AllAtOnce" for none

	Status  string `json:"status"`          // InProgress, then Succeeded, RolledBack, Failed or NoChange
	Cause   string `json:"cause,omitempty"` // what tripped (tripped, rolled_back, a failed finished)
	Message string `json:"message"`         // the timeline's line for people

	RunBy         string    `json:"run_by"` // who runs the release: user, host and the pipeline run where known
	StartedAt     time.Time `json:"started_at"`
	OffsetSeconds float64   `json:"offset_seconds"` // since StartedAt, as on the timeline
}

// EventLive is what an alias serves: its version and the weights of the others (0–1,
// as Lambda's routing configuration holds them). Version is "" when the alias does not
// exist.
type EventLive struct {
	Version string             `json:"version"`
	Weights map[string]float64 `json:"weights"`
}

// EventStep is a step of the traffic shift: Number of Count, Percent held for
// HoldSeconds.
type EventStep struct {
	Number      int     `json:"number"`
	Count       int     `json:"count"`
	Percent     float64 `json:"percent"`
	HoldSeconds float64 `json:"hold_seconds"`
}

// Bounds on the puts: each call (with the SDK's own brief retries inside it) has
// eventsPutTimeout; once failed calls have taken eventsPutBudget of a release, the events
// still to go are given up, so an unreachable bus costs a release at most that long.
const (
	eventsPutTimeout = 10 * time.Second
	eventsPutBudget  = 30 * time.Second
	// maxEventText bounds the free text of an event (cause, message); a detail stays far
	// below EventBridge's 256 KB per entry.
	maxEventText = 2048
)

// eventSender is the release's outbox: events put at their moment, those that failed
// kept (in order) for the next put.
type eventSender struct {
	bus     string
	api     EventBus
	seq     int
	pending []BusEvent
	put     int           // events that went out
	spent   time.Duration // on failed calls
	lastErr error
}

func (e *Engine) eventSender(r Release) *eventSender {
	if r.EventBus == "" || e.AWS.Events == nil {
		return nil
	}
	return &eventSender{bus: r.EventBus, api: e.AWS.Events}
}

// announce builds the event of a timeline event, when it is one users act on, and puts
// it. Rollbacks are announced by announceRollback, once verified.
func (x *run) announce(ev Event) {
	if x.events == nil {
		return
	}
	switch ev.Kind {
	case EventPreflight:
		x.putEvent(ev, DetailTypeStarted, "started", "")
	case EventShift:
		x.putEvent(ev, DetailTypeStep, "step", "")
	case EventTrip:
		x.putEvent(ev, DetailTypeTripped, "tripped", ev.Detail)
	case EventPromote:
		x.putEvent(ev, DetailTypePromoted, "promoted", "")
	case EventDone:
		cause := ""
		if x.res.Status != StatusSucceeded && x.res.Status != StatusNoChange {
			cause = firstLine(x.res.Message)
		}
		x.putEvent(ev, DetailTypeFinished, "finished", cause)
		x.flushEvents()
	}
}

// announceRollback puts the event of a rollback that is done: cause is what it undid.
func (x *run) announceRollback(cause string) {
	if x.events == nil {
		return
	}
	ev := Event{Time: x.clock.Now(), Kind: EventRollback, Percent: x.percent(), Target: x.target.Version,
		Detail: fmt.Sprintf("alias %s serves %s", x.r.Alias, x.guard.left)}
	x.putEvent(ev, DetailTypeRolledBack, "rolled_back", cause)
}

func (x *run) putEvent(ev Event, detailType, name, cause string) {
	s := x.events
	s.seq++
	d := EventDetail{
		SchemaVersion:   EventSchemaVersion,
		Event:           name,
		Sequence:        s.seq,
		ReleaseID:       x.res.DeploymentID,
		Function:        x.r.Function,
		FunctionARN:     x.fn.ARN,
		Alias:           x.r.Alias,
		AliasARN:        x.res.AliasARN,
		TargetVersion:   x.target.Version,
		PreviousVersion: x.previous(),
		TargetPercent:   ev.Percent,
		Live:            EventLive{Version: x.guard.left.version, Weights: copyWeights(nonZero(x.guard.left.weights))},
		Schedule:        x.r.Schedule.Name,
		Status:          StatusInProgress,
		Cause:           clip(cause, maxEventText),
		Message:         clip(ev.Detail, maxEventText),
		RunBy:           x.holder,
		StartedAt:       x.res.StartedAt,
		OffsetSeconds:   ev.Time.Sub(x.res.StartedAt).Seconds(),
	}
	if x.fn.Name != "" {
		d.Function = x.fn.Name
	}
	if d.Schedule == "" {
		d.Schedule = allAtOnce
	}
	if ev.Kind == EventShift {
		d.Step = x.stepAt(ev.Percent)
	}
	if ev.Kind == EventDone {
		d.Status = string(x.res.Status)
		d.AliasARN = x.res.AliasARN
		d.Live = EventLive{Version: x.res.LiveVersion, Weights: copyWeights(x.res.LiveWeights)}
		switch {
		case x.res.LiveVersion == x.target.Version && x.target.Version != "":
			d.TargetPercent = 100
		default:
			d.TargetPercent = roundPercent(x.res.LiveWeights[x.target.Version] * 100)
		}
	}
	if d.Live.Weights == nil {
		d.Live.Weights = map[string]float64{}
	}
	body, err := json.Marshal(d)
	if err != nil { // plain strings, numbers and maps: cannot happen
		return
	}
	var resources []string
	for _, r := range []string{x.fn.ARN, d.AliasARN} {
		if r != "" {
			resources = append(resources, r)
		}
	}
	s.pending = append(s.pending, BusEvent{Time: ev.Time, DetailType: detailType, Detail: string(body), Resources: resources})
	x.sendEvents()
}

// stepAt finds the schedule's step at percent (nil when none is: a resumed split above
// the last step).
func (x *run) stepAt(percent float64) *EventStep {
	steps := x.r.Schedule.Steps
	for i, s := range steps {
		if roundPercent(s.Percent) == roundPercent(percent) {
			return &EventStep{Number: i + 1, Count: len(steps), Percent: roundPercent(s.Percent), HoldSeconds: s.Hold.Seconds()}
		}
	}
	return nil
}

// sendEvents puts what is pending, oldest first, in batches of MaxEventsPerPut, on a
// context detached from the release's: the events of a cancelled release (its trip, its
// rollback, its end) still go out. A failed call or entry stays pending for the next put.
func (x *run) sendEvents() {
	s := x.events
	for len(s.pending) > 0 && s.spent < eventsPutBudget {
		batch := s.pending[:min(len(s.pending), MaxEventsPerPut)]
		ctx, cancel := x.detached(eventsPutTimeout)
		began := x.clock.Now()
		failed, err := s.api.PutEvents(ctx, s.bus, batch)
		cancel()
		if err == nil && len(failed) != len(batch) {
			err = fmt.Errorf("PutEvents answered %d entries for %d", len(failed), len(batch))
		}
		if err != nil {
			s.spent += max(x.clock.Now().Sub(began), time.Millisecond)
			s.lastErr = err
			return
		}
		var again []BusEvent
		for i, ferr := range failed {
			if ferr != nil {
				again = append(again, batch[i])
				s.lastErr = ferr
			}
		}
		s.put += len(batch) - len(again)
		s.pending = append(again, s.pending[len(batch):]...)
		if len(again) > 0 {
			s.spent += max(x.clock.Now().Sub(began), time.Millisecond)
			return
		}
	}
}

// flushEvents makes the last try for what is pending and says what never went out.
func (x *run) flushEvents() {
	s := x.events
	if len(s.pending) > 0 {
		x.sendEvents()
	}
	if n := len(s.pending); n > 0 {
		x.record(EventWarning, "%d of %d release events could not be put on event bus %s (%v); the release itself was not affected: "+
			"check that the bus exists in this region and that the provider's role may events:PutEvents on it",
			n, n+s.put, s.bus, s.lastErr)
	}
}

// EventsConfig is events as written; nil fields are unset.
type EventsConfig struct {
	EventBus *string
}

// eventBusNameRE is what EventBridge accepts as an event bus name in PutEvents.
var eventBusNameRE = regexp.MustCompile(`^[/.\-_A-Za-z0-9]{1,256}$`)

// resolveEvents checks events and sets the bus on r. A bus not known yet leaves the
// release complete: nothing the plan shows depends on it.
func resolveEvents(c *EventsConfig, region string, unknown func([]any) bool, r *Release) []FieldError {
	at := []any{"events", "event_bus"}
	if c == nil || unknown([]any{"events"}) || unknown(at) {
		return nil
	}
	if c.EventBus == nil {
		return []FieldError{{Path: []any{"events"}, Summary: "Empty events",
			Detail: "events needs event_bus: write events = { event_bus = \"default\" } (or a bus name or ARN), or omit events." + misspelled}}
	}
	if e := EventBusProblem(*c.EventBus, region); e != "" {
		return []FieldError{{Path: at, Summary: "Invalid event_bus", Detail: "event_bus " + e}}
	}
	r.EventBus = *c.EventBus
	return nil
}

// EventBusProblem says what is wrong with an event bus name or ARN ("must be …: write
// …"), or "" when PutEvents accepts it. region, when known, is where the provider works:
// a bus ARN must be there.
func EventBusProblem(bus, region string) string {
	if strings.HasPrefix(bus, "arn:") {
		a, err := arn.Parse(bus)
		name, isBus := strings.CutPrefix(a.Resource, "event-bus/")
		switch {
		case err != nil || a.Service != "events" || !isBus || !eventBusNameRE.MatchString(name):
			return fmt.Sprintf("must be an event bus name or ARN, got %q: write a name such as \"default\" or an ARN such as "+
				"arn:aws:events:eu-central-1:123456789012:event-bus/releases (aws_cloudwatch_event_bus.x.arn)", bus)
		case region != "" && a.Region != region:
			return fmt.Sprintf("is a bus in %s, but this provider works in %s and events are put in its region: "+
				"name a bus in %s, or a rule on a bus in %s can forward the events to %s", a.Region, region, region, region, a.Region)
		}
		return ""
	}
	if !eventBusNameRE.MatchString(bus) {
		return fmt.Sprintf("must be 1 to 256 letters, digits, '.', '-', '_' or '/', got %q: write \"default\" for the account's default bus, "+
			"or aws_cloudwatch_event_bus.x.name", bus)
	}
	return ""
}
