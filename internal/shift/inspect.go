package shift

import (
	"context"
	"errors"
	"fmt"
)

// Known is a version whose code hash the caller already holds (from state). A published
// version's code never changes, so Inspect need not ask for it again.
type Known struct {
	Version    string
	CodeSha256 string
}

// Inspect reports what an alias serves now, for Terraform's Read: the function, the
// alias's primary version and weights, and the primary version's code hash. A missing
// function or alias is an error wrapping ErrNotFound. It costs one GetAlias call, and a
// GetVersion call only when the alias serves a version other than known.
func (e *Engine) Inspect(ctx context.Context, function, alias string, known Known) (Live, error) {
	// GetAlias answers not-found for a missing function as for a missing alias.
	a, err := e.AWS.Aliases.GetAlias(ctx, function, alias)
	if errors.Is(err, ErrNotFound) {
		return Live{}, fmt.Errorf("alias %s of function %s: %w", alias, function, ErrNotFound)
	}
	if err != nil {
		return Live{}, fmt.Errorf("read alias %s of function %s: %w", alias, function, err)
	}
	live := Live{
		Function: functionOf(Version{ARN: a.ARN}),
		AliasARN: a.ARN,
		Version:  a.FunctionVersion,
		Weights:  copyWeights(nonZero(a.Weights)),
	}
	if known.Version == a.FunctionVersion && known.CodeSha256 != "" {
		live.CodeSha256 = known.CodeSha256
		return live, nil
	}
	v, err := e.AWS.Functions.GetVersion(ctx, function, a.FunctionVersion)
	if err != nil {
		return live, fmt.Errorf("read version %s of function %s: %w", a.FunctionVersion, function, err)
	}
	live.CodeSha256 = v.CodeSha256
	return live, nil
}

// Remove deletes the alias (destroy). Published versions stay. An alias or function
// already gone is success.
func (e *Engine) Remove(ctx context.Context, function, alias string) error {
	err := e.AWS.Aliases.DeleteAlias(ctx, function, alias)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete alias %s of function %s: %w", alias, function, err)
	}
	return nil
}
