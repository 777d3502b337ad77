package shift

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file owns what the provider asks outside a release: what an alias serves now
// (refresh) and removing it (destroy).

// Known is a version whose code hash the caller already holds (from state). A published
// version's code never changes, so Inspect need not ask for it again.
type Known struct {
	Version    string
	CodeSha256 string
	// Configuration is Version's configuration when the caller keeps it (nil: not kept).
	Configuration Configuration
	// Latest asks for $LATEST too: its code hash, and the settings in which its
	// configuration differs from the served version's (Live.ConfigurationDrift).
	Latest bool
}

// inspectTransientLimit bounds how long Inspect waits for Lambda's own routing weights to
// clear: a refresh should not stall for long behind an alias someone else split.
const inspectTransientLimit = 30 * time.Second

// Inspect reports what an alias serves now, for Terraform's Read: the alias's primary
// version and weights, and the primary version's code hash. A missing function or alias
// is an error wrapping ErrNotFound. It costs one GetAlias call, a GetVersion call only when
// the alias serves a version other than known (or known.Latest needs its configuration),
// and one for $LATEST when known.Latest asks.
//
// Weights on an alias a finished release left on its primary (its Released mark) are what
// Lambda shows for a while after a version change on an alias with provisioned
// concurrency: Inspect waits for them to clear (up to inspectTransientLimit) rather than
// report a pending release. A split left by a release carries its lease and is reported at
// once.
func (e *Engine) Inspect(ctx context.Context, function, alias string, known Known) (Live, error) {
	// GetAlias answers not-found for a missing function as for a missing alias.
	g := newGuard(e.AWS, e.clock(), function, alias)
	a, err := g.read(ctx)
	if errors.Is(err, ErrNotFound) {
		return Live{}, fmt.Errorf("alias %s of function %s: %w", alias, function, ErrNotFound)
	}
	if err != nil {
		return Live{}, fmt.Errorf("read alias %s of function %s: %w", alias, function, err)
	}
	if settling(a) {
		primary := aliasShape{version: a.FunctionVersion}
		err = waitUntil(ctx, g.clock, g.clock.Now().Add(inspectTransientLimit), transientPollInterval, func() (bool, error) {
			a, err = g.read(ctx)
			return err != nil || !transientOf(primary, a), err
		})
		if err != nil && !errors.Is(err, errWaitTimedOut) {
			return Live{}, fmt.Errorf("read alias %s of function %s: %w", alias, function, err)
		}
	}
	live := Live{
		AliasARN: a.ARN,
		Version:  a.FunctionVersion,
		Weights:  copyWeights(nonZero(a.Weights)),
		Writer:   writer(a.Description),
	}
	if l, ok := ParseLease(a.Description); ok && len(live.Weights) == 0 && l.From != "" && l.From != a.FunctionVersion {
		live.PromotedFrom = l.From
	}
	served := Version{Version: a.FunctionVersion, CodeSha256: known.CodeSha256, Configuration: known.Configuration}
	if known.Version != a.FunctionVersion || known.CodeSha256 == "" || (known.Latest && known.Configuration == nil) {
		served, err = e.AWS.Functions.GetVersion(ctx, function, a.FunctionVersion)
		if err != nil {
			return live, fmt.Errorf("read version %s of function %s: %w", a.FunctionVersion, function, err)
		}
		if known.Version == a.FunctionVersion && SameCodeSha256(known.CodeSha256, served.CodeSha256) {
			// The same digest as recorded, in the spelling the configuration wrote it
			// (sha256:…, upper case): no diff where nothing changed.
			served.CodeSha256 = known.CodeSha256
		}
	}
	live.CodeSha256, live.Configuration = served.CodeSha256, served.Configuration
	if !known.Latest {
		return live, nil
	}
	latest, lerr := e.AWS.Functions.GetVersion(ctx, function, "$LATEST")
	if lerr != nil {
		// Only the plan's hints need it: the alias itself was read, so what is live is
		// reported without them.
		return live, nil //nolint:nilerr // a failed hint read is no failed refresh
	}
	live.LatestCodeSha256 = latest.CodeSha256
	if SameCodeSha256(latest.CodeSha256, served.CodeSha256) {
		// With other code in $LATEST, its configuration cannot be released with this code.
		live.ConfigurationDrift = ConfigurationDiff(served.Configuration, latest.Configuration)
	}
	return live, nil
}

// Remove deletes the alias (destroy), unless another release holds its lease (see
// CheckRemovable; lastDeploymentID is this configuration's last release). Published
// versions stay. An alias or function already gone is success.
func (e *Engine) Remove(ctx context.Context, function, alias, lastDeploymentID string) error {
	if err := e.CheckRemovable(ctx, function, alias, lastDeploymentID); err != nil {
		return err
	}
	err := e.AWS.Aliases.DeleteAlias(ctx, function, alias)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete alias %s of function %s: %w", alias, function, err)
	}
	return nil
}
