// Package acctest is the test harness for acceptance tests: it runs one local moto server
// per test binary (see Main), points the AWS SDK and the Terraform CLI at it through the
// environment, and offers fixtures (role, functions, versions, aliases, alarms, metrics,
// queued hook results) that tests build their world from.
//
// Modes, chosen once by Main from the environment:
//
//   - neither TF_ACC, SAFELAMBDA_MOTO nor SAFELAMBDA_MOTO_ENDPOINT set: unit-only run, no
//     server; PreCheck skips.
//   - TF_ACC or SAFELAMBDA_MOTO set: start moto_server on a free loopback port, or reuse
//     the one at SAFELAMBDA_MOTO_ENDPOINT when that is set.
//   - SAFELAMBDA_REAL_AWS=1: run against real AWS with the caller's credentials; no server,
//     the environment is left alone, and moto-only helpers skip.
package acctest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
)

// Region is the region every moto-backed test runs in.
const Region = "us-east-1"

const (
	envTFAcc         = "TF_ACC"
	envTFPath        = "TF_ACC_TERRAFORM_PATH"
	envMoto          = "SAFELAMBDA_MOTO"
	envMotoEndpoint  = "SAFELAMBDA_MOTO_ENDPOINT"
	envRealAWS       = "SAFELAMBDA_REAL_AWS"
	msgMotoMissing   = `moto_server not found on PATH: install it with "pip install 'moto[server]==5.2.1'"`
	msgTerraformMiss = "terraform CLI not found: install Terraform >= 1.5 and put it on PATH, or set TF_ACC_TERRAFORM_PATH"
)

// harness is what Main set up; it is written once before m.Run and only read afterwards.
var harness struct {
	endpoint string // moto's URL behind the harness proxy; "" when no server (unit-only or real AWS)
	realAWS  bool
}

// Main is the TestMain of every package with acceptance tests:
//
//	func TestMain(m *testing.M) { acctest.Main(m) }
//
// It starts moto when the environment asks for it (see the package doc), runs the tests,
// stops moto with its whole process group, and prints moto's log tail when the run failed.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv(envRealAWS) == "1" {
		harness.realAWS = true
		code := m.Run()
		runBinaryCleanups()
		return code
	}
	if os.Getenv(envTFAcc) == "" && os.Getenv(envMoto) == "" && os.Getenv(envMotoEndpoint) == "" {
		return m.Run()
	}
	if os.Getenv(envTFAcc) != "" {
		if err := terraformAvailable(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}

	var srv *motoServer
	endpoint := strings.TrimRight(os.Getenv(envMotoEndpoint), "/")
	if endpoint == "" {
		var err error
		srv, err = startMoto(freeLoopbackPort)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		endpoint = srv.Endpoint
		stopOnSignal(srv)
	} else if err := waitReady(endpoint, nil); err != nil {
		fmt.Fprintf(os.Stderr, "SAFELAMBDA_MOTO_ENDPOINT=%s: %v\n", endpoint, err)
		return 1
	}
	if err := configureMoto(endpoint); err != nil {
		fmt.Fprintln(os.Stderr, err)
		srv.Stop()
		srv.PrintLogTail(os.Stderr, 40)
		return 1
	}
	// Tests talk to moto through a proxy that answers what moto lacks and AWS has
	// (provisioned-concurrency listings); test proxies chain in front of it.
	base, err := NewProxy(endpoint)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		srv.Stop()
		return 1
	}
	pointEnvAt(base.URL())
	harness.endpoint = base.URL()

	code := m.Run()
	runBinaryCleanups()
	base.Close()
	srv.Stop()
	if code != 0 {
		srv.PrintLogTail(os.Stderr, 40) // and keep the file: its path is in the output
	} else {
		srv.RemoveLog()
	}
	return code
}

// pointEnvAt makes the SDK in this process and every subprocess (the Terraform CLI and the
// providers it starts) talk to the emulator with fixed test credentials, whatever the
// developer's shell says (environment settings win over ~/.aws files).
func pointEnvAt(endpoint string) {
	for _, kv := range os.Environ() {
		// Service-specific endpoints (AWS_ENDPOINT_URL_LAMBDA, …) would win over ours.
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_ENDPOINT_URL_") {
			os.Unsetenv(name)
		}
	}
	os.Setenv("AWS_ENDPOINT_URL", endpoint)
	os.Setenv("AWS_ACCESS_KEY_ID", "testing")
	os.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
	os.Setenv("AWS_REGION", Region)
	os.Setenv("AWS_DEFAULT_REGION", Region)
	os.Unsetenv("AWS_SESSION_TOKEN")
	os.Unsetenv("AWS_PROFILE")
}

// stopOnSignal kills moto's process group when the test binary is interrupted, so that a
// Ctrl-C during a long acceptance run leaves nothing listening behind.
func stopOnSignal(srv *motoServer) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-ch
		srv.Stop()
		fmt.Fprintf(os.Stderr, "acctest: %v: stopped moto_server\n", sig)
		srv.PrintLogTail(os.Stderr, 40)
		if s, ok := sig.(syscall.Signal); ok {
			os.Exit(128 + int(s))
		}
		os.Exit(1)
	}()
}

// Endpoint is the base URL the tests talk to (moto behind the harness proxy), or "" when there is none
// (unit-only runs and SAFELAMBDA_REAL_AWS=1).
func Endpoint() string { return harness.endpoint }

// RealAWS reports whether this run targets real AWS (SAFELAMBDA_REAL_AWS=1).
func RealAWS() bool { return harness.realAWS }

// PreCheck is the PreCheck of every acceptance test. It skips unit-only runs and fails
// with one line when TF_ACC is set but no server was started (Main not wired in, or moto
// stopped answering).
func PreCheck(t testing.TB) {
	t.Helper()
	requireHarness(t)
	if harness.endpoint != "" {
		if err := ping(harness.endpoint); err != nil {
			t.Fatalf("moto server at %s is not answering: %v", harness.endpoint, err)
		}
	}
}

// requireHarness is PreCheck without the round trip, for helpers called many times.
func requireHarness(t testing.TB) {
	t.Helper()
	if harness.realAWS {
		if os.Getenv(envTFAcc) == "" {
			t.Skip("SAFELAMBDA_REAL_AWS=1 runs against real AWS only together with TF_ACC=1")
		}
		return
	}
	if harness.endpoint != "" {
		return
	}
	if os.Getenv(envTFAcc) != "" {
		t.Fatal("TF_ACC is set but no moto server is running: call acctest.Main(m) from this package's TestMain")
	}
	t.Skip("needs a local moto server: set TF_ACC=1 (or SAFELAMBDA_MOTO=1)")
}

// RequireTerraform fails the test with one line when no Terraform CLI can be found.
func RequireTerraform(t testing.TB) {
	t.Helper()
	if err := terraformAvailable(); err != nil {
		t.Fatal(err)
	}
}

func terraformAvailable() error {
	if os.Getenv(envTFPath) != "" {
		return nil
	}
	if _, err := exec.LookPath("terraform"); err != nil {
		return errors.New(msgTerraformMiss)
	}
	return nil
}

// StartProxy starts a Proxy in front of the harness's moto and closes it when the test
// and its subtests are done.
func StartProxy(t testing.TB) *Proxy {
	t.Helper()
	p, err := NewProxy(Endpoint())
	if err != nil {
		t.Fatalf("start the AWS proxy: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}
