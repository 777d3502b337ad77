package shift

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Tests for what an alias records of what it served before, and the rollback rule that
// reads it back.

func restoreLive(t *testing.T, h *harness, version string) (Restored, error) {
	t.Helper()
	return h.engine.Restore(context.Background(), RestoreRequest{Function: fnName, Alias: "live", Version: version})
}

func description(h *harness) string {
	a, _ := h.aws.alias("live")
	return a.Description
}

// Release code A (version 1), code B (version 2), then code A again, which reuses version
// 1 in code_sha256 mode: "the newest version older than the live one" would find none (or
// an older one still); the alias's mark says 2 served before, and the rollback goes there.
// A second rollback does not move the alias back to 1.
func TestRollbackReturnsToWhatServedBefore(t *testing.T) {
	h := newHarness(t)
	delete(h.aws.aliases, "live")
	ids := 0
	h.engine.NewID = func() string { ids++; return fmt.Sprintf("d-%d", ids) }
	h.engine.Holder = "ci@runner"
	for i, code := range []string{"h1", "h2", "h1"} {
		res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", code }))
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("release %d of %s: status %s err %v", i+1, code, res.Status, err)
		}
	}
	h.wantAlias("1", nil)
	if d := description(h); !strings.HasPrefix(d, "safelambda released version 1 from 2 in d-3 by ci@runner at ") {
		t.Fatalf("description after releasing code A again: %q", d)
	}

	res, err := restoreLive(t, h, "")
	if err != nil || res.Status != StatusRolledBack || res.TargetVersion != "2" {
		t.Fatalf("%+v %v", res, err)
	}
	h.wantAlias("2", nil)
	if res.Previous.Rule != PreviousRecorded || res.Previous.Why != "the version alias live served before release d-3 put 1 there (recorded on the alias)" {
		t.Errorf("previous %+v", res.Previous)
	}
	if d := description(h); !strings.HasPrefix(d, "safelambda restored version 2 from 1 in d-4 ") {
		t.Errorf("description after the rollback: %q", d)
	}
	if !h.hasEvent(EventPreflight, "going back to version 2, the version alias live served before release d-3") {
		t.Errorf("timeline %v", res.Timeline)
	}

	// Pressed again (a retried pipeline, a second operator): the alias stays on 2.
	writes := h.aws.count("UpdateAlias")
	again, err := restoreLive(t, h, "")
	if err != nil || again.Status != StatusNoChange || again.TargetVersion != "2" || h.aws.count("UpdateAlias") != writes {
		t.Fatalf("%+v %v, UpdateAlias %d → %d", again, err, writes, h.aws.count("UpdateAlias"))
	}
	if again.Previous.Rule != PreviousStay ||
		!strings.Contains(again.Message, "alias live already serves version 2 with no weights: release d-4 already took alias live back to 2 from 1 at ") ||
		!strings.Contains(again.Message, "name to_version to go further back") {
		t.Errorf("previous %+v, message %q", again.Previous, again.Message)
	}

	// Named, a version is honoured whatever the alias records.
	named, err := restoreLive(t, h, "1")
	if err != nil || named.Status != StatusRolledBack || named.Previous.Rule != PreviousAsked {
		t.Fatalf("%+v %v", named, err)
	}
	h.wantAlias("1", nil)
}

func TestPreviousOf(t *testing.T) {
	at := t0.Add(-time.Hour)
	mark := func(r Released) string { r.ReleaseID, r.Holder, r.At = "d-m", "ci", at; return r.String() }
	tests := []struct {
		name      string
		alias     Alias
		want      string
		rule      PreviousRule
		noRecord  string // when the fallback applies: why
		whyPrefix string
	}{
		{name: "split: the primary", alias: Alias{Name: "live", FunctionVersion: "3", Weights: w("4", 0.1), Description: mark(Released{Version: "3", From: "2"})},
			want: "3", rule: PreviousPrimary, whyPrefix: "its primary version (the alias is split: 3 with 10% on 4;"},
		{name: "the recorded previous version", alias: Alias{Name: "live", FunctionVersion: "1", Description: mark(Released{Version: "1", From: "2"})},
			want: "2", rule: PreviousRecorded, whyPrefix: "the version alias live served before release d-m put 1 there"},
		{name: "restored already: stay", alias: Alias{Name: "live", FunctionVersion: "2", Description: mark(Released{Version: "2", From: "1", Restored: true})},
			want: "2", rule: PreviousStay, whyPrefix: "release d-m already took alias live back to 2 from 1 at 2025-06-01T11:00:00Z"},
		{name: "no mark", alias: Alias{Name: "live", FunctionVersion: "4", Description: "release 1.4.2"},
			noRecord: "alias live carries no safelambda mark in its description"},
		{name: "a mark written before From was recorded", alias: Alias{Name: "live", FunctionVersion: "4", Description: "safelambda released version 4 in d-old by ci at 2025-06-01T11:00:00Z"},
			noRecord: "the mark of release d-old on alias live records no previous version"},
		{name: "a first release", alias: Alias{Name: "live", FunctionVersion: "4", Description: mark(Released{Version: "4"})},
			noRecord: "records no previous version (a first release"},
		{name: "moved outside since", alias: Alias{Name: "live", FunctionVersion: "4", Description: mark(Released{Version: "3", From: "2"})},
			noRecord: "alias live serves 4, but its mark is of version 3: it was moved outside safelambda since"},
		{name: "undone before it took traffic", alias: Alias{Name: "live", FunctionVersion: "4", Description: mark(Released{Version: "4", Restored: true})},
			noRecord: "undone before it took traffic"},
		{name: "a lease", alias: Alias{Name: "live", FunctionVersion: "4", Description: Lease{ReleaseID: "d-l", Holder: "ci", Until: t0}.String()},
			noRecord: "carries the lease of release d-l (in flight or interrupted)"},
		{name: "a lease recording from, on the version it put there", alias: Alias{Name: "live", FunctionVersion: "4", Description: Lease{ReleaseID: "d-l", From: "3", Holder: "ci", Until: t0}.String()},
			want: "3", rule: PreviousRecorded, whyPrefix: "the version alias live served before release d-l (in flight or interrupted) put 4 there (recorded in its lease)"},
		{name: "a lease recording from, before traffic moved", alias: Alias{Name: "live", FunctionVersion: "4", Description: Lease{ReleaseID: "d-l", From: "4", Holder: "ci", Until: t0}.String()},
			noRecord: "carries the lease of release d-l (in flight or interrupted)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, noRecord, ok := PreviousOf(tt.alias)
			if tt.noRecord != "" {
				if ok || !strings.Contains(noRecord, tt.noRecord) {
					t.Errorf("PreviousOf = %+v %q %v, want the fallback because %q", p, noRecord, ok, tt.noRecord)
				}
				return
			}
			if !ok || p.Version != tt.want || p.Rule != tt.rule || !strings.HasPrefix(p.Why, tt.whyPrefix) {
				t.Errorf("PreviousOf = %+v %q %v, want %s by %s (%q…)", p, noRecord, ok, tt.want, tt.rule, tt.whyPrefix)
			}
		})
	}
}

// Without a record, the fallback rule applies and says so, with the reason.
func TestRollbackFallsBackWithoutARecord(t *testing.T) {
	h := newHarness(t)
	h.aws.setAlias("live", "4", nil)
	h.aws.aliases["live"].Description = "safelambda released version 4 in d-old by ci at 2025-06-01T11:00:00Z"
	res, err := restoreLive(t, h, "")
	if err != nil || res.Status != StatusRolledBack || res.TargetVersion != "3" || res.Previous.Rule != PreviousOlder {
		t.Fatalf("%+v %v", res, err)
	}
	if want := "the newest published version older than 4, by the fallback rule: the mark of release d-old on alias live records no previous version"; !strings.HasPrefix(res.Previous.Why, want) {
		t.Errorf("why %q, want %q…", res.Previous.Why, want)
	}
	if d := description(h); !strings.HasPrefix(d, "safelambda restored version 3 from 4 in d-test") {
		t.Errorf("description %q", d)
	}
	// Nothing older: refused, saying why there was no record.
	h = newHarness(t)
	h.aws.setAlias("live", "1", nil)
	_, err = restoreLive(t, h, "")
	if err == nil || !strings.Contains(err.Error(), "alias live serves version 1, alias live carries no safelambda mark in its description, and no older version is published") {
		t.Errorf("err %v", err)
	}
}

// A recorded previous version deleted since is not guessed around: the restore stops,
// saying how the version was chosen.
func TestRecordedPreviousVersionDeleted(t *testing.T) {
	h := newHarness(t)
	h.aws.versions = h.aws.versions[2:] // 3 and 4 only
	h.aws.aliases["live"].Description = Released{Version: "3", From: "2", ReleaseID: "d-m", Holder: "ci", At: t0}.String()
	res, err := restoreLive(t, h, "")
	if err == nil || res.Status != StatusFailed || h.aws.count("UpdateAlias") != 0 {
		t.Fatalf("%+v %v", res, err)
	}
	if !strings.Contains(err.Error(), "version 2 of function "+fnName+" is not published (chosen as the version alias live served before release d-m") ||
		!strings.Contains(err.Error(), "to_version") {
		t.Errorf("error:\n%v", err)
	}
}

// What a release's last write leaves: after a rollback, the version taken off; after a
// release undone before its version took traffic, the mark it found (its record of what
// served before still holds); after a split restored by the action, the weighted version.
func TestMarksRecordWhatServedBefore(t *testing.T) {
	t.Run("rolled back during the canary", func(t *testing.T) {
		h := newHarness(t)
		h.aws.alarms["orders-errors"] = stateAfter(time.Minute, "ALARM")
		res, _ := h.run(release())
		if d := description(h); res.Status != StatusRolledBack || !strings.HasPrefix(d, "safelambda restored version 3 from 4 in d-test") {
			t.Errorf("status %s, description %q", res.Status, d)
		}
	})
	t.Run("undone before traffic moved", func(t *testing.T) {
		h := newHarness(t)
		before := Released{Version: "3", From: "2", ReleaseID: "d-prev", Holder: "ci", At: t0.Add(-time.Hour)}.String()
		h.aws.aliases["live"].Description = before
		h.aws.hooks["smoke"] = func(HookPayload) (InvokeResult, error) {
			return InvokeResult{Payload: []byte(`{"status":"Failed","reason":"no"}`)}, nil
		}
		res, err := h.run(release(func(r *Release) { r.PreTrafficHook = "smoke" }))
		if err == nil || res.Status != StatusFailed {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if d := description(h); d != before {
			t.Errorf("description %q, want the mark found %q", d, before)
		}
		p, _, ok := PreviousOf(Alias{Name: "live", FunctionVersion: "3", Description: description(h)})
		if !ok || p.Version != "2" {
			t.Errorf("previous after the failed release: %+v %v", p, ok)
		}
	})
	t.Run("a split restored by the action", func(t *testing.T) {
		h := newHarness(t)
		h.aws.setAlias("live", "3", w("4", 0.1))
		res, err := restoreLive(t, h, "")
		if err != nil || res.Previous.Rule != PreviousPrimary {
			t.Fatalf("%+v %v", res, err)
		}
		if d := description(h); !strings.HasPrefix(d, "safelambda restored version 3 from 4 in d-test") {
			t.Errorf("description %q", d)
		}
	})
	t.Run("a resumed split records the primary", func(t *testing.T) {
		h := newHarness(t)
		h.aws.splitByKilledRelease("live", "3", w("4", 0.1))
		res, err := h.run(release())
		if err != nil || res.Status != StatusSucceeded {
			t.Fatalf("status %s err %v", res.Status, err)
		}
		if d := description(h); !strings.HasPrefix(d, "safelambda released version 4 from 3 in d-test") {
			t.Errorf("description %q", d)
		}
	})
	t.Run("fits in 256 characters", func(t *testing.T) {
		m := Released{Version: "1234567", From: "1234566", ReleaseID: "d-0123456789ab", Holder: strings.Repeat("h", 400), At: t0}
		s := m.String()
		got, ok := ParseReleased(s)
		if len(s) > 256 || !ok || got.From != "1234566" || got.Version != "1234567" {
			t.Errorf("%d characters, parsed %+v %v", len(s), got, ok)
		}
	})
}
