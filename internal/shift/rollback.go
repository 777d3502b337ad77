package shift

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// This file owns the rollback: putting the alias back on the previous version with no
// weights (or deleting the alias a first release created), with its own budget.

// The rollback's own budget: it runs detached from the caller's context until its own
// deadline, one attempt at a time, each bounded by rollbackAttemptTimeout so that one call
// and the SDK's retries inside it cannot use the whole budget; between attempts it backs
// off 1s, 2s, 4s, … up to rollbackMaxBackoff on the engine's clock.
const (
	rollbackFirstBackoff   = time.Second
	rollbackMaxBackoff     = 30 * time.Second
	rollbackAttemptTimeout = 20 * time.Second
)

type rollbackOutcome struct {
	done  bool
	moved bool        // the rollback changed what the alias serves
	drift *driftError // someone else moved the alias: the rollback did not touch it
	err   error       // the last error when it gave up
}

// rollback undoes the release: back to the version the alias served before, or deleting
// the alias this release created.
func (x *run) rollback() rollbackOutcome {
	x.ending, x.undoing = true, true // whatever the rollback writes clears the lease
	if x.guard.created {
		return x.rollbackTo("")
	}
	return x.rollbackTo(x.previous())
}

// rollbackTo puts the alias on home with no weights ("" deletes the alias this run
// created). Every write is guarded; each attempt starts by reading, since an earlier
// attempt may have landed although it reported an error.
func (x *run) rollbackTo(home string) rollbackOutcome {
	timeout := x.r.RollbackTimeout
	if timeout <= 0 {
		timeout = DefaultRollbackTimeout
	}
	ctx, cancel := x.detached(timeout)
	defer cancel()
	// The context's deadline bounds calls on the wall clock; this one bounds the retries
	// on the engine's clock, which is what tests move.
	giveUp := x.clock.Now().Add(timeout)

	if home == "" {
		x.record(EventRollback, "deleting alias %s (this release created it)", x.r.Alias)
	} else {
		x.record(EventRollback, "rolling back to %s with no weights", home)
	}
	backoff := rollbackFirstBackoff
	for attempt := 1; ; attempt++ {
		err := x.rollbackAttempt(ctx, home)
		var d *driftError
		switch {
		case err == nil:
			if home == "" {
				x.guard.left = aliasShape{}
				x.record(EventRollback, "alias %s deleted (verified)", x.r.Alias)
			} else {
				x.record(EventRollback, "alias %s serves %s with no weights (verified)", x.r.Alias, home)
			}
			return rollbackOutcome{done: true, moved: home == "" || x.guard.restored}
		case errors.As(err, &d):
			x.record(EventTrip, "rollback stopped: %s", d.describe(x.r.Alias))
			return rollbackOutcome{drift: d}
		}
		if ctx.Err() != nil || !x.clock.Now().Add(backoff).Before(giveUp) {
			x.record(EventRollback, "attempt %d failed: %v; giving up after %d attempts", attempt, err, attempt)
			return rollbackOutcome{err: err}
		}
		x.record(EventRollback, "attempt %d failed: %v; retrying in %s", attempt, err, backoff)
		if pause(ctx, x.clock, backoff) != nil {
			return rollbackOutcome{err: err}
		}
		backoff = min(2*backoff, rollbackMaxBackoff)
	}
}

func (x *run) rollbackAttempt(ctx context.Context, home string) error {
	ctx, cancel := context.WithTimeout(ctx, rollbackAttemptTimeout)
	defer cancel()
	if home == "" {
		return x.guard.remove(ctx)
	}
	return x.guard.restore(ctx, home, x.markFor(home, 0))
}

// rollbackFailedText says what the alias serves now, as last read, when the rollback could
// not finish.
func (x *run) rollbackFailedText(err error) string {
	return fmt.Sprintf("The rollback did not complete (%v). As last read, the alias %s %s.", err, x.r.Alias, x.guard.seenText())
}

// finishRollbackText says how to finish the rollback by hand.
func (x *run) finishRollbackText() string {
	if x.guard.created {
		return fmt.Sprintf("Run terraform apply again to finish the rollback, or: aws lambda delete-alias --function-name %s --name %s",
			x.r.Function, x.r.Alias)
	}
	return fmt.Sprintf("Run terraform apply again to finish the rollback, or: aws lambda update-alias --function-name %s --name %s --function-version %s --routing-config '{}'",
		x.r.Function, x.r.Alias, x.previous())
}
