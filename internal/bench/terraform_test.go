package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// deployments is a configuration of one safelambda_deployment per function, all on
// alias "live", talking to AWS through endpoint (a counting proxy).
type deployments struct {
	endpoint  string
	functions []string
	version   string
	shift     string // the traffic_shift value, "" for AllAtOnce
	alarms    []string
}

func (d deployments) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, `provider "safelambda" {
  region = %q
  endpoints {
    lambda     = %q
    cloudwatch = %q
    sts        = %q
  }
}

resource "safelambda_deployment" "d" {
  for_each      = toset(%s)
  function_name = each.key
  alias         = "live"
  version       = %q
`, acctest.Region, d.endpoint, d.endpoint, d.endpoint, hclList(d.functions), d.version)
	if d.shift != "" {
		fmt.Fprintf(&b, "  traffic_shift = %s\n  traffic_arrives_via = \"direct_invoke\"\n", d.shift)
	}
	if len(d.alarms) > 0 {
		fmt.Fprintf(&b, "  alarms              = %s\n  alarm_poll_interval = \"1s\"\n", hclList(d.alarms))
	}
	b.WriteString("}\n")
	return b.String()
}

func hclList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func apply(t *testing.T, w *acctest.Workdir, args ...string) *acctest.Output {
	t.Helper()
	out, err := w.Run(t.Context(), append([]string{"apply", "-auto-approve", "-input=false"}, args...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// aliasNow reads an alias straight from moto (not through the proxy, so watching does
// not show up in the counts).
func aliasNow(ctx context.Context, c *lambda.Client, fn string) (version string, split bool, err error) {
	out, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	var nf *lambdatypes.ResourceNotFoundException
	if errors.As(err, &nf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	split = out.RoutingConfig != nil && len(out.RoutingConfig.AdditionalVersionWeights) > 0
	return aws.ToString(out.FunctionVersion), split, nil
}

// watch reads the alias every 20 ms until ok says so, and returns when that read
// answered. It gives up after limit, or when exited is closed.
func watch(ctx context.Context, c *lambda.Client, fn string, limit time.Duration, exited <-chan struct{}, ok func(version string, split bool) bool) (time.Time, error) {
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		v, split, err := aliasNow(ctx, c, fn)
		if err != nil {
			return time.Time{}, err
		}
		if ok(v, split) {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("alias %s:live still at version %q (split %v) after %s", fn, v, split, limit)
		}
		select {
		case <-exited:
			return time.Time{}, fmt.Errorf("terraform exited while alias %s:live was at version %q (split %v)", fn, v, split)
		case <-tick.C:
		}
	}
}

const rollbackTrials = 20

// benchRollback: terraform apply runs a 10-minute canary gated by one alarm polled every
// second; once traffic is split, at a random moment, the alarm goes to ALARM, and a
// watcher reading the alias every 20 ms times how long until the alias is back on the
// previous version with no weights.
func benchRollback(t *testing.T) {
	fn := acctest.FunctionPublished(t, "")
	acctest.UpdateCode(t, fn.Name, "v2")
	acctest.Publish(t, fn.Name)
	acctest.CreateAlias(t, fn.Name, "live", "1", nil)
	alarm := alarms(t, 1)[0]
	p := acctest.StartProxy(t)
	w := acctest.NewWorkdir(t, deployments{
		endpoint: p.URL(), functions: []string{fn.Name}, version: "2",
		shift: `{ canary = { percentage = 10, interval = "10m" } }`, alarms: []string{alarm},
	}.config())
	lc, cw := acctest.Lambda(t), acctest.CloudWatch(t)
	setAlarm := func(state cwtypes.StateValue) {
		_, err := cw.SetAlarmState(t.Context(), &cloudwatch.SetAlarmStateInput{
			AlarmName: aws.String(alarm), StateValue: state, StateReason: aws.String("bench"),
		})
		if err != nil {
			t.Fatalf("set alarm %s to %s: %v", alarm, state, err)
		}
	}

	var lat []time.Duration
	for i := range rollbackTrials {
		setAlarm(cwtypes.StateValueOk)
		cmd, out, err := w.Start("apply", "-auto-approve", "-input=false")
		if err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		if _, err := watch(t.Context(), lc, fn.Name, time.Minute, exited, func(v string, split bool) bool { return v == "1" && split }); err != nil {
			<-exited
			t.Fatalf("trial %d: waiting for the canary: %v\n%s", i, err, out)
		}
		time.Sleep(time.Duration(rand.Int64N(int64(time.Second)))) // a uniform phase against the poll
		start := time.Now()
		setAlarm(cwtypes.StateValueAlarm)
		restored, err := watch(t.Context(), lc, fn.Name, time.Minute, exited, func(v string, split bool) bool { return v == "1" && !split })
		if err != nil {
			<-exited
			t.Fatalf("trial %d: waiting for the rollback: %v\n%s", i, err, out)
		}
		lat = append(lat, restored.Sub(start))
		<-exited
		if !strings.Contains(out.String(), "ALARM") {
			t.Fatalf("trial %d: apply did not fail on the alarm:\n%s", i, out)
		}
	}
	setAlarm(cwtypes.StateValueOk)
	p50, p95 := percentile(lat, 50), percentile(lat, 95)
	target := time.Second + 250*time.Millisecond
	results.add(row{
		measure: fmt.Sprintf("2 rollback latency, poll 1 s, %d trials", rollbackTrials),
		via:     "terraform",
		result:  fmt.Sprintf("p50 %s, p95 %s (max %s)", ms(p50), ms(p95), ms(percentile(lat, 100))),
		target:  "p95 ≤ 1250 ms (poll + 250 ms)",
		met:     verdict(p95 <= target),
	})
	results.detail("**Rollback latency.** From the SetAlarmState(ALARM) call to the first 20 ms watcher read that saw the alias back on version 1 with no weights, with `terraform apply` running a 10%%/10m canary and `alarm_poll_interval = \"1s\"`; the alarm fires at a uniformly random moment after traffic split. Samples (sorted): %s.", msList(sorted(lat)))
	t.Logf("rollback latencies: %v", lat)
}

func msList(d []time.Duration) string {
	parts := make([]string, len(d))
	for i, v := range d {
		parts[i] = fmt.Sprintf("%.0f", float64(v)/float64(time.Millisecond))
	}
	return strings.Join(parts, ", ") + " ms"
}

// functions creates n functions with versions 1 and (when two) 2.
func functions(t *testing.T, n int, two bool) []string {
	t.Helper()
	names := make([]string, n)
	for i := range names {
		fn := acctest.FunctionPublished(t, "")
		if two {
			acctest.UpdateCode(t, fn.Name, "v2")
			acctest.Publish(t, fn.Name)
		}
		names[i] = fn.Name
	}
	return names
}

const parallelReleases = 50

// benchParallel: one apply releasing 50 deployments at -parallelism=50 with a 3 s canary,
// against one apply releasing one.
func benchParallel(t *testing.T) {
	p := acctest.StartProxy(t)
	alarm := alarms(t, 1)
	canary := `{ canary = { percentage = 10, interval = "3s" } }`
	callsBeforeLastShift := map[int]int{} // by release count, first repeat
	run := func(n, repeats int) []time.Duration {
		d := deployments{endpoint: p.URL(), functions: functions(t, n, true), version: "1", shift: canary, alarms: alarm}
		w := acctest.NewWorkdir(t, d.config())
		apply(t, w, "-parallelism=50") // creates the aliases on version 1: nothing to shift from
		var walls []time.Duration
		for i := range repeats {
			d.version = []string{"2", "1"}[i%2]
			if err := w.SetConfig(d.config()); err != nil {
				t.Fatal(err)
			}
			p.Reset()
			var mu sync.Mutex
			var writes []time.Time // UpdateAlias arrivals: n step writes, then n promotions
			var before, seen int   // calls before the n-th shift
			p.OnRequest(func(op string) {
				mu.Lock()
				defer mu.Unlock()
				seen++
				if op == "Lambda.UpdateAlias" {
					writes = append(writes, time.Now())
					if len(writes) == n {
						before = seen
					}
				}
			})
			began := time.Now()
			out := apply(t, w, "-parallelism=50")
			ended := began.Add(out.Duration)
			p.OnRequest(nil)
			walls = append(walls, out.Duration)
			if i == 0 {
				callsBeforeLastShift[n] = before
			}
			if i == 0 && len(writes) == 2*n {
				results.detail("**Parallel releases, %d at once.** `terraform apply -parallelism=50` took %s. Where the time went, from the UpdateAlias arrivals at the proxy: "+
					"start → first traffic shift %s (terraform start, refresh, plan, preflight); the %d shifts spread over %s; "+
					"first shift → last promotion %s (3 s hold); last promotion → terraform exit %s. %d calls reached moto before the last shift. Calls through the proxy: %s.",
					n, secs(out.Duration), secs(writes[0].Sub(began)), n, secs(writes[n-1].Sub(writes[0])),
					secs(writes[2*n-1].Sub(writes[0])), secs(ended.Sub(writes[2*n-1])), before, callList(p.Calls()))
			}
		}
		return walls
	}
	one := run(1, 3)
	many := run(parallelReleases, 2)
	rps := motoCapacity(t, p.URL())
	results.detail("**moto's capacity.** 50 concurrent clients reading aliases through the proxy got %.0f answers a second: moto_server is one Python process, and on this machine it shares 2 cores with terraform and the provider. "+
		"The %d-release apply sent %d calls before its last traffic shift (one release: %d); at that rate they take about %s to answer, out of the %s by which the parallel apply trails a single release; the rest is terraform refreshing, planning and walking 50 resources on the same 2 cores. "+
		"The releases themselves overlap: each holds its 3 s once its shift lands.",
		rps, parallelReleases, callsBeforeLastShift[parallelReleases], callsBeforeLastShift[1],
		secs(time.Duration(float64(callsBeforeLastShift[parallelReleases])/rps*float64(time.Second))), secs(median(many)-median(one)))
	results.add(row{
		measure: "1 context: terraform apply of one release (canary 10%/3s, 1 alarm), median of 3",
		via:     "terraform",
		result:  fmt.Sprintf("%s, %s beyond the 3 s hold", secs(median(one)), ms(median(one)-3*time.Second)),
		target:  "– (process start, refresh, plan, state)",
	})
	ratio := float64(median(many)) / float64(median(one))
	results.add(row{
		measure: fmt.Sprintf("4 parallel: %d releases (canary 10%%/3s) in one apply, -parallelism=50", parallelReleases),
		via:     "terraform",
		result:  fmt.Sprintf("%s vs one release %s: %.2f×", secs(median(many)), secs(median(one)), ratio),
		target:  "≤ 1.3×",
		met:     verdict(ratio <= 1.3),
	})
	t.Logf("parallel: one %v, %d %v", one, parallelReleases, many)
}

const refreshResources = 100
const refreshRepeats = 3

// benchRefresh: terraform plan over 100 safelambda_deployment resources against the same
// 100 aliases managed by hashicorp/aws aws_lambda_alias, same moto, same run.
func benchRefresh(t *testing.T) {
	if acctest.AWSMirror() == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR)")
	}
	p := acctest.StartProxy(t)
	fns := functions(t, refreshResources, false)
	ours := acctest.NewWorkdir(t, deployments{endpoint: p.URL(), functions: fns, version: "1"}.config())
	apply(t, ours, "-parallelism=10")
	theirs := acctest.NewWorkdir(t, awsAliases(p.URL(), fns))
	apply(t, theirs, "-parallelism=10") // imports the same 100 aliases

	type sample struct{ full, noRefresh []time.Duration }
	measure := func(w *acctest.Workdir) (sample, map[string]int) {
		var s sample
		var calls map[string]int
		for range refreshRepeats {
			p.Reset()
			out, err := w.Run(t.Context(), "plan", "-input=false", "-detailed-exitcode")
			if err != nil {
				t.Fatalf("plan should show no changes: %v\n%s", err, out)
			}
			calls = p.Calls()
			s.full = append(s.full, out.Duration)
			out, err = w.Run(t.Context(), "plan", "-input=false", "-refresh=false")
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			s.noRefresh = append(s.noRefresh, out.Duration)
		}
		return s, calls
	}
	ourS, ourCalls := measure(ours)
	theirS, theirCalls := measure(theirs)
	o, th := median(ourS.full), median(theirS.full)
	ratio := float64(o) / float64(th)
	results.add(row{
		measure: fmt.Sprintf("5 refresh: terraform plan, %d safelambda_deployment vs %d aws_lambda_alias", refreshResources, refreshResources),
		via:     "terraform",
		result: fmt.Sprintf("%s vs %s: %.2f×; API calls per resource %.1f vs %.1f", secs(o), secs(th), ratio,
			float64(total(ourCalls))/refreshResources, float64(total(theirCalls))/refreshResources),
		target: "report (no target)",
	})
	results.detail("**Refresh cost.** Median of %d `terraform plan` runs each (the same %d aliases in one moto). safelambda: plan %s, of which %s without refresh (`-refresh=false`: terraform and provider start, schema, graph), so refreshing costs about %s; calls %s. hashicorp/aws 5.100.0: plan %s, %s without refresh, so refreshing costs about %s; calls %s. "+
		"hashicorp/aws spends its time starting up (its plugin binary and schema are large; each plan starts it more than once), not on AWS calls. safelambda's refresh is one GetAlias per resource, as aws_lambda_alias's is, plus one read of $LATEST (whose code and configuration the plan compares with the live version's; the plan itself then reads nothing): the live version's code_sha256 and configuration are read only when the alias serves a version other than the one refresh last read (a published version never changes).",
		refreshRepeats, refreshResources,
		secs(o), secs(median(ourS.noRefresh)), refreshPart(o, median(ourS.noRefresh)), callList(ourCalls),
		secs(th), secs(median(theirS.noRefresh)), refreshPart(th, median(theirS.noRefresh)), callList(theirCalls))
	t.Logf("refresh: ours %v / %v, aws %v / %v", ourS.full, ourS.noRefresh, theirS.full, theirS.noRefresh)
}

func total(calls map[string]int) int {
	n := 0
	for k, v := range calls {
		if !strings.HasPrefix(k, "Moto.") {
			n += v
		}
	}
	return n
}

// awsAliases manages the aliases with hashicorp/aws, importing them (Terraform >= 1.7
// import blocks with for_each).
func awsAliases(endpoint string, fns []string) string {
	return fmt.Sprintf(`terraform {
  required_providers {
    aws = { source = "hashicorp/aws", version = "5.100.0" }
  }
}

provider "aws" {
  region                      = %q
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  endpoints {
    lambda = %q
    sts    = %q
    iam    = %q
  }
}

locals {
  functions = toset(%s)
}

import {
  for_each = local.functions
  to       = aws_lambda_alias.a[each.key]
  id       = "${each.key}/live"
}

resource "aws_lambda_alias" "a" {
  for_each         = local.functions
  name             = "live"
  function_name    = each.key
  function_version = "1"
}
`, acctest.Region, endpoint, endpoint, endpoint, hclList(fns))
}

// motoCapacity is how many GetAlias calls a second moto answers (through the proxy) to 50
// concurrent clients.
func motoCapacity(t *testing.T, endpoint string) float64 {
	t.Helper()
	fn := acctest.FunctionPublished(t, "")
	acctest.CreateAlias(t, fn.Name, "live", "1", nil)
	c := lambda.NewFromConfig(acctest.Config(t), func(o *lambda.Options) { o.BaseEndpoint = aws.String(endpoint) })
	const clients, each = 50, 10
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				if _, _, err := aliasNow(t.Context(), c, fn.Name); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		t.Fatalf("probe moto: %v", err)
	}
	return clients * each / elapsed.Seconds()
}

// refreshPart is plan minus plan -refresh=false, or "nothing measurable" when the
// difference is inside the noise of the two runs.
func refreshPart(full, noRefresh time.Duration) string {
	if full-noRefresh <= 0 {
		return fmt.Sprintf("nothing measurable (%s)", secs(full-noRefresh))
	}
	return secs(full - noRefresh)
}
