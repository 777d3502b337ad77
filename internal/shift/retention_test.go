package shift

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
)

// fakeConsumers answers which versions event source mappings and provisioned
// concurrency use, and records which versions it was asked about.
type fakeConsumers struct {
	uses  map[string][]string
	err   error
	asked []string
}

func (f *fakeConsumers) VersionConsumers(_ context.Context, _ string, versions []string) (map[string][]string, error) {
	f.asked = append(f.asked, versions...)
	if f.err != nil {
		return nil, f.err
	}
	out := map[string][]string{}
	for _, v := range versions {
		if u := f.uses[v]; len(u) > 0 {
			out[v] = u
		}
	}
	return out, nil
}

// A version that an event source mapping or provisioned concurrency uses is kept, and
// the result says which and why; the others beyond keep_versions go.
func TestRetentionKeepsVersionsConsumersUse(t *testing.T) {
	h := newHarness(t)
	for i := 5; i <= 8; i++ {
		h.aws.versions = append(h.aws.versions, Version{Version: fmt.Sprint(i), CodeSha256: fmt.Sprint("h", i), State: "Active"})
	}
	h.aws.setAlias("live", "3", nil)
	consumers := &fakeConsumers{uses: map[string][]string{
		"4": {"event source mapping 14e0db71 from arn:aws:sqs:eu-central-1:123456789012:orders"},
		"2": {"provisioned concurrency (5 requested)"},
	}}
	h.engine.AWS.Consumers = consumers
	res, err := h.run(release(func(r *Release) { r.Version, r.KeepVersions, r.Schedule = "6", 2, Schedule{} }))
	if err != nil {
		t.Fatal(err)
	}
	// Newest two are 8 and 7; 6 is the target, 3 the previous; 5, 4, 2, 1 are candidates.
	if !reflect.DeepEqual(consumers.asked, []string{"5", "4", "2", "1"}) {
		t.Errorf("asked about %v, want the candidates 5, 4, 2, 1", consumers.asked)
	}
	if !reflect.DeepEqual(res.DeletedVersions, []string{"5", "1"}) {
		t.Errorf("deleted %v, want 5 and 1", res.DeletedVersions)
	}
	want := []KeptVersion{
		{Version: "4", Reason: "used by event source mapping 14e0db71 from arn:aws:sqs:eu-central-1:123456789012:orders"},
		{Version: "2", Reason: "used by provisioned concurrency (5 requested)"},
	}
	if !reflect.DeepEqual(res.KeptVersions, want) {
		t.Errorf("kept %+v, want %+v", res.KeptVersions, want)
	}
	if got := h.aws.versionNumbers(); !slices.Equal(got, []string{"2", "3", "4", "6", "7", "8"}) {
		t.Errorf("versions left %v", got)
	}
	if !h.hasEvent(EventRetention, "kept version 4: used by event source mapping 14e0db71") {
		t.Errorf("timeline does not say why 4 was kept: %v", res.Timeline)
	}
}

// When what uses the versions cannot be read, retention deletes nothing: the release
// still succeeds and says why nothing was deleted.
func TestRetentionDeletesNothingWhenConsumersUnknown(t *testing.T) {
	h := newHarness(t)
	for i := 5; i <= 8; i++ {
		h.aws.versions = append(h.aws.versions, Version{Version: fmt.Sprint(i), CodeSha256: fmt.Sprint("h", i), State: "Active"})
	}
	h.aws.setAlias("live", "3", nil)
	h.engine.AWS.Consumers = &fakeConsumers{err: errors.New("Lambda ListEventSourceMappings: AccessDeniedException")}
	res, err := h.run(release(func(r *Release) { r.Version, r.KeepVersions, r.Schedule = "6", 1, Schedule{} }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.DeletedVersions != nil || h.aws.count("DeleteVersion") != 0 {
		t.Errorf("status %s, deleted %v, %d DeleteVersion calls; want success and nothing deleted", res.Status, res.DeletedVersions, h.aws.count("DeleteVersion"))
	}
	if !h.hasEvent(EventWarning, "retention skipped: could not tell which versions event source mappings or provisioned concurrency use") {
		t.Errorf("timeline does not say why: %v", res.Timeline)
	}
}

// Against an emulator that does not implement ListProvisionedConcurrencyConfigs (moto
// answers 404 without an AWS error; awsapi reports errors.ErrUnsupported), retention
// keeps every version and says which it kept and why, in words that do not read as a
// failure of the release.
func TestRetentionKeepsEverythingWhereTheAPIIsMissing(t *testing.T) {
	h := newHarness(t)
	for i := 5; i <= 8; i++ {
		h.aws.versions = append(h.aws.versions, Version{Version: fmt.Sprint(i), CodeSha256: fmt.Sprint("h", i), State: "Active"})
	}
	h.aws.setAlias("live", "3", nil)
	missing := fmt.Errorf("Lambda ListProvisionedConcurrencyConfigs: %w: the endpoint answered HTTP 404 without an AWS error", errors.ErrUnsupported)
	h.engine.AWS.Consumers = &fakeConsumers{err: missing}
	res, err := h.run(release(func(r *Release) { r.Version, r.KeepVersions, r.Schedule = "6", 1, Schedule{} }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusSucceeded || res.DeletedVersions != nil || h.aws.count("DeleteVersion") != 0 {
		t.Errorf("status %s, deleted %v, %d DeleteVersion calls; want success and nothing deleted", res.Status, res.DeletedVersions, h.aws.count("DeleteVersion"))
	}
	if !h.hasEvent(EventWarning, "retention kept every version (7, 5, 4, 2, 1 would have been deleted): Lambda ListProvisionedConcurrencyConfigs") ||
		!h.hasEvent(EventWarning, "on AWS, where these calls are answered, keep_versions prunes") {
		t.Errorf("timeline does not say what was kept and why: %v", res.Timeline)
	}
}

func TestCompareVersions(t *testing.T) {
	vs := []string{"10", "$LATEST", "2", "9", "1"}
	slices.SortFunc(vs, CompareVersions)
	if !slices.Equal(vs, []string{"1", "2", "9", "10", "$LATEST"}) {
		t.Fatalf("sorted %v", vs)
	}
}
