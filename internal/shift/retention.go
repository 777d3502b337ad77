package shift

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// retain deletes published versions beyond the newest KeepVersions after a successful
// release, never one an alias of the function routes to (primary or weighted), the
// target or the previous version. Failures are warnings: the release itself succeeded.
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
	var deleted, failed []string
	for i, v := range sortedVersions(versions) {
		if i < keep || inUse[v.Version] {
			continue
		}
		if err := fns.DeleteVersion(x.ctx, x.r.Function, v.Version); err != nil && !errors.Is(err, ErrNotFound) {
			failed = append(failed, v.Version+" ("+err.Error()+")")
			continue
		}
		deleted = append(deleted, v.Version)
	}
	x.res.DeletedVersions = deleted
	if len(deleted) > 0 {
		x.record(EventRetention, "kept the newest %d versions and those in use; deleted %s", keep, strings.Join(deleted, ", "))
	}
	if len(failed) > 0 {
		x.record(EventWarning, "retention could not delete %s", strings.Join(failed, ", "))
	}
}

// sortedVersions returns the numbered versions, newest first; $LATEST is dropped.
func sortedVersions(vs []Version) []Version {
	out := make([]Version, 0, len(vs))
	for _, v := range vs {
		if _, err := strconv.Atoi(v.Version); err == nil {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := strconv.Atoi(out[i].Version)
		b, _ := strconv.Atoi(out[j].Version)
		return a > b
	})
	return out
}
