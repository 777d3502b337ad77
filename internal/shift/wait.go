package shift

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file owns waiting: every hold, backoff and poll of the engine goes through pause
// on the injected clock, and waiting for a state goes through waitUntil, in the
// find → status → wait shape terraform-provider-aws uses for Lambda
// (internal/service/lambda: findFunctionConfigurationByName, statusFunctionState,
// waitFunctionUpdated, waitVersionActive …).

// errWaitTimedOut is waitUntil's answer when the deadline came first.
var errWaitTimedOut = errors.New("timed out waiting")

// pause waits for d on the clock, or until ctx ends (its error is returned).
func pause(ctx context.Context, clock Clock, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}

// waitUntil calls done every interval until it reports true or an error, until deadline
// (errWaitTimedOut) or until ctx ends. done is first called after one interval: the caller
// has just looked.
//
//nolint:unparam // the transient-weight and Lambda-state intervals are separate settings that are equal today
func waitUntil(ctx context.Context, clock Clock, deadline time.Time, interval time.Duration, done func() (bool, error)) error {
	for {
		left := deadline.Sub(clock.Now())
		if left <= 0 {
			return errWaitTimedOut
		}
		if err := pause(ctx, clock, min(interval, left)); err != nil {
			return err
		}
		ok, err := done()
		if err != nil || ok {
			return err
		}
	}
}

// Lambda version and function states (Lambda developer guide, "Lambda function states").
const (
	stateActive     = "Active"
	statePending    = "Pending"
	stateInactive   = "Inactive"
	updateInProcess = "InProgress"
	updateFailed    = "Failed"
)

// Waiting for Lambda: a published version to become Active (VPC and SnapStart versions
// are built asynchronously), $LATEST to finish an update before it can be published.
const (
	lambdaPollInterval = 2 * time.Second
	lambdaWaitLimit    = 5 * time.Minute
)

// findVersion reads one version (or $LATEST) of a function.
func findVersion(ctx context.Context, fns Functions, function, version string) (Version, error) {
	return fns.GetVersion(ctx, function, version)
}

// versionState is a version's State, "" read as Active.
func versionState(v Version) string {
	if v.State == "" {
		return stateActive
	}
	return v.State
}

// waitVersionActive waits while the version is Pending, up to lambdaWaitLimit and the
// context's deadline. It returns the version as last read; a state other than Active or
// Pending is for the caller to judge.
func waitVersionActive(ctx context.Context, clock Clock, fns Functions, function string, v Version) (Version, error) {
	if versionState(v) != statePending {
		return v, nil
	}
	err := waitUntil(ctx, clock, waitDeadline(ctx, clock), lambdaPollInterval, func() (bool, error) {
		nv, err := findVersion(ctx, fns, function, v.Version)
		if err != nil {
			return false, err
		}
		v = nv
		return versionState(v) != statePending, nil
	})
	if errors.Is(err, errWaitTimedOut) {
		return v, fmt.Errorf("version %s is still Pending after %s: %w", v.Version, lambdaWaitLimit, err)
	}
	return v, err
}

// waitFunctionUpdated waits while $LATEST's LastUpdateStatus is InProgress (PublishVersion
// answers "An update is in progress" until then), up to lambdaWaitLimit and the context's
// deadline. It returns $LATEST as last read.
func waitFunctionUpdated(ctx context.Context, clock Clock, fns Functions, function string) (Version, error) {
	latest, err := findVersion(ctx, fns, function, "$LATEST")
	if err != nil || latest.LastUpdateStatus != updateInProcess {
		return latest, err
	}
	err = waitUntil(ctx, clock, waitDeadline(ctx, clock), lambdaPollInterval, func() (bool, error) {
		latest, err = findVersion(ctx, fns, function, "$LATEST")
		return err == nil && latest.LastUpdateStatus != updateInProcess, err
	})
	if errors.Is(err, errWaitTimedOut) {
		return latest, fmt.Errorf("the function's last update is still InProgress after %s: %w", lambdaWaitLimit, err)
	}
	return latest, err
}

// waitDeadline is lambdaWaitLimit from now, or the context's deadline when sooner.
func waitDeadline(ctx context.Context, clock Clock) time.Time {
	deadline := clock.Now().Add(lambdaWaitLimit)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	return deadline
}
