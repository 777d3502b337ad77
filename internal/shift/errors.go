package shift

import (
	"strings"
	"time"
)

// This file owns how failures are told: ReleaseError for people, failure inside the engine.

// ReleaseError is how a release that did not succeed reports itself. Its Error() is meant
// for people, several lines:
//
//	alarm "orders-errors" is in ALARM at step 1 of 1 (10% on version 4)
//	Reason: Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (1.0).
//	The alias live now serves version 3 with no weights (rolled back).
//	Find out why the alarm fired, then run terraform apply again.
//	Timeline:
//	  +0s preflight ok
//	  +0s shift 10% → 4
//	  …
type ReleaseError struct {
	Status   Status
	Cause    string  // what tripped: alarm, hook and its reason, step and weight, preflight check
	Reason   string  // more about Cause when there is more (alarm state reason, hook output)
	Live     string  // what the alias serves now, one sentence
	Next     string  // what to do
	Timeline []Event // the whole timeline (Error prints a short form)
	Start    time.Time
	Err      error // the underlying error, if any (ErrNotFound, ErrConflict, context.Canceled, …)
}

func (e *ReleaseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Cause)
	for _, line := range []string{e.reasonLine(), e.Live, e.Next} {
		if line != "" {
			b.WriteString("\n")
			b.WriteString(line)
		}
	}
	if tl := FormatTimeline(e.Start, e.Timeline); tl != "" {
		b.WriteString("\nTimeline:\n")
		b.WriteString(tl)
	}
	return b.String()
}

func (e *ReleaseError) reasonLine() string {
	if e.Reason == "" {
		return ""
	}
	return "Reason: " + e.Reason
}

func (e *ReleaseError) Unwrap() error { return e.Err }

// failure is why a release stopped, before the outcome (rollback or not) is known.
type failure struct {
	cause  string
	reason string
	next   string
	err    error
	drift  string // the alias was changed outside this release: touch it no more
}

func (f *failure) Error() string { return f.cause }

const (
	nextApplyAgain = "Run terraform apply again to retry the release."
	nextDrift      = "Find out who changed the alias; the next terraform plan shows what is live, and terraform apply releases again from there."
)
