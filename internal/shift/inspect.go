package shift

import (
	"context"
	"errors"
	"fmt"
)

// Inspect reports what an alias serves now, for Terraform's Read: the function, the
// alias's primary version and weights, and the primary version's code hash. A missing
// function or alias is an error wrapping ErrNotFound.
func (e *Engine) Inspect(ctx context.Context, function, alias string) (Live, error) {
	fn, err := e.AWS.Functions.GetFunction(ctx, function)
	if errors.Is(err, ErrNotFound) {
		return Live{}, fmt.Errorf("function %s: %w", function, ErrNotFound)
	}
	if err != nil {
		return Live{}, fmt.Errorf("read function %s: %w", function, err)
	}
	a, err := e.AWS.Aliases.GetAlias(ctx, function, alias)
	if errors.Is(err, ErrNotFound) {
		return Live{Function: fn}, fmt.Errorf("alias %s of function %s: %w", alias, fn.Name, ErrNotFound)
	}
	if err != nil {
		return Live{Function: fn}, fmt.Errorf("read alias %s of function %s: %w", alias, fn.Name, err)
	}
	live := Live{Function: fn, AliasARN: a.ARN, Version: a.FunctionVersion, Weights: copyWeights(nonZero(a.Weights))}
	v, err := e.AWS.Functions.GetVersion(ctx, function, a.FunctionVersion)
	if err != nil {
		return live, fmt.Errorf("read version %s of function %s: %w", a.FunctionVersion, fn.Name, err)
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
