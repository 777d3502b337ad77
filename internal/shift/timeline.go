package shift

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// This file owns the release's timeline: recording events and printing them for people.

// EventWarning marks something the release went on through that people should see:
// ignored alarm read failures, alarms in ALARM under ignore_alarms, versions retention
// could not delete. Providers log it at WARN.
const EventWarning EventKind = "warning"

// record appends one event to the timeline and hands it to the observer.
func (x *run) record(kind EventKind, format string, args ...any) {
	ev := Event{
		Time:    x.clock.Now(),
		Kind:    kind,
		Percent: x.percent(),
		Detail:  fmt.Sprintf(format, args...),
		Target:  x.target.Version,
	}
	if kind == EventTrip {
		x.tripRecorded = true
	}
	x.res.Timeline = append(x.res.Timeline, ev)
	if x.e.Observer != nil {
		x.e.Observer(ev)
	}
	x.announce(ev)
}

// maxTimelineLines bounds the timeline printed in errors; the full one is in Result.
const maxTimelineLines = 24

// FormatTimeline prints a timeline for people, one event a line, offsets from start:
//
//	+0s preflight ok
//	+1.2s shift 10% → 4
//
// Poll events are left out (they are many and say "all OK"); a long timeline keeps its
// start and end.
func FormatTimeline(start time.Time, events []Event) string {
	var lines []string
	for _, ev := range events {
		if ev.Kind == EventPoll {
			continue
		}
		lines = append(lines, fmt.Sprintf("  +%s %s %s", formatOffset(ev.Time.Sub(start)), ev.Kind, ev.Detail))
	}
	if len(lines) > maxTimelineLines {
		head, tail := lines[:maxTimelineLines/2], lines[len(lines)-maxTimelineLines/2:]
		skipped := len(lines) - len(head) - len(tail)
		lines = append(append(append([]string(nil), head...), fmt.Sprintf("  … %d more events", skipped)), tail...)
	}
	return strings.Join(lines, "\n")
}

func formatOffset(d time.Duration) string {
	switch {
	case d < 0:
		d = 0
	case d < time.Second:
		d = d.Round(time.Millisecond)
	default:
		d = d.Round(100 * time.Millisecond)
	}
	return d.String()
}

// aliasState describes an alias for people: "3 with no weights", "3 with 10% on 4".
func aliasState(version string, weights map[string]float64) string {
	if len(weights) == 0 {
		return version + " with no weights"
	}
	keys := make([]string, 0, len(weights))
	for k := range weights {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s%% on %s", FormatPercent(weights[k]*100), k))
	}
	return version + " with " + strings.Join(parts, " and ")
}
