package shift

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Rollback backoff: 1s, 2s, 4s, … capped, until the rollback's own deadline.
const (
	rollbackFirstBackoff = time.Second
	rollbackMaxBackoff   = 30 * time.Second
)

type rollbackOutcome struct {
	done     bool
	drift    *driftError // someone else moved the alias: the rollback did not touch it
	err      error       // the last error when it gave up
	attempts int
}

// rollback puts the alias back to the previous version with no weights, or deletes it when
// this release created it. It runs detached from the caller's context (which may be what
// ended the release) with its own deadline, retries through errors with backoff on the
// engine's clock, and verifies by reading the alias back. Every write is guarded.
func (x *run) rollback() rollbackOutcome {
	timeout := x.r.RollbackTimeout
	if timeout <= 0 {
		timeout = DefaultRollbackTimeout
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(x.ctx), timeout)
	defer cancel()
	// The context deadline bounds calls on the wall clock; this one bounds the retries on the
	// engine's clock, which is what tests move.
	giveUp := x.clock.Now().Add(timeout)

	if x.created {
		x.record(EventRollback, "deleting alias %s (this release created it)", x.r.Alias)
	} else {
		x.record(EventRollback, "rolling back to %s with no weights", x.previous)
	}
	backoff := rollbackFirstBackoff
	for attempt := 1; ; attempt++ {
		var err error
		if x.created {
			err = x.rollbackDelete(ctx)
		} else {
			err = x.rollbackUpdate(ctx)
		}
		var d *driftError
		switch {
		case err == nil:
			x.percent = 0
			if x.created {
				x.record(EventRollback, "alias %s deleted (verified)", x.r.Alias)
			} else {
				x.record(EventRollback, "alias %s serves %s with no weights (verified)", x.r.Alias, x.previous)
			}
			return rollbackOutcome{done: true, attempts: attempt}
		case errors.As(err, &d):
			x.record(EventTrip, "rollback stopped: %s", d.describe(x.r.Alias))
			return rollbackOutcome{drift: d, attempts: attempt}
		}
		if ctx.Err() != nil || !x.clock.Now().Add(backoff).Before(giveUp) {
			x.record(EventRollback, "attempt %d failed: %v; giving up after %d attempts", attempt, err, attempt)
			return rollbackOutcome{err: err, attempts: attempt}
		}
		x.record(EventRollback, "attempt %d failed: %v; retrying in %s", attempt, err, backoff)
		select {
		case <-ctx.Done():
			return rollbackOutcome{err: err, attempts: attempt}
		case <-x.clock.After(backoff):
		}
		backoff = min(2*backoff, rollbackMaxBackoff)
	}
}

// rollbackUpdate is one attempt at restoring the previous version. An earlier attempt's
// write may have landed even though it reported an error, so it starts by reading.
func (x *run) rollbackUpdate(ctx context.Context) error {
	cur, err := x.e.AWS.Aliases.GetAlias(ctx, x.r.Function, x.r.Alias)
	if errors.Is(err, ErrNotFound) {
		x.lastSeen, x.lastSeenGone = nil, true
		return &driftError{left: x.left, wrote: x.wrote}
	}
	if err != nil {
		return err
	}
	x.see(cur)
	home := aliasShape{version: x.previous}
	if home.matches(cur) {
		x.left, x.pending = home, nil
		return nil
	}
	if x.pending != nil && x.pending.matches(cur) {
		// The write that reported an error landed after all.
		x.left, x.pending, x.wrote = *x.pending, nil, true
	}
	if err := x.guardedUpdate(ctx, x.previous, nil); err != nil {
		return err
	}
	x.rollbackWrote = true
	got, err := x.e.AWS.Aliases.GetAlias(ctx, x.r.Function, x.r.Alias)
	if err != nil {
		return fmt.Errorf("verify the rollback: %w", err)
	}
	x.see(got)
	if !home.matches(got) {
		return &driftError{found: &got, left: x.left, wrote: x.wrote}
	}
	return nil
}

// rollbackDelete is one attempt at deleting the alias this release created.
func (x *run) rollbackDelete(ctx context.Context) error {
	aliases := x.e.AWS.Aliases
	cur, err := aliases.GetAlias(ctx, x.r.Function, x.r.Alias)
	if errors.Is(err, ErrNotFound) {
		x.lastSeen, x.lastSeenGone = nil, true
		return nil
	}
	if err != nil {
		return err
	}
	x.see(cur)
	if !x.left.matches(cur) {
		return &driftError{found: &cur, left: x.left, wrote: x.wrote}
	}
	if err := aliases.DeleteAlias(ctx, x.r.Function, x.r.Alias); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	_, err = aliases.GetAlias(ctx, x.r.Function, x.r.Alias)
	if errors.Is(err, ErrNotFound) {
		x.lastSeen, x.lastSeenGone = nil, true
		return nil
	}
	if err != nil {
		return fmt.Errorf("verify the deletion: %w", err)
	}
	return errors.New("alias still exists after DeleteAlias")
}

// rollbackFailedText says what the alias serves now, as last read, when the rollback could
// not finish.
func (x *run) rollbackFailedText(err error) string {
	now := "could not be read"
	switch {
	case x.lastSeenGone:
		now = "does not exist"
	case x.lastSeen != nil:
		now = "serves version " + shapeOf(*x.lastSeen).String()
	}
	return fmt.Sprintf("The rollback did not complete (%v). As last read, the alias %s %s.", err, x.r.Alias, now)
}

// finishRollbackText says how to finish the rollback by hand.
func (x *run) finishRollbackText() string {
	if x.created {
		return fmt.Sprintf("Run terraform apply again to finish the rollback, or: aws lambda delete-alias --function-name %s --name %s",
			x.r.Function, x.r.Alias)
	}
	return fmt.Sprintf("Run terraform apply again to finish the rollback, or: aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config '{}'",
		x.r.Function, x.r.Alias, x.previous)
}
