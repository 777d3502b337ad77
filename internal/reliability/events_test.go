package reliability

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// eventNames lists the events read back as "Release Started/InProgress", … with their
// detail's status.
func eventNames(events []acctest.QueuedEvent) string {
	var out []string
	for _, e := range events {
		var d struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(e.Detail, &d)
		out = append(out, e.DetailType+"/"+d.Status)
	}
	return strings.Join(out, ", ")
}

// EventBridge is unreachable for the whole release: the canary goes through to the end,
// the apply succeeds, and its output warns that the events could not be put, naming the
// bus. Once EventBridge is back, the next release's events go out.
func TestEvents_busDownNeverFailsARelease(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	p := acctest.StartProxy(t)
	q := acctest.NewEventQueue(t, "")
	// Every service, EventBridge included, goes through the proxy.
	provider := strings.Replace(endpointsAt(p.URL(), ""), "  endpoints {\n", fmt.Sprintf("  endpoints {\n    events     = %q\n", p.URL()), 1)
	fn, w, r := released(t, release{Provider: provider, Extra: fmt.Sprintf("  events = { event_bus = %q }\n", q.Bus)})
	if got := eventNames(q.Drain(t)); got != "Release Started/InProgress, Release Promoted/InProgress, Release Finished/Succeeded" {
		t.Fatalf("events of the first release: %s", got)
	}
	r.Shift = `{ steps = [{ percentage = 10, hold = "2s" }] }`
	setConfig(t, w, r.HCL())

	p.SetOutage("EventBridge", true)
	start := time.Now()
	out := apply(t, w)
	t.Logf("apply with EventBridge down: %s", time.Since(start).Round(time.Millisecond))
	expectAlias(t, fn, "2")
	expectOutput(t, out.String(),
		`Warning: Release of `+fn+`:live went on through 1 note`,
		`4 of 4 release events could not be put on event bus `+q.Bus+` `,
		`the release itself was not affected`,
	)
	if got := q.Drain(t); len(got) != 0 {
		t.Errorf("events arrived while EventBridge was down: %s", eventNames(got))
	}

	p.SetOutage("EventBridge", false)
	acctest.UpdateCode(t, fn, "v3")
	r.Code = acctest.HandlerCodeSha256("v3")
	setConfig(t, w, r.HCL())
	start = time.Now()
	out = apply(t, w)
	t.Logf("the same apply with EventBridge up: %s", time.Since(start).Round(time.Millisecond))
	if strings.Contains(out.String(), "could not be put") {
		t.Errorf("warning after EventBridge came back:\n%s", out)
	}
	if got := eventNames(q.Drain(t)); got != "Release Started/InProgress, Release Step/InProgress, Release Promoted/InProgress, Release Finished/Succeeded" {
		t.Errorf("events once EventBridge is back: %s", got)
	}
}

// Ctrl-C during a hold: the release's context is cancelled, yet the trip, the rollback
// and the end still reach the bus (they are put on a detached context, like the rollback).
func TestEvents_sigintStillAnnouncesTheRollback(t *testing.T) {
	t.Parallel()
	acctest.PreCheck(t)
	q := acctest.NewEventQueue(t, "")
	fn, w, r := released(t, release{Extra: fmt.Sprintf("  events = { event_bus = %q }\n", q.Bus)})
	q.Drain(t)
	r.Shift = `{ steps = [{ percentage = 10, hold = "30s" }] }`
	setConfig(t, w, r.HCL())

	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitSplit(t, fn, exited, out)
	// The split is seen as soon as the write lands; the step is announced when the write
	// returns. Interrupt once it was, so the test does not race the announcement (an
	// interrupt between the two gives no step event, which is right: the engine cannot
	// know its write landed).
	var got []acctest.QueuedEvent
	for deadline := time.Now().Add(25 * time.Second); !strings.Contains(eventNames(got), "Release Step") && time.Now().Before(deadline); {
		got = append(got, q.Drain(t)...)
	}
	if err := acctest.SignalGroup(cmd, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	<-exited
	expectAlias(t, fn, "1")
	got = append(got, q.Drain(t)...)
	sort.SliceStable(got, func(i, j int) bool { return eventSequence(got[i]) < eventSequence(got[j]) })
	if names := eventNames(got); names != "Release Started/InProgress, Release Step/InProgress, Release Tripped/InProgress, Release Rolled Back/InProgress, Release Finished/RolledBack" {
		t.Fatalf("events: %s\n%s", names, out)
	}
	var trip struct {
		Cause string `json:"cause"`
		Live  struct {
			Version string             `json:"version"`
			Weights map[string]float64 `json:"weights"`
		} `json:"live"`
	}
	_ = json.Unmarshal(got[2].Detail, &trip)
	if !strings.Contains(trip.Cause, "the release was interrupted (it was cancelled)") || trip.Live.Version != "1" || trip.Live.Weights["2"] != 0.1 {
		t.Errorf("tripped: %s", got[2].Detail)
	}
}

func eventSequence(e acctest.QueuedEvent) float64 {
	var d struct {
		Sequence float64 `json:"sequence"`
	}
	_ = json.Unmarshal(e.Detail, &d)
	return d.Sequence
}
