package shift

import (
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"time"
)

// This file owns the lease: how a release in flight tells another release (another
// workspace, another pipeline) that the alias is taken, and how a crashed release is told
// from a live one.
//
// The lease lives in the alias's description, which safelambda owns: every write of a
// release records its id, who runs it and an expiry far enough ahead to cover what comes
// next (the hold that follows the write, plus the lease slack); the release's last write
// clears it. A release that finds a lease of another release that has not run out refuses
// before changing anything. A lease that has run out was left by a release that was killed:
// it is taken over, and the split it left is resumed or restored.

// DefaultLeaseSlack is added to every lease beyond the hold that follows the write, when
// Engine.LeaseSlack is zero: the longest a hook can run (a Lambda invocation lasts at most
// 15 minutes) covers a hook, a gate check and a rollback. It is also how long a killed
// release keeps others off its alias at most, beyond its hold.
const DefaultLeaseSlack = 15 * time.Minute

func (e *Engine) leaseSlack() time.Duration {
	if e.LeaseSlack > 0 {
		return e.LeaseSlack
	}
	return DefaultLeaseSlack
}

// Lease is a release in flight, as recorded on its alias.
type Lease struct {
	ReleaseID string
	Holder    string // who runs it: user@host
	Until     time.Time
}

var leaseRE = regexp.MustCompile(`^safelambda release (\S+) by (.*) until (\S+)$`)

// String is the alias description that records the lease (at most 256 characters, the
// limit of an alias description).
func (l Lease) String() string {
	return fitDescription(func(holder string) string {
		return fmt.Sprintf("safelambda release %s by %s until %s", l.ReleaseID, holder, l.Until.UTC().Format(time.RFC3339))
	}, l.Holder)
}

// ParseLease reads a lease from an alias description; ok is false when it holds none.
func ParseLease(description string) (Lease, bool) {
	m, until, ok := parseMark(leaseRE, description)
	if !ok {
		return Lease{}, false
	}
	return Lease{ReleaseID: m[1], Holder: m[2], Until: until}, true
}

// fitDescription formats an alias description, cutting the holder so that it fits in the
// 256 characters Lambda allows.
func fitDescription(format func(holder string) string, holder string) string {
	s := format(holder)
	if over := len(s) - 256; over > 0 {
		s = format(holder[:max(0, len(holder)-over)])
	}
	return s
}

// parseMark matches a description against re, whose last group is an RFC 3339 time.
func parseMark(re *regexp.Regexp, description string) ([]string, time.Time, bool) {
	m := re.FindStringSubmatch(description)
	if m == nil {
		return nil, time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, m[len(m)-1])
	return m, t, err == nil
}

// defaultHolder names who runs a release: user@host and the provider's process id, so
// that a later release on the same host can tell a killed release from a live one.
func defaultHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	return fmt.Sprintf("%s@%s pid %d", name, hostname(), os.Getpid())
}

func hostname() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "unknown-host"
	}
	return host
}

var holderRE = regexp.MustCompile(`^[^@]*@(\S+) pid (\d+)$`)

// holderGone tells whether the process that holds a lease has ended, which can only be
// known for a holder on this host: a killed apply, or one whose rollback could not reach
// AWS, leaves a lease that no process will renew or clear. Anything else (another host,
// a process that still runs, a holder this version did not write) is taken as alive.
func holderGone(holder string) bool {
	m := holderRE.FindStringSubmatch(holder)
	if m == nil || m[1] != hostname() {
		return false
	}
	pid, err := strconv.Atoi(m[2])
	if err != nil || pid == os.Getpid() {
		return false
	}
	return processGone(pid)
}

func (e *Engine) holderGone(holder string) bool {
	if e.HolderGone != nil {
		return e.HolderGone(holder)
	}
	return holderGone(holder)
}

func (e *Engine) holder() string {
	if e.Holder != "" {
		return e.Holder
	}
	return defaultHolder()
}

// leaseFor returns the description a write of version carries: the lease, with an expiry
// covering next (the hold that follows) and the slack. The write that ends a release
// replaces it with a Released mark, and a rollback's or a restore's with a Restored one.
func (x *run) leaseFor(version string, next time.Duration) *string {
	var s string
	if !x.ending {
		s = Lease{ReleaseID: x.res.DeploymentID, Holder: x.holder, Until: x.clock.Now().Add(next + x.e.leaseSlack())}.String()
	} else {
		s = x.mark(version)
	}
	return &s
}

// Released marks the alias with the release that last put a version on it, so that two
// configurations releasing onto one alias, each undoing the other at every apply, can be
// told apart from a release of this configuration; and so that weights Lambda shows after
// the version change are known for its own (see settling); and so that a rollback without
// a version returns to what the alias served before (see PreviousOf).
type Released struct {
	Version string
	// From is the version the alias served before: the one a release moved it off, or the
	// one a rollback or a restore took traffic off. "" on a first release, after a release
	// undone before its version took traffic, and in marks written before it was recorded.
	From      string
	ReleaseID string
	Holder    string
	At        time.Time
	Restored  bool // a rollback or a restore put Version back
}

var releasedRE = regexp.MustCompile(`^safelambda (released|restored) version (\S+)(?: from (\S+))? in (\S+) by (.*) at (\S+)$`)

func (r Released) String() string {
	verb := "released"
	if r.Restored {
		verb = "restored"
	}
	from := ""
	if r.From != "" {
		from = " from " + r.From
	}
	return fitDescription(func(holder string) string {
		return fmt.Sprintf("safelambda %s version %s%s in %s by %s at %s", verb, r.Version, from, r.ReleaseID, holder, r.At.UTC().Format(time.RFC3339))
	}, r.Holder)
}

// ParseReleased reads a Released mark from an alias description (with or without From).
func ParseReleased(description string) (Released, bool) {
	m, at, ok := parseMark(releasedRE, description)
	if !ok {
		return Released{}, false
	}
	return Released{Version: m[2], From: m[3], ReleaseID: m[4], Holder: m[5], At: at, Restored: m[1] == "restored"}, true
}

// checkFlipFlop notes when the alias serves what another release put there, not this
// configuration's last release: two configurations releasing different versions onto one
// alias undo each other at every apply.
func (x *run) checkFlipFlop() {
	if x.r.LastDeploymentID == "" || x.guard.found == nil {
		return
	}
	m, ok := ParseReleased(x.guard.found.Description)
	if !ok || m.Restored || m.ReleaseID == x.r.LastDeploymentID || m.Version != x.guard.found.FunctionVersion || m.Version == x.target.Version {
		return
	}
	x.flipFlop = fmt.Sprintf("alias %s served version %s, put there by release %s (run by %s) at %s, not by this configuration's last release %s: "+
		"if two configurations release onto alias %s, each apply undoes the other's; give each its own alias",
		x.r.Alias, m.Version, m.ReleaseID, m.Holder, m.At.UTC().Format(time.RFC3339), x.r.LastDeploymentID, x.r.Alias)
	x.record(EventWarning, "%s", x.flipFlop)
}

// otherLease returns the lease of another release on the alias as found, if any. The
// lease of this configuration's own last release (one that failed and could not finish
// its rollback) is not another's: the next apply finishes the job at once.
func (x *run) otherLease() (Lease, bool) {
	if x.guard.found == nil {
		return Lease{}, false
	}
	l, ok := ParseLease(x.guard.found.Description)
	if !ok || l.ReleaseID == x.res.DeploymentID {
		return Lease{}, false
	}
	if l.ReleaseID == x.r.LastDeploymentID {
		x.record(EventWarning, "alias %s still holds the lease of this configuration's last release %s; taking it over", x.r.Alias, l.ReleaseID)
		return Lease{}, false
	}
	return l, true
}

// settleFound waits out weights on an alias a finished release left on one version (its
// Released mark names the primary): they are Lambda's own, shown while provisioned
// concurrency moves after the version change, until they outlast the bound and are judged
// as a split like any other. A split left by a release carries its lease instead.
func (x *run) settleFound() *failure {
	g := x.guard
	if g.found == nil || !settling(*g.found) {
		return nil
	}
	a, err := g.settled(x.ctx, aliasShape{version: g.found.FunctionVersion})
	if err != nil {
		return x.apiFailure(err, "read alias "+x.r.Alias)
	}
	if len(nonZero(a.Weights)) == 0 {
		x.record(EventPoll, "alias %s showed %s without a release's lease; Lambda's own weights cleared", x.r.Alias, shapeOf(*g.found))
	}
	g.found, g.left = &a, shapeOf(a)
	return nil
}

// settling says whether the weights on a are likely Lambda's own: a finished release left
// it on its primary with no weights.
func settling(a Alias) bool {
	m, ok := ParseReleased(a.Description)
	return ok && m.Version == a.FunctionVersion && len(nonZero(a.Weights)) > 0
}

// checkLease refuses a release while another one holds the alias, and takes over a lease
// that ran out.
func (x *run) checkLease() *failure {
	l, ok := x.otherLease()
	if !ok {
		return nil
	}
	now := x.clock.Now()
	if now.Before(l.Until) && x.e.holderGone(l.Holder) {
		x.record(EventWarning, "release %s (run by %s) holds the alias until %s, but its process on this host has ended: taking the alias over",
			l.ReleaseID, l.Holder, l.Until.UTC().Format(time.RFC3339))
		return nil
	}
	if now.Before(l.Until) {
		return &failure{
			cause: fmt.Sprintf("alias %s is being released by %s (run by %s) until %s at the latest; nothing was changed",
				x.r.Alias, l.ReleaseID, l.Holder, l.Until.UTC().Format(time.RFC3339)),
			next: fmt.Sprintf("Wait for that release to finish and run terraform apply again. If it was killed, its lease runs out in %s (at %s); an apply after that takes the alias over.",
				formatOffset(l.Until.Sub(now)), l.Until.UTC().Format(time.RFC3339)),
			err: ErrConflict,
		}
	}
	x.record(EventWarning, "the lease of release %s (run by %s) ran out at %s: that release was interrupted; taking the alias over",
		l.ReleaseID, l.Holder, l.Until.UTC().Format(time.RFC3339))
	return nil
}
