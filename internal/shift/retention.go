package shift

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
)

// Consumers finds what invokes a function's versions directly rather than through an
// alias: an event source mapping or a provisioned-concurrency configuration on a version
// stops working when that version is deleted, and no alias shows it.
type Consumers interface {
	// VersionConsumers returns, for those of versions that something uses, what uses
	// them, in words (e.g. "event source mapping 14e0db71 from arn:aws:sqs:…:orders").
	VersionConsumers(ctx context.Context, function string, versions []string) (map[string][]string, error)
}

// KeptVersion is a version retention would have deleted but kept, and why.
type KeptVersion struct {
	Version string
	Reason  string
}

// retain deletes published versions beyond the newest KeepVersions after a successful
// release, never one an alias of the function routes to (primary or weighted), the
// target, the previous version, or one an event source mapping or provisioned
// concurrency uses. Failures are warnings: the release itself succeeded.
func (x *run) retain() {
	keep := x.r.KeepVersions
	if keep <= 0 {
		return
	}
	fns := x.e.AWS.Functions
	versions, err := fns.ListVersions(x.ctx, x.r.Function)
	if err != nil {
		x.record(EventWarning, "retention skipped: could not list versions: %v", err)
		return
	}
	aliases, err := x.e.AWS.Aliases.ListAliases(x.ctx, x.r.Function)
	if err != nil {
		x.record(EventWarning, "retention skipped: could not list aliases: %v", err)
		return
	}
	inUse := map[string]bool{x.target.Version: true, x.previous(): true}
	for _, a := range aliases {
		inUse[a.FunctionVersion] = true
		for v := range a.Weights {
			inUse[v] = true
		}
	}
	var candidates []string
	for i, v := range sortedVersions(versions) {
		if i >= keep && !inUse[v.Version] {
			candidates = append(candidates, v.Version)
		}
	}
	if len(candidates) == 0 {
		return
	}
	var used map[string][]string
	if c := x.e.AWS.Consumers; c != nil {
		used, err = c.VersionConsumers(x.ctx, x.r.Function, candidates)
		if errors.Is(err, errors.ErrUnsupported) {
			// An emulator without the provisioned-concurrency API (moto): the release is
			// fine, and nothing is pruned there, ever. Say so plainly.
			x.record(EventWarning, "retention kept every version (%s would have been deleted): %v. "+
				"Without knowing which versions provisioned concurrency and event source mappings use, none is deleted; "+
				"on AWS, where these calls are answered, keep_versions prunes", strings.Join(candidates, ", "), err)
			return
		}
		if err != nil {
			// Deleting a version an event source still reads from would break it
			// silently: without the answer, delete nothing.
			x.record(EventWarning, "retention skipped: could not tell which versions event source mappings or provisioned concurrency use: %v", err)
			return
		}
	}
	var deleted, failed []string
	var kept []KeptVersion
	for _, v := range candidates {
		if reasons := used[v]; len(reasons) > 0 {
			kept = append(kept, KeptVersion{Version: v, Reason: "used by " + strings.Join(reasons, ", ")})
			continue
		}
		if err := fns.DeleteVersion(x.ctx, x.r.Function, v); err != nil && !errors.Is(err, ErrNotFound) {
			failed = append(failed, v+" ("+err.Error()+")")
			continue
		}
		deleted = append(deleted, v)
	}
	x.res.DeletedVersions = deleted
	x.res.KeptVersions = kept
	if len(deleted) > 0 {
		x.record(EventRetention, "kept the newest %d versions and those in use; deleted %s", keep, strings.Join(deleted, ", "))
	}
	for _, k := range kept {
		x.record(EventRetention, "kept version %s: %s", k.Version, k.Reason)
	}
	if len(failed) > 0 {
		x.record(EventWarning, "retention could not delete %s", strings.Join(failed, ", "))
	}
}

// CompareVersions orders published version numbers numerically ("9" before "10"); a
// version that is not a number ($LATEST) sorts after every number.
func CompareVersions(a, b string) int {
	na, errA := strconv.Atoi(a)
	nb, errB := strconv.Atoi(b)
	switch {
	case errA != nil && errB != nil:
		return cmp.Compare(a, b)
	case errA != nil:
		return 1
	case errB != nil:
		return -1
	}
	return cmp.Compare(na, nb)
}

// sortedVersions returns the numbered versions, newest first; $LATEST is dropped.
func sortedVersions(vs []Version) []Version {
	out := make([]Version, 0, len(vs))
	for _, v := range vs {
		if _, err := strconv.Atoi(v.Version); err == nil {
			out = append(out, v)
		}
	}
	slices.SortStableFunc(out, func(a, b Version) int { return CompareVersions(b.Version, a.Version) })
	return out
}
