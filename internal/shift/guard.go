package shift

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// This file owns the alias as one release (or one restore) knows it: as found, as last
// written, a write whose outcome is unknown, and as last seen; and every read and write of
// it. Every write is guarded: the alias must still be as this release last left it
// (version and weights compared, RevisionId passed), else nothing is written and a
// *driftError says what was found. The forward path and the rollback use the same guard.

// WeightTolerance is how far apart two routing weights (fractions of traffic, 0..1) may be
// and still be the same weight. Lambda's API takes and returns AdditionalVersionWeights as
// doubles from 0.0 to 1.0 but promises no stored precision, and a value that went through
// single precision comes back off by up to about 6e-8 (0.1 reads 0.10000000149). A schedule
// step is at most 6 decimals of a percent (1e-8 as a fraction), so 1e-6 (a ten-thousandth
// of a percent) tells any two steps apart and never reads a stored value as drift.
const WeightTolerance = 1e-6

// Lambda's own routing weights: while provisioned concurrency moves to a new version,
// Lambda shows weights on the alias for a while (terraform-provider-aws waits them out
// after every UpdateAlias without weights). They are waited for on the engine's clock.
const (
	transientPollInterval = 2 * time.Second
	transientWaitLimit    = 2 * time.Minute
)

// aliasShape is what the guard compares: the primary version and the weights.
type aliasShape struct {
	version string
	weights map[string]float64
}

func shapeOf(a Alias) aliasShape {
	return aliasShape{version: a.FunctionVersion, weights: nonZero(a.Weights)}
}

func (s aliasShape) matches(a Alias) bool {
	return s.version == a.FunctionVersion && sameWeights(s.weights, a.Weights)
}

func (s aliasShape) String() string { return aliasState(s.version, nonZero(s.weights)) }

// sameWeights compares two routing configurations within WeightTolerance; a zero weight
// is no weight.
func sameWeights(a, b map[string]float64) bool {
	a, b = nonZero(a), nonZero(b)
	if len(a) != len(b) {
		return false
	}
	for k, w := range a {
		if v, ok := b[k]; !ok || math.Abs(v-w) > WeightTolerance {
			return false
		}
	}
	return true
}

// nonZero drops weights that round to zero, which AWS treats as no routing to that version.
func nonZero(w map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(w))
	for k, v := range w {
		if math.Abs(v) > WeightTolerance {
			out[k] = v
		}
	}
	return out
}

func copyWeights(w map[string]float64) map[string]float64 {
	if len(w) == 0 {
		return nil
	}
	out := make(map[string]float64, len(w))
	for k, v := range w {
		out[k] = v
	}
	return out
}

// aliasGuard is the one owner of what a release knows about its alias.
type aliasGuard struct {
	aliases  Aliases
	clock    Clock
	function string
	alias    string
	// leaseUntil is the expiry of the lease this guard's last write put on the alias.
	leaseUntil time.Time
	// pace, when set, is waited on before every write (a group's shared pacing), and a
	// throttled write is then tried again (see groupThrottleRetries).
	pace func(ctx context.Context) error

	found   *Alias      // as the first read found it; nil when it did not exist
	left    aliasShape  // as this release last left it (as found until it writes)
	rev     string      // RevisionId of the alias as this release last wrote it
	wrote   bool        // this release has written the alias
	created bool        // this release created it: a rollback deletes it
	pending *aliasShape // a write whose outcome is unknown: it may have landed
	// restored says a restore changed what the alias serves.
	restored bool
	seen     *Alias // as last read or written; nil with gone when the last read found none
	gone     bool
}

func newGuard(aws AWS, clock Clock, function, alias string) *aliasGuard {
	return &aliasGuard{aliases: aws.Aliases, clock: clock, function: function, alias: alias}
}

// driftError says the alias is no longer as this release left it.
type driftError struct {
	found    *Alias // nil when the alias is gone or could not be read again
	conflict bool   // UpdateAlias refused the RevisionId
	left     aliasShape
	wrote    bool
}

func (d *driftError) Error() string { return d.describe("") }

func (d *driftError) describe(alias string) string {
	now := "no longer exists"
	if d.found != nil {
		now = "now serves " + shapeOf(*d.found).String()
	} else if d.conflict {
		now = "was written by someone else (its RevisionId changed)"
	}
	verb := "left it at"
	if !d.wrote {
		verb = "found it at"
	}
	return fmt.Sprintf("alias %s %s; this release %s %s; it was changed outside this release, which stopped without touching it",
		alias, now, verb, d.left)
}

func (g *aliasGuard) drift(found *Alias) *driftError {
	return &driftError{found: found, left: g.left, wrote: g.wrote}
}

// find reads the alias as the release finds it. A missing alias is not an error.
func (g *aliasGuard) find(ctx context.Context) (bool, error) {
	a, err := g.read(ctx)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	g.found = &a
	g.left = shapeOf(a)
	return true, nil
}

// exists says whether the alias existed when the release found it.
func (g *aliasGuard) exists() bool { return g.found != nil }

// read is one GetAlias, remembered as last seen.
func (g *aliasGuard) read(ctx context.Context) (Alias, error) {
	a, err := g.aliases.GetAlias(ctx, g.function, g.alias)
	switch {
	case errors.Is(err, ErrNotFound):
		g.seen, g.gone = nil, true
	case err == nil:
		g.see(a)
	}
	return a, err
}

func (g *aliasGuard) see(a Alias) {
	a.Weights = copyWeights(a.Weights)
	g.seen, g.gone = &a, false
}

// settled reads the alias and, when it differs from what this release left only by
// weights on a primary the release left without any, waits (bounded, on the engine's
// clock) for those weights to clear: Lambda shows such weights while provisioned
// concurrency moves to a new version. Another writer's weights do not clear and are
// judged as drift by the caller.
func (g *aliasGuard) settled(ctx context.Context, left aliasShape) (Alias, error) {
	a, err := g.read(ctx)
	if err != nil || left.matches(a) || !transientOf(left, a) {
		return a, err
	}
	deadline := g.clock.Now().Add(transientWaitLimit)
	if d, ok := ctx.Deadline(); ok && d.Add(-transientPollInterval).Before(deadline) {
		// End the wait before the context does, so the caller gets the alias to judge.
		deadline = d.Add(-transientPollInterval)
	}
	err = waitUntil(ctx, g.clock, deadline, transientPollInterval, func() (bool, error) {
		a, err = g.read(ctx)
		return err != nil || !transientOf(left, a), err
	})
	if errors.Is(err, errWaitTimedOut) {
		return a, nil // still weighted: the caller judges it
	}
	return a, err
}

// transientOf says whether a could be left by Lambda's own weights after a write of left:
// the same primary, which left had no weights on.
func transientOf(left aliasShape, a Alias) bool {
	return len(nonZero(left.weights)) == 0 && a.FunctionVersion == left.version && len(nonZero(a.Weights)) > 0
}

// write moves the alias to version with weights, if it is still as this release left it,
// with mark in its description (nil: the description is left as it is).
func (g *aliasGuard) write(ctx context.Context, version string, weights map[string]float64, mark *aliasMark) error {
	cur, err := g.settled(ctx, g.left)
	if errors.Is(err, ErrNotFound) {
		return g.drift(nil)
	}
	if err != nil {
		return err
	}
	if !g.left.matches(cur) {
		return g.drift(&cur)
	}
	return g.update(ctx, cur.RevisionID, version, weights, mark)
}

// update is the write itself, with the RevisionId the caller proved current.
func (g *aliasGuard) update(ctx context.Context, rev, version string, weights map[string]float64, mark *aliasMark) error {
	want := aliasShape{version: version, weights: copyWeights(weights)}
	g.pending = &want
	u := AliasUpdate{Function: g.function, Alias: g.alias, FunctionVersion: version, Weights: weights, RevisionID: rev}
	desc, until := mark.description(g.clock.Now())
	u.Description = desc
	a, err := g.paced(ctx, func() (Alias, error) { return g.aliases.UpdateAlias(ctx, u) })
	if errors.Is(err, ErrConflict) {
		g.pending = nil // refused: it did not land
		d := &driftError{conflict: true, left: g.left, wrote: g.wrote}
		if now, rerr := g.read(ctx); rerr == nil && !g.left.matches(now) {
			d.found = &now
		}
		return d
	}
	if errors.Is(err, ErrInvalidParameter) || errors.Is(err, ErrThrottled) {
		g.pending = nil // refused before it ran: it did not land
	}
	if err != nil {
		return err
	}
	g.landed(want, a.RevisionID)
	g.leaseUntil = until
	return nil
}

func (g *aliasGuard) landed(s aliasShape, rev string) {
	g.wrote = true
	g.left, g.pending, g.rev = s, nil, rev
	g.see(Alias{Name: g.alias, FunctionVersion: s.version, Weights: s.weights, RevisionID: rev})
}

// create makes the alias on version. An alias that exists already was created by someone
// else since the release found none: a *driftError.
func (g *aliasGuard) create(ctx context.Context, version string, mark *aliasMark) (Alias, error) {
	desc := ""
	d, until := mark.description(g.clock.Now())
	if d != nil {
		desc = *d
	}
	a, err := g.paced(ctx, func() (Alias, error) { return g.aliases.CreateAlias(ctx, g.function, g.alias, version, desc) })
	if errors.Is(err, ErrAlreadyExists) || errors.Is(err, ErrConflict) {
		d := &driftError{left: g.left}
		if now, rerr := g.read(ctx); rerr == nil {
			d.found = &now
		}
		return Alias{}, d
	}
	if err != nil {
		return Alias{}, err
	}
	g.created = true
	g.landed(aliasShape{version: version}, a.RevisionID)
	g.leaseUntil = until
	return a, nil
}

// release clears the lease at the end of a release: one write of the shape this release
// left, with the RevisionId of its own last write, so no read is needed. Anything else
// since then (another writer) keeps the alias as it is.
func (g *aliasGuard) release(ctx context.Context, mark *aliasMark) error {
	if !g.wrote || g.rev == "" {
		return nil
	}
	err := g.update(ctx, g.rev, g.left.version, g.left.weights, mark)
	var d *driftError
	if !errors.As(err, &d) || !d.conflict {
		return err
	}
	// Lambda's own weights after a version change move the RevisionId too: once they
	// clear, an alias still as this release left it is written with the new one.
	cur, err := g.settled(ctx, g.left)
	if err != nil {
		return err
	}
	if !g.left.matches(cur) {
		return g.drift(&cur)
	}
	return g.update(ctx, cur.RevisionID, g.left.version, g.left.weights, mark)
}

// restore is one attempt at putting the alias back on home with no weights. An earlier
// attempt's write, or a forward write whose outcome was unknown, may have landed after
// all, so it starts by reading. Lambda's own transient weights on what this release left
// are not drift: the write goes ahead over them.
func (g *aliasGuard) restore(ctx context.Context, home string, mark *aliasMark) error {
	want := aliasShape{version: home}
	cur, err := g.read(ctx)
	if errors.Is(err, ErrNotFound) {
		return g.drift(nil)
	}
	if err != nil {
		return err
	}
	// Home already, possibly with Lambda's own weights after an earlier attempt's write.
	if want.matches(cur) || g.wrote && want.matches(Alias{FunctionVersion: g.left.version, Weights: g.left.weights}) && transientOf(want, cur) {
		if _, leased := ParseLease(cur.Description); mark != nil && g.wrote && leased {
			// Home already, but this release's lease is still on it: clear it.
			if err := g.update(ctx, cur.RevisionID, home, nil, mark); err != nil {
				return err
			}
		}
		g.left, g.pending = want, nil
		return nil
	}
	if g.pending != nil && g.pending.matches(cur) {
		g.landed(*g.pending, cur.RevisionID) // the write that reported an error landed after all
	}
	if !g.left.matches(cur) && !transientOf(g.left, cur) {
		return g.drift(&cur)
	}
	if err := g.update(ctx, cur.RevisionID, home, nil, mark); err != nil {
		return err
	}
	g.restored = true
	got, err := g.settled(ctx, want)
	if err != nil {
		return fmt.Errorf("verify the rollback: %w", err)
	}
	if !want.matches(got) && !transientOf(want, got) {
		return g.drift(&got)
	}
	// Home; weights still shown are Lambda's own and clear by themselves.
	return nil
}

// remove is one attempt at deleting the alias this release created.
func (g *aliasGuard) remove(ctx context.Context) error {
	cur, err := g.read(ctx)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !g.left.matches(cur) && !transientOf(g.left, cur) {
		return g.drift(&cur)
	}
	if _, err := g.paced(ctx, func() (Alias, error) { return Alias{}, g.aliases.DeleteAlias(ctx, g.function, g.alias) }); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	if _, err = g.read(ctx); errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return fmt.Errorf("verify the deletion: %w", err)
	}
	return errors.New("alias still exists after DeleteAlias")
}

// seenText says what the alias served when last read: "serves version 3 with no weights",
// "does not exist", "could not be read".
func (g *aliasGuard) seenText() string {
	switch {
	case g.gone:
		return "does not exist"
	case g.seen != nil:
		return "serves version " + shapeOf(*g.seen).String()
	}
	return "could not be read"
}

// A group's write refused with a throttle (429 TooManyRequestsException, after the SDK's
// own retries) did not run: it is tried again up to groupThrottleRetries times, backing
// off from groupThrottleBackoff on the engine's clock and waiting for the pacer again.
const (
	groupThrottleRetries = 4
	groupThrottleBackoff = time.Second
)

// paced runs one alias write: as it is without a pacer, else after the pacer lets it
// go, tried again while throttled.
func (g *aliasGuard) paced(ctx context.Context, call func() (Alias, error)) (Alias, error) {
	if g.pace == nil {
		return call()
	}
	backoff := groupThrottleBackoff
	for attempt := 0; ; attempt++ {
		if err := g.pace(ctx); err != nil {
			return Alias{}, err
		}
		a, err := call()
		if !errors.Is(err, ErrThrottled) || attempt >= groupThrottleRetries {
			return a, err
		}
		if perr := pause(ctx, g.clock, backoff); perr != nil {
			return Alias{}, err
		}
		backoff *= 2
	}
}

// aliasMark is what a write puts in the alias's description, given to the guard as a
// value: the lease of a release in flight (its expiry set at the write: hold from then),
// or a fixed text (the mark a release or a restore leaves). A nil mark leaves the
// description as it is.
type aliasMark struct {
	lease *Lease        // ReleaseID and Holder; Until is set when the write goes out
	hold  time.Duration // how long the lease lasts from the write
	text  string        // when lease is nil
}

// description is the description a write at now carries, and the lease's expiry (zero
// for a mark).
func (m *aliasMark) description(now time.Time) (*string, time.Time) {
	if m == nil {
		return nil, time.Time{}
	}
	if m.lease == nil {
		s := m.text
		return &s, time.Time{}
	}
	l := *m.lease
	l.Until = now.Add(m.hold)
	s := l.String()
	return &s, l.Until
}
