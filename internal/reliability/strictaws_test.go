package reliability

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// Releases through the real Terraform CLI against moto behind the strict AWS
// (acctest.Strict): each test switches on the behaviour it is about, shows that the
// behaviour happened (StrictAnswers, Calls) and what the provider made of it.

// strictProxy is a proxy in front of the harness with s switched on.
func strictProxy(t *testing.T, s acctest.Strict) *acctest.Proxy {
	t.Helper()
	acctest.PreCheck(t)
	if acctest.RealAWS() {
		t.Skip("the strict AWS stands in front of moto")
	}
	p := acctest.StartProxy(t)
	p.SetStrict(s)
	return p
}

// strictLambda is a Lambda client that talks through p, as another program would.
func strictLambda(t *testing.T, p *acctest.Proxy) *lambda.Client {
	t.Helper()
	return lambda.NewFromConfig(acctest.Config(t), func(o *lambda.Options) { o.BaseEndpoint = aws.String(p.URL()) })
}

// A release right after a code update: PublishVersion meets the update in progress (409)
// and the new version Pending; the provider waits both out and releases.
func TestStrictAWS_publishWhileTheFunctionUpdates(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{UpdateFor: 3 * time.Second, PendingFor: 2 * time.Second, CodeSha256: true, RevisionIDs: true})
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	setConfig(t, w, r.HCL())
	// The code change goes through the strict AWS, so it is InProgress when the apply starts.
	lc := strictLambda(t, p)
	if _, err := lc.UpdateFunctionCode(t.Context(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(fn), ZipFile: acctest.HandlerZip("v2")}); err != nil {
		t.Fatal(err)
	}
	out := apply(t, w)
	expectAlias(t, fn, "2")
	got := p.StrictAnswers()
	if got[acctest.ShowedUpdateInProgress]+got[acctest.AnsweredUpdateInProgress] == 0 || got[acctest.ShowedPending] == 0 {
		t.Errorf("strict answers %v: the apply met neither the update in progress nor the Pending version\n%s", got, out)
	}
	if st := w.State(t)[res]; st["version"] != "2" {
		t.Errorf("state version %v, want 2", st["version"])
	}
}

// A code_sha256 that matches nothing published and not $LATEST: refused before anything
// changes, naming $LATEST's hash. $LATEST changing between the check and the publish is
// refused by AWS (400 InvalidParameterValueException) and said in those words.
func TestStrictAWS_hashThatMatchesNothing(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{CodeSha256: true, RevisionIDs: true})
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	other := acctest.HandlerCodeSha256("v9")
	r.Code = other
	setConfig(t, w, r.HCL())
	p.Reset()
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply released a hash that matches nothing:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(), `code_sha256 `+regexp.QuoteMeta(other)+` matches no published version of `+fn, `nothing was changed`)
	if n := p.Calls()["Lambda.PublishVersion"]; n != 0 {
		t.Errorf("PublishVersion called %d times for a hash that matches nothing", n)
	}

	// $LATEST is v2 when the release checks it, v3 when it publishes.
	r.Code = shaV2
	setConfig(t, w, r.HCL())
	var once sync.Once
	p.OnRequest(func(op string) {
		if op == "Lambda.PublishVersion" {
			once.Do(func() { acctest.UpdateCode(t, fn, "v3") })
		}
	})
	out, err = w.Run(t.Context(), "apply", "-auto-approve")
	p.OnRequest(nil)
	if err == nil {
		t.Fatalf("apply published code other than code_sha256:\n%s", out)
	}
	expectAlias(t, fn, "1")
	if p.StrictAnswers()[acctest.AnsweredCodeSha256Mismatch] != 1 {
		t.Errorf("strict answers %v: want one CodeSha256 refusal", p.StrictAnswers())
	}
	expectOutput(t, out.String(), `\$LATEST changed under the release`, `is different from current CodeSHA256 in \$LATEST`, `nothing was changed`)
}

// The new code has another execution role than the live version: Lambda cannot route
// weighted traffic between them, so a gradual release is refused before the pre_traffic
// hook, with a message that says AllAtOnce works; AllAtOnce then does.
func TestStrictAWS_roleMismatch(t *testing.T) {
	p := strictProxy(t, acctest.Strict{RoutingConstraints: true, RevisionIDs: true, CodeSha256: true})
	acctest.QueueHookResults(t) // owns the hook queue: the hook must not be invoked
	hook := acctest.Function(t, "").Name
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	acctest.SetRole(t, fn, "arn:aws:iam::123456789012:role/tf-acc-other-role")
	r.Shift = `{ preset = "Canary10Percent5Minutes" }`
	r.Pre = hook
	setConfig(t, w, r.HCL())
	p.Reset()
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("a gradual release between different roles succeeded:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(),
		`execution role arn:aws:iam::123456789012:role/tf-acc-other-role`,
		`Lambda routes weighted traffic only between versions with the same execution role`,
		`nothing was changed`,
		`AllAtOnce`)
	if c := p.Calls(); c["Lambda.Invoke"] != 0 || c["Lambda.UpdateAlias"] != 0 {
		t.Errorf("calls %v: the hook ran or the alias was written before the refusal", c)
	}

	r.Shift = `{ preset = "AllAtOnce" }`
	setConfig(t, w, r.HCL())
	apply(t, w)
	expectAlias(t, fn, "2")
}

// Another writer puts the very split the release holds back onto the alias just before
// the release's next write: versions and weights match, only the RevisionId tells. That
// write is refused (412) and the release stops without touching the alias again.
func TestStrictAWS_concurrentWriterUnderRevisionID(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{RevisionIDs: true})
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	r.Shift = `{ steps = [{ percentage = 10, hold = "2s" }] }`
	setConfig(t, w, r.HCL())
	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	split := waitSplit(t, fn, exited, out)
	before := p.Calls()["Lambda.UpdateAlias"]
	other := strictLambda(t, p)
	var armed atomic.Bool
	armed.Store(true)
	// When the release's next write arrives, the other client's lands first, through the
	// strict AWS, which gives it a new RevisionId.
	p.OnRequest(func(op string) {
		if op != "Lambda.UpdateAlias" || !armed.CompareAndSwap(true, false) {
			return
		}
		if _, err := other.UpdateAlias(context.Background(), &lambda.UpdateAliasInput{
			FunctionName: aws.String(fn), Name: aws.String("live"), FunctionVersion: aws.String(split.Version),
			RoutingConfig: &lambdatypes.AliasRoutingConfiguration{AdditionalVersionWeights: split.Weights},
		}); err != nil {
			t.Errorf("the other writer: %v", err)
		}
	})
	<-exited
	p.OnRequest(nil)
	if cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("apply succeeded over a concurrent writer:\n%s", out)
	}
	if got := p.StrictAnswers()[acctest.AnsweredPreconditionFailed]; got != 1 {
		t.Errorf("%d stale-RevisionId refusals, want 1 (the release's next write)", got)
	}
	if n := p.Calls()["Lambda.UpdateAlias"] - before; n != 2 {
		t.Errorf("%d UpdateAlias after the split, want 2 (the other writer's and the refused one)", n)
	}
	if a := acctest.GetAlias(t, fn, "live"); a.Version != "1" || a.Weights["2"] != 0.1 {
		t.Errorf("alias %+v, want the other writer's 1 + 2@0.1 untouched", a)
	}
	expectOutput(t, out.String(), `written by someone else \(its RevisionId changed\)`, `stopped without touching it`)
}

// The alias has provisioned concurrency, so Lambda shows weights on the version it left
// after every move. The post_traffic hook fails after the promotion: the rollback is not
// refused because of Lambda's own weights and ends on 1 with no weights.
func TestStrictAWS_transientWeightsDuringRollback(t *testing.T) {
	p := strictProxy(t, acctest.Strict{RevisionIDs: true, TransientWeightsFor: 3 * time.Second})
	acctest.QueueHookResults(t, `{"status":"Failed","reason":"e2e: checkout flow broken"}`)
	hook := acctest.Function(t, "").Name
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	p.AddProvisionedConcurrency(fn, "live", 5)
	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	r.Post = hook
	setConfig(t, w, r.HCL())
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply succeeded though the post_traffic hook failed:\n%s", out)
	}
	expectOutput(t, out.String(), `rolled back`, `e2e: checkout flow broken`, `serves version 1 with no weights`)
	if p.StrictAnswers()[acctest.ShowedTransientWeights] == 0 {
		t.Errorf("strict answers %v: Lambda's own weights were never shown", p.StrictAnswers())
	}
	// Read through the strict AWS once its weights had time to clear: 1, no weights.
	lc := strictLambda(t, p)
	deadline := time.Now().Add(10 * time.Second)
	for {
		a, err := lc.GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
		if err == nil && aws.ToString(a.FunctionVersion) == "1" && (a.RoutingConfig == nil || len(a.RoutingConfig.AdditionalVersionWeights) == 0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("alias after the rollback: %+v, %v; want 1 with no weights", a, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if plan, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); plan.ExitCode != 2 {
		t.Errorf("plan after the rollback: exit %d (%v), want 2 (the release still pending)\n%s", plan.ExitCode, err, plan)
	}
}

// A pre_traffic hook whose answer is lost after it ran is not invoked again: the release
// fails saying it may have run, and traffic never moved. Throttled invocations (429,
// never ran) are retried.
func TestStrictAWS_hooksRunOnce(t *testing.T) {
	p := strictProxy(t, acctest.Strict{RevisionIDs: true})
	acctest.QueueHookResults(t)
	hook := acctest.Function(t, "").Name
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "  max_retries = 3\n")})
	r.Shift = `{ steps = [{ percentage = 10, hold = "1s" }] }`
	r.Pre = hook
	setConfig(t, w, r.HCL())
	p.Reset()
	p.FailNext("Lambda.Invoke", 1, acctest.LostAnswer)
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply succeeded though the hook's answer was lost:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(), `pre_traffic hook "`+hook+`" gave no answer`, `the hook may have run, and it is not invoked twice`)
	if c := p.Calls(); c["Lambda.Invoke"] != 1 {
		t.Errorf("calls %v: want the hook invoked once", c)
	}

	p.Reset()
	p.FailNext("Lambda.Invoke", 2, acctest.Throttle429)
	apply(t, w)
	expectAlias(t, fn, "2")
	if n := p.Calls()["Lambda.Invoke"]; n != 3 {
		t.Errorf("%d Invoke requests, want 3 (two throttled, then the hook ran once)", n)
	}
}

// A version with the code to release that Lambda deactivated (Inactive) is not reused:
// when $LATEST has changed since (here its configuration), the provider publishes it
// anew and releases that. When nothing changed, Lambda would hand back the same Inactive
// version, so the release stops before anything changes and says how to wake it. A
// Failed version to release in version mode is refused before anything changes.
func TestStrictAWS_inactiveAndFailedVersions(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{RevisionIDs: true, CodeSha256: true})
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "")})
	if v := acctest.Publish(t, fn); v != "2" { // the v2 code, published outside the release
		t.Fatalf("published %s, want 2", v)
	}
	p.SetVersionState(fn, "2", "Inactive", "Idle")
	setConfig(t, w, r.HCL())
	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply released the Inactive version 2:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(), `version 2 is Inactive, not Active`, `nothing was changed`,
		`aws lambda invoke --function-name `+fn+`:2`)
	if p.StrictAnswers()[acctest.ShowedVersionState] == 0 {
		t.Errorf("strict answers %v: the Inactive state was never read", p.StrictAnswers())
	}

	acctest.SetRole(t, fn, acctest.Role(t)) // a configuration update: Lambda publishes anew
	out = apply(t, w)
	if a := acctest.GetAlias(t, fn, "live"); a.Version != "3" || len(a.Weights) != 0 {
		t.Fatalf("alias %+v, want version 3 published anew (not the Inactive 2)\n%s", a, out)
	}

	// A Failed version to release in version mode.
	fn2 := acctest.FunctionPublished(t, "").Name // 1
	acctest.UpdateCode(t, fn2, "v2")
	acctest.Publish(t, fn2) // 2
	p.SetVersionState(fn2, "2", "Failed", "InternalError")
	vr := release{Provider: r.Provider, Function: fn2, Version: "1"}
	w2 := acctest.NewWorkdir(t, vr.HCL())
	apply(t, w2)
	vr.Version = "2"
	setConfig(t, w2, vr.HCL())
	out2, err := w2.Run(t.Context(), "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply released a Failed version:\n%s", out2)
	}
	expectAlias(t, fn2, "1")
	expectOutput(t, out2.String(), `version 2 is Failed, not Active`, `nothing was changed`)
}

// Lambda throttles the rollback's writes: with one SDK retry per call, the rollback
// keeps trying on its own until the alias is restored.
func TestStrictAWS_throttlingDuringRollback(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{RevisionIDs: true})
	alarm := acctest.RandName("tf-acc-errors")
	acctest.Alarm(t, alarm)
	fn, w, r := released(t, release{Provider: endpointsAt(p.URL(), "  max_retries = 1\n")})
	r.Shift = `{ steps = [{ percentage = 10, hold = "60s" }] }`
	r.Alarms = []string{alarm}
	r.PollInterval = "1s"
	setConfig(t, w, r.HCL())
	cmd, out, err := w.Start("apply", "-auto-approve")
	if err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	waitSplit(t, fn, exited, out)
	before := p.Calls()["Lambda.UpdateAlias"]
	p.FailNext("Lambda.UpdateAlias", 5, acctest.Throttle429)
	acctest.SetAlarmState(t, alarm, "ALARM")
	<-exited
	if cmd.ProcessState.ExitCode() == 0 {
		t.Fatalf("apply succeeded though the alarm fired:\n%s", out)
	}
	expectAlias(t, fn, "1")
	expectOutput(t, out.String(), `rolled back`, `serves version 1 with no weights`)
	if n := p.Calls()["Lambda.UpdateAlias"] - before; n < 6 {
		t.Errorf("%d UpdateAlias requests after the trip, want at least 6 (5 throttled, then the rollback)", n)
	}
	if f := p.InjectedFaults()[acctest.Throttle429]; f != 5 {
		t.Errorf("%d throttles injected, want 5", f)
	}
}

// keep_versions keeps a version an event source mapping reads from, and the state says
// which and why; the others beyond the newest go.
func TestStrictAWS_retentionKeepsConsumedVersions(t *testing.T) {
	t.Parallel()
	p := strictProxy(t, acctest.Strict{RevisionIDs: true})
	fn := acctest.FunctionPublished(t, "") // 1
	for _, code := range []string{"v2", "v3"} {
		acctest.UpdateCode(t, fn.Name, code)
		acctest.Publish(t, fn.Name)
	}
	acctest.UpdateCode(t, fn.Name, "v4")
	acctest.Publish(t, fn.Name) // 4
	acctest.CreateAlias(t, fn.Name, "live", "3", nil)
	queue := "arn:aws:sqs:us-east-1:123456789012:tf-acc-orders"
	uuid := p.AddEventSourceMapping(fn.ARN+":1", queue)
	r := release{Provider: endpointsAt(p.URL(), ""), Function: fn.Name, Version: "4", Extra: "  keep_versions = 1\n"}
	w := acctest.NewWorkdir(t, r.HCL())
	apply(t, w)
	expectAlias(t, fn.Name, "4")
	last, _ := w.State(t)[res]["last_deployment"].(map[string]any)
	if d, _ := last["deleted_versions"].([]any); len(d) != 1 || d[0] != "2" {
		t.Errorf("deleted_versions %v, want [2] (4 is live, 3 the previous, 1 read by a mapping)", last["deleted_versions"])
	}
	kept, _ := last["kept_versions"].([]any)
	var first string
	if len(kept) == 1 {
		first, _ = kept[0].(string)
	}
	if len(kept) != 1 || !strings.HasPrefix(first, "1: used by event source mapping "+uuid+" from "+queue) {
		t.Errorf("kept_versions %v, want version 1 and its mapping", last["kept_versions"])
	}
	if _, err := acctest.Lambda(t).GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn.Name), Qualifier: aws.String("1")}); err != nil {
		t.Errorf("version 1 is gone: %v", err)
	}
}
