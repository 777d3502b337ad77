// Package reliability proves the provider's promise under interruption, crashes, AWS
// faults, throttling, outages, concurrent writers, bad input and logging (issue 6). Every
// test runs the real Terraform CLI with the provider built from this repository against
// the local moto, many through acctest's fault-injecting proxy. Test files only.
package reliability

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

func TestMain(m *testing.M) { acctest.Main(m) }

const res = "safelambda_deployment.test"

var (
	shaV1 = acctest.HandlerCodeSha256("v1")
	shaV2 = acctest.HandlerCodeSha256("v2")
)

// release is one test configuration: a provider block and the resource.
type release = acctest.DeploymentConfig

// endpointsAt is a provider block body that sends every service to url.
func endpointsAt(url string, extra string) string {
	return fmt.Sprintf("  endpoints {\n    lambda     = %[1]q\n    cloudwatch = %[1]q\n    sts        = %[1]q\n  }\n%s", url, extra)
}

// apply runs terraform apply -auto-approve and fails the test when it fails.
func apply(t *testing.T, w *acctest.Workdir, args ...string) *acctest.Output {
	t.Helper()
	out, err := w.Run(t.Context(), append([]string{"apply", "-auto-approve"}, args...)...)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return out
}

// setConfig replaces main.tf and fails the test when it cannot.
func setConfig(t *testing.T, w *acctest.Workdir, config string) {
	t.Helper()
	if err := w.SetConfig(config); err != nil {
		t.Fatal(err)
	}
}

// released sets up a function whose alias live serves version 1 through a first
// release, with $LATEST then updated to the "v2" code: the next apply with code v2 is a
// real traffic shift from 1 to 2.
func released(t *testing.T, r release) (string, *acctest.Workdir, release) {
	t.Helper()
	fn := acctest.Function(t, "").Name
	r.Function, r.Code = fn, shaV1
	w := acctest.NewWorkdir(t, r.HCL())
	apply(t, w)
	expectAlias(t, fn, "1")
	acctest.UpdateCode(t, fn, "v2")
	r.Code = shaV2
	return fn, w, r
}

// expectAlias fails unless the alias serves version with no weights.
func expectAlias(t *testing.T, fn, version string) {
	t.Helper()
	if a := acctest.GetAlias(t, fn, "live"); !a.Exists || a.Version != version || len(a.Weights) != 0 {
		t.Fatalf("alias live of %s is %+v, want version %s with no weights", fn, a, version)
	}
}

// waitSplit polls the alias until it has weights (a hold has begun), the process exits
// (exited closes; out is then shown) or a minute passes.
func waitSplit(t *testing.T, fn string, exited <-chan struct{}, out *acctest.Output) acctest.AliasState {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if a := acctest.GetAlias(t, fn, "live"); len(a.Weights) > 0 {
			return a
		}
		select {
		case <-exited:
			t.Fatalf("terraform exited before the alias was split:\n%s", out)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("the alias was not split within a minute")
	return acctest.AliasState{}
}

// expectOutput fails unless out matches every pattern; Terraform wraps long lines, so a
// space in a pattern matches any run of white space.
func expectOutput(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		re := regexp.MustCompile(`(?s)` + strings.ReplaceAll(p, " ", `\s+`))
		if !re.MatchString(out) {
			t.Errorf("output does not match %q:\n%s", p, out)
		}
	}
}
