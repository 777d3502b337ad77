package shift

import (
	"fmt"
	"strconv"
	"time"
)

// This file owns what an alias records of what it served before (the From of the mark a
// release, a rollback or a restore leaves in its description) and the one rule that reads
// it back: where a rollback without a version goes.

// PreviousRule says how a rollback without a version chose where to go.
type PreviousRule string

const (
	// PreviousAsked: the caller named the version.
	PreviousAsked PreviousRule = "asked"
	// PreviousPrimary: the alias is split; its primary version is what served before the
	// release being tried on the weighted one.
	PreviousPrimary PreviousRule = "primary"
	// PreviousRecorded: the mark of the release that put the live version on the alias
	// names the version it served before.
	PreviousRecorded PreviousRule = "recorded"
	// PreviousStay: a rollback or restore already took the alias back from the release
	// its mark names; a second one does not move it again (no ping-pong between the two
	// versions, and no guess further back).
	PreviousStay PreviousRule = "already-restored"
	// PreviousOlder: the alias records nothing usable, so the fallback rule applies: the
	// newest published version older than the live one.
	PreviousOlder PreviousRule = "older"
)

// Previous is where a rollback goes, and why, in words a caller can show.
type Previous struct {
	Version string
	Rule    PreviousRule
	Why     string
}

// PreviousOf applies the rule to an alias as read, as far as the alias alone decides it.
// ok is false when the fallback rule must be applied (it needs the function's versions);
// noRecord then says why the alias gave no answer.
func PreviousOf(a Alias) (p Previous, noRecord string, ok bool) {
	if w := nonZero(a.Weights); len(w) > 0 {
		return Previous{Version: a.FunctionVersion, Rule: PreviousPrimary,
			Why: fmt.Sprintf("its primary version (the alias is split: %s; the weighted version is the release being tried)", shapeOf(a))}, "", true
	}
	m, ok := ParseReleased(a.Description)
	switch {
	case !ok:
		if l, leased := ParseLease(a.Description); leased && l.From != "" && l.From != a.FunctionVersion {
			return Previous{Version: l.From, Rule: PreviousRecorded,
				Why: fmt.Sprintf("the version alias %s served before release %s (in flight or interrupted) put %s there (recorded in its lease)", a.Name, l.ReleaseID, a.FunctionVersion)}, "", true
		} else if leased {
			return Previous{}, fmt.Sprintf("alias %s carries the lease of release %s (in flight or interrupted), which records no previous version", a.Name, l.ReleaseID), false
		}
		return Previous{}, fmt.Sprintf("alias %s carries no safelambda mark in its description", a.Name), false
	case m.Version != a.FunctionVersion:
		return Previous{}, fmt.Sprintf("alias %s serves %s, but its mark is of version %s: it was moved outside safelambda since", a.Name, a.FunctionVersion, m.Version), false
	case m.From == "" && m.Restored:
		return Previous{}, fmt.Sprintf("the last mark on alias %s is release %s, undone before it took traffic, with no record of what served before", a.Name, m.ReleaseID), false
	case m.From == "":
		return Previous{}, fmt.Sprintf("the mark of release %s on alias %s records no previous version (a first release, or a mark written before previous versions were recorded)", m.ReleaseID, a.Name), false
	case m.Restored:
		return Previous{Version: a.FunctionVersion, Rule: PreviousStay,
			Why: fmt.Sprintf("release %s already took alias %s back to %s from %s at %s; a rollback without to_version does not move it again (name to_version to go further back)",
				m.ReleaseID, a.Name, m.Version, m.From, m.At.UTC().Format(time.RFC3339))}, "", true
	}
	return Previous{Version: m.From, Rule: PreviousRecorded,
		Why: fmt.Sprintf("the version alias %s served before release %s put %s there (recorded on the alias)", a.Name, m.ReleaseID, m.Version)}, "", true
}

// olderThan is the fallback rule: the newest published version older than live.
func olderThan(live string, versions []Version) (string, bool) {
	n, err := strconv.Atoi(live)
	if err != nil {
		return "", false
	}
	for _, v := range sortedVersions(versions) {
		if m, err := strconv.Atoi(v.Version); err == nil && m < n {
			return v.Version, true
		}
	}
	return "", false
}

// mark is the description a release's, a rollback's or a restore's last write leaves on
// the alias: the version it serves now and the one it served before.
func (x *run) mark(version string) string {
	m := Released{Version: version, ReleaseID: x.res.DeploymentID, Holder: x.holder, At: x.clock.Now(), Restored: x.undoing}
	switch {
	case !x.undoing:
		m.From = x.previous()
	case x.restoredFrom != "":
		m.From = x.restoredFrom
	case x.phase.trafficMoved():
		m.From = x.target.Version
	default:
		// Undone before its version took traffic: what the alias recorded of its past
		// still holds, so it is kept.
		if f := x.guard.found; f != nil {
			if old, ok := ParseReleased(f.Description); ok && old.Version == version && old.From != "" {
				return f.Description
			}
		}
	}
	if m.From == version {
		m.From = ""
	}
	return m.String()
}

// writer is the release whose lease or mark an alias description carries ("" when none).
func writer(description string) string {
	if l, ok := ParseLease(description); ok {
		return l.ReleaseID
	}
	if m, ok := ParseReleased(description); ok {
		return m.ReleaseID
	}
	return ""
}
