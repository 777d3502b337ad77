package shift

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file owns the lease: how a release in flight tells another release (another
// workspace, another pipeline) that the alias is taken, and how a crashed release is told
// from a live one.
//
// The lease lives in the alias's description, which safelambda owns: every write of a
// release records its id, who runs it and an expiry far enough ahead to cover what comes
// next before its next write (the step that follows, StepDuration; the hook that follows,
// hookBound; plus the lease slack); the release's last write clears it, and a hook retried
// after throttling renews it first. A release that finds a lease of another release that
// still holds refuses before changing anything. A lease that has run out, or whose holder
// process this process can see has ended, was left by a release that was interrupted: it
// is taken over, and the split it left is resumed or rolled back (adoptSplit).
//
// Why leases and not a background renewal: the expiry written with each write is a
// promise about a bounded piece of work the engine runs next (a step on its clock, a hook
// whose run Lambda ends at the function's timeout), so no goroutine has to race the
// release's own writes, and a killed release's lease runs out by itself.

// DefaultLeaseSlack is added to every lease beyond what follows the write, when
// Engine.LeaseSlack is zero: a gate check (SDK retries under throttling included) and the
// next write (Lambda's transient weights waited out first) fit in it. It is also how long
// a killed release keeps others off its alias at most, beyond that step or hook.
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
	// From is the version the alias served before the release (its rollback target):
	// what a release that takes over an interrupted one restores an alias to that the
	// interrupted release already promoted. "" on a first release and in leases written
	// before it was recorded.
	From   string
	Holder string // who runs it: the pipeline run, user@host and its process (NewHolder)
	Until  time.Time
}

var leaseRE = regexp.MustCompile(`^safelambda release (\S+)(?: from (\S+))? by (.*) until (\S+)$`)

// String is the alias description that records the lease (at most 256 characters, the
// limit of an alias description).
func (l Lease) String() string {
	from := ""
	if l.From != "" {
		from = " from " + l.From
	}
	return fitDescription(func(holder string) string {
		return fmt.Sprintf("safelambda release %s%s by %s until %s", l.ReleaseID, from, holder, l.Until.UTC().Format(time.RFC3339))
	}, l.Holder)
}

// ParseLease reads a lease from an alias description; ok is false when it holds none.
func ParseLease(description string) (Lease, bool) {
	m, until, ok := parseMark(leaseRE, description)
	if !ok {
		return Lease{}, false
	}
	return Lease{ReleaseID: m[1], From: m[2], Holder: m[3], Until: until}, true
}

// fitDescription formats an alias description, cutting the holder so that it fits in the
// 256 characters Lambda allows: the middle of who runs it is cut, never the process that
// holds it, which a reader needs whole to tell whether it has ended.
func fitDescription(format func(holder string) string, holder string) string {
	s := format(holder)
	if over := len(s) - maxDescription; over > 0 {
		s = format(cutHolder(holder, over))
	}
	return s
}

// maxDescription is the longest alias description Lambda takes (Description: 0 to 256).
const maxDescription = 256

// cutHolder shortens holder by at least over characters, cutting the middle of its
// human part (a pipeline URL keeps its start and its run id) and keeping its process.
func cutHolder(holder string, over int) string {
	head, tail := holder, ""
	if loc := processRE.FindStringIndex(holder); loc != nil {
		head, tail = holder[:loc[0]], holder[loc[0]:]
	}
	const cut = "..."
	keep := len(head) - over - len(cut)
	if keep <= 0 {
		// No room for any of the human part: the process alone, cut only if even it
		// cannot fit (which the fixed parts of a description never make happen).
		if rest := over - len(head); rest > 0 {
			tail = tail[min(len(tail), rest):]
		}
		return strings.TrimSpace(tail)
	}
	left := (keep + 1) / 2
	return strings.ToValidUTF8(head[:left]+cut+head[len(head)-(keep-left):], "") + tail
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

// NewHolder names who runs releases from this process, as leases and marks show it: the
// pipeline run when the caller knows it ("" when not), the user and host, and the process
// ("pid N start T ns K" where it can be checked, see thisProcess), which always comes last.
func NewHolder(run string) string {
	name := "unknown"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	who := fmt.Sprintf("%s@%s %s", name, hostname(), thisProcess())
	if run = strings.TrimSpace(run); run != "" {
		who = run + " on " + who
	}
	return who
}

func hostname() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		return "unknown-host"
	}
	return host
}

// process is the process that holds a lease: its id and, where a reader can check it,
// its start time and the key of the boot and namespaces its id belongs to (see
// lease_linux.go). Leases written before these were recorded carry the id alone.
type process struct {
	pid   int
	start string // clock ticks since boot, "" when not recorded
	ns    string // processKeyBytes bytes in hex, "" when not recorded
}

// processKeyBytes is how much of the namespace key a lease records: 48 bits tell apart
// the boots and namespaces a lease can meet, in 12 characters of the 256.
const processKeyBytes = 6

func (p process) String() string {
	if p.ns == "" {
		return fmt.Sprintf("pid %d", p.pid)
	}
	return fmt.Sprintf("pid %d start %s ns %s", p.pid, p.start, p.ns)
}

var processRE = regexp.MustCompile(`(?:^| )pid (\d+)(?: start (\d+) ns ([0-9a-f]{12}))?$`)

// parseProcess reads the process at the end of a holder; ok is false when it names none.
func parseProcess(holder string) (process, bool) {
	m := processRE.FindStringSubmatch(holder)
	if m == nil {
		return process{}, false
	}
	pid, err := strconv.Atoi(m[1])
	if err != nil {
		return process{}, false
	}
	return process{pid: pid, start: m[2], ns: m[3]}, true
}

// holderGone tells whether the process that holds a lease has ended. It is concluded only
// about a process this one can truly see (the same boot and namespaces, the same start
// time): a killed apply, a zombie left by a container with no init, or one whose rollback
// could not reach AWS leaves a lease no process will renew or clear. Anything else
// (another host or container, a holder that cannot be checked, an old lease) is alive.
func holderGone(holder string) bool {
	p, ok := parseProcess(holder)
	return ok && processGone(p)
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
	return NewHolder("")
}

// markFor is what a write of version puts in the description: the lease, with an expiry
// covering next (the hold that follows) and the slack from the write. The write that ends
// a release puts a Released mark instead, and a rollback's or a restore's a Restored one.
func (x *run) markFor(version string, next time.Duration) *aliasMark {
	if !x.ending {
		return &aliasMark{lease: &Lease{ReleaseID: x.res.DeploymentID, From: x.previous(), Holder: x.holder}, hold: next + x.e.leaseSlack()}
	}
	return &aliasMark{text: x.mark(version)}
}

// renewLease makes this release's lease cover next from now and at least half the slack
// after it, with a guarded write of the alias as this release left it (a lease of next
// plus the whole slack). The write just before a hook covers its first attempt, so only
// attempts that come after long throttling write again. A release that has not written
// the alias (a first release before its create) holds no lease.
func (x *run) renewLease(next time.Duration, doing string) *failure {
	g := x.guard
	if !g.wrote || x.ending || g.left.version == "" {
		return nil
	}
	if x.guard.leaseUntil.After(x.clock.Now().Add(next + x.e.leaseSlack()/2)) {
		return nil
	}
	x.record(EventHook, "lease renewed until %s", x.clock.Now().Add(next+x.e.leaseSlack()).UTC().Format(time.RFC3339))
	return x.write(g.left.version, g.left.weights, next, doing)
}

// resumedStepDuration is how long the step a resumed release holds first lasts: the step
// it was left at (held again in full), or the last step when it was left above them all.
func (x *run) resumedStepDuration() time.Duration {
	steps := x.r.Schedule.Steps
	for _, s := range steps {
		if s.Percent >= x.percent()-1e-9 {
			return StepDuration(s, x.r.MetricGates)
		}
	}
	if n := len(steps); n > 0 {
		return StepDuration(steps[n-1], x.r.MetricGates)
	}
	return 0
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
	if !ok || m.Restored || m.ReleaseID == x.r.LastDeploymentID || m.ReleaseID == x.r.LastReleasedID || m.Version != x.guard.found.FunctionVersion || m.Version == x.target.Version {
		return
	}
	x.flipFlop = fmt.Sprintf("alias %s served version %s, put there by release %s (run by %s) at %s, not by this configuration's last release %s: "+
		"if two configurations release onto alias %s, each apply undoes the other's; give each its own alias",
		x.r.Alias, m.Version, m.ReleaseID, m.Holder, m.At.UTC().Format(time.RFC3339), x.r.LastDeploymentID, x.r.Alias)
	x.record(EventWarning, "%s", x.flipFlop)
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

// leaseState is what a lease found on an alias means for another release or a destroy.
type leaseState int

const (
	leaseNone       leaseState = iota // no lease, or the caller's own
	leaseHeld                         // another release holds the alias: keep off it
	leaseOwnLast                      // the lease of this configuration's last release
	leaseRanOut                       // its expiry passed: that release was interrupted
	leaseHolderGone                   // its process has ended, as this process can see
)

// judgeLease reads the lease on an alias: ownID is the caller's release (its own lease is
// none), lastID this configuration's last release (one that failed and could not finish
// its rollback: the next apply finishes the job at once).
func (e *Engine) judgeLease(a *Alias, ownID, lastID string, now time.Time) (Lease, leaseState) {
	if a == nil {
		return Lease{}, leaseNone
	}
	l, ok := ParseLease(a.Description)
	switch {
	case !ok || l.ReleaseID == ownID:
		return Lease{}, leaseNone
	case lastID != "" && l.ReleaseID == lastID:
		return l, leaseOwnLast
	case !now.Before(l.Until):
		return l, leaseRanOut
	case e.holderGone(l.Holder):
		return l, leaseHolderGone
	}
	return l, leaseHeld
}

// otherLease returns the lease of another release on the alias as found, if any, and
// notes on the timeline why one that no longer holds it does not.
func (x *run) otherLease() (Lease, bool) {
	l, st := x.e.judgeLease(x.guard.found, x.res.DeploymentID, x.r.LastDeploymentID, x.clock.Now())
	until := l.Until.UTC().Format(time.RFC3339)
	switch st {
	case leaseNone:
		return Lease{}, false
	case leaseOwnLast:
		x.interruptedBy, x.interruptedWhy = fmt.Sprintf("this configuration's last release %s", l.ReleaseID), "it could not finish"
		x.record(EventWarning, "alias %s still holds the lease of this configuration's last release %s; taking it over", x.r.Alias, l.ReleaseID)
	case leaseRanOut:
		x.interruptedBy, x.interruptedWhy = fmt.Sprintf("release %s (run by %s)", l.ReleaseID, l.Holder), "its lease ran out at "+until
		x.record(EventWarning, "the lease of release %s (run by %s) ran out at %s: that release was interrupted; taking the alias over",
			l.ReleaseID, l.Holder, until)
	case leaseHolderGone:
		x.interruptedBy, x.interruptedWhy = fmt.Sprintf("release %s (run by %s)", l.ReleaseID, l.Holder), "its process has ended"
		x.record(EventWarning, "release %s (run by %s) holds the alias until %s, but its process on this host has ended: taking the alias over",
			l.ReleaseID, l.Holder, until)
	case leaseHeld:
		return l, true
	}
	return Lease{}, false
}

// checkLease refuses a release while another one holds the alias, and takes over a lease
// that no longer holds it.
func (x *run) checkLease() *failure {
	l, ok := x.otherLease()
	if !ok {
		return nil
	}
	now := x.clock.Now()
	return &failure{
		cause: fmt.Sprintf("alias %s is being released by %s (run by %s) until %s at the latest; nothing was changed",
			x.r.Alias, l.ReleaseID, l.Holder, l.Until.UTC().Format(time.RFC3339)),
		next: fmt.Sprintf("Wait for that release to finish and run terraform apply again. If it was killed, its lease runs out in %s (at %s); an apply after that takes the alias over. %s",
			formatOffset(l.Until.Sub(now)), l.Until.UTC().Format(time.RFC3339), clearLeaseHint(x.r.Function, x.r.Alias)),
		err: ErrConflict,
	}
}

// clearLeaseHint says how to clear by hand the lease of a release known to be dead.
func clearLeaseHint(function, alias string) string {
	return fmt.Sprintf("If you know that release is dead, clear its lease: aws lambda update-alias --function-name %s --name %s --description \"\"", function, alias)
}

// ErrLeaseHeld is returned (wrapped) by Remove while another release holds the alias.
var ErrLeaseHeld = errors.New("alias held by a release in flight")

// CheckRemovable refuses to remove an alias while another release holds its lease (the
// lease of lastDeploymentID, this configuration's own last release, does not count): a
// destroy must not pull the alias from under a release in flight. A missing alias is
// removable.
func (e *Engine) CheckRemovable(ctx context.Context, function, alias, lastDeploymentID string) error {
	a, err := e.AWS.Aliases.GetAlias(ctx, function, alias)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read alias %s of function %s: %w", alias, function, err)
	}
	l, st := e.judgeLease(&a, "", lastDeploymentID, e.clock().Now())
	if st != leaseHeld {
		return nil
	}
	return fmt.Errorf("%w: alias %s of function %s is being released by %s (run by %s) until %s at the latest; nothing was deleted. "+
		"Wait for that release to finish, or set skip_destroy = true to remove the resource from the state and keep the alias. %s",
		ErrLeaseHeld, alias, function, l.ReleaseID, l.Holder, l.Until.UTC().Format(time.RFC3339), clearLeaseHint(function, alias))
}
