package acctest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// ProviderBinary is the file name Terraform looks for in a dev_overrides directory.
const ProviderBinary = "terraform-provider-safelambda"

var built struct {
	once sync.Once
	dir  string
	err  error
}

// BuildProvider builds this module's provider once per process into a temporary directory
// and returns that directory, ready for dev_overrides. In test binaries run by Main the
// directory is removed when the binary ends; other programs should remove it themselves.
// SAFELAMBDA_PROVIDER_DIR, when set, names a directory holding a binary built already.
func BuildProvider() (string, error) {
	if dir := os.Getenv("SAFELAMBDA_PROVIDER_DIR"); dir != "" {
		if _, err := os.Stat(filepath.Join(dir, ProviderBinary)); err != nil {
			return "", fmt.Errorf("SAFELAMBDA_PROVIDER_DIR: %w", err)
		}
		return dir, nil
	}
	built.once.Do(func() {
		built.dir, built.err = buildProvider()
		if built.err == nil {
			dir := built.dir
			onBinaryExit(func(context.Context) { os.RemoveAll(dir) })
		}
	})
	return built.dir, built.err
}

func buildProvider() (string, error) {
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("find this module (go env GOMOD): %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	if root == "." || root == "" || strings.TrimSpace(string(gomod)) == os.DevNull {
		return "", errors.New("build the provider: run from inside the terraform-provider-safelambda module")
	}
	dir, err := os.MkdirTemp("", "safelambda-provider-*")
	if err != nil {
		return "", fmt.Errorf("build the provider: %w", err)
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, ProviderBinary), ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("go build the provider in %s: %v\n%s", root, err, out)
	}
	return dir, nil
}

// Workdir is a Terraform working directory that runs the real terraform CLI with the
// provider built from this repository (dev_overrides), against moto through the
// environment Main set up, or whatever endpoint Setenv points AWS_ENDPOINT_URL at.
type Workdir struct {
	Dir       string
	cliConfig string
	tf        string

	mu     sync.Mutex
	env    map[string]string
	inited bool
}

// NewWorkdir makes a Workdir in a temporary directory with config as main.tf (plus a
// required_providers.tf for safelambda/safelambda when config has no required_providers).
// It fails the test when the provider does not build.
func NewWorkdir(t testing.TB, config string) *Workdir {
	t.Helper()
	PreCheck(t)
	RequireTerraform(t)
	w, err := NewWorkdirAt(t.TempDir(), config)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// NewWorkdirAt is NewWorkdir for programs that are not tests: dir must exist; the CLI
// config is written into it as .terraformrc-dev. The environment is this process's, so
// point AWS at an endpoint with Setenv("AWS_ENDPOINT_URL", …) or the provider block.
func NewWorkdirAt(dir, config string) (*Workdir, error) {
	provDir, err := BuildProvider()
	if err != nil {
		return nil, err
	}
	cli := filepath.Join(dir, ".terraformrc-dev")
	mirror, err := BothHostsMirror(AWSMirror())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(cli, []byte(cliConfig(mirror, provDir)), 0o644); err != nil {
		return nil, fmt.Errorf("write Terraform CLI config: %w", err)
	}
	tf := os.Getenv(envTFPath)
	if tf == "" {
		tf = "terraform"
	}
	w := &Workdir{Dir: dir, cliConfig: cli, tf: tf, env: map[string]string{}}
	if err := w.writeConfig(config); err != nil {
		return nil, err
	}
	return w, nil
}

// SetConfig replaces main.tf.
func (w *Workdir) SetConfig(config string) error { return w.writeConfig(config) }

func (w *Workdir) writeConfig(config string) error {
	if err := os.WriteFile(filepath.Join(w.Dir, "main.tf"), []byte(config), 0o644); err != nil {
		return fmt.Errorf("write main.tf: %w", err)
	}
	// Without required_providers Terraform would look for hashicorp/safelambda.
	req := filepath.Join(w.Dir, "required_providers.tf")
	if strings.Contains(config, "required_providers") {
		os.Remove(req)
	} else if err := os.WriteFile(req, []byte(requiredProviders), 0o644); err != nil {
		return fmt.Errorf("write required_providers.tf: %w", err)
	}
	w.mu.Lock()
	if needsInit.MatchString(config) {
		w.inited = false
	} else {
		w.inited = true
	}
	w.mu.Unlock()
	return nil
}

const requiredProviders = `terraform {
  required_providers {
    safelambda = { source = "safelambda/safelambda" }
  }
}
`

// needsInit matches configurations that use a provider besides ours: those need
// terraform init (from the mirror); ours alone runs without it under dev_overrides.
var needsInit = regexp.MustCompile(`hashicorp/|resource\s+"(aws|null|random|time)_|module\s+"`)

// Setenv sets an environment variable for the terraform processes of this Workdir only
// (e.g. AWS_ENDPOINT_URL to a Proxy, TF_LOG). An empty value unsets it for them.
func (w *Workdir) Setenv(k, v string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.env[k] = v
}

// Output is what one terraform run printed; safe to read while the process runs.
type Output struct {
	mu               sync.Mutex
	stdout, combined bytes.Buffer
	ExitCode         int // -1 until the process has exited
	Duration         time.Duration
}

// Stdout is everything terraform wrote to stdout.
func (o *Output) Stdout() string { o.mu.Lock(); defer o.mu.Unlock(); return o.stdout.String() }

// String is stdout and stderr interleaved as written.
func (o *Output) String() string { o.mu.Lock(); defer o.mu.Unlock(); return o.combined.String() }

type outWriter struct {
	o      *Output
	stdout bool
}

func (w outWriter) Write(p []byte) (int, error) {
	w.o.mu.Lock()
	defer w.o.mu.Unlock()
	if w.stdout {
		w.o.stdout.Write(p)
	}
	return w.o.combined.Write(p)
}

// Run runs terraform with args (and -no-color), running terraform init first when the
// configuration needs it. The error is non-nil when terraform exits non-zero (see
// Output.ExitCode: plan -detailed-exitcode exits 2 for "changes pending") or cannot run.
func (w *Workdir) Run(ctx context.Context, args ...string) (*Output, error) {
	if err := w.initIfNeeded(ctx, args); err != nil {
		return nil, err
	}
	cmd, out := w.command(ctx, args)
	start := time.Now()
	err := cmd.Run()
	out.Duration = time.Since(start)
	out.ExitCode = cmd.ProcessState.ExitCode()
	if err != nil {
		return out, fmt.Errorf("terraform %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

// Start starts terraform with args in a new process group, for tests that signal it:
// SignalGroup(cmd, syscall.SIGKILL) reaches terraform and the provider plugin it
// started. Call cmd.Wait; Output fills as terraform writes.
func (w *Workdir) Start(args ...string) (*exec.Cmd, *Output, error) {
	if err := w.initIfNeeded(context.Background(), args); err != nil {
		return nil, nil, err
	}
	cmd, out := w.command(context.Background(), args)
	cmd.SysProcAttr = newGroupAttr()
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start terraform %s: %w", strings.Join(args, " "), err)
	}
	return cmd, out, nil
}

// RunUnder is Run with terraform started by another program: wrapper is that program and
// its arguments, then come terraform and its own (e.g. unshare --pid --fork --mount-proc,
// to run terraform in a process-id namespace of its own).
func (w *Workdir) RunUnder(ctx context.Context, wrapper []string, args ...string) (*Output, error) {
	if err := w.initIfNeeded(ctx, args); err != nil {
		return nil, err
	}
	cmd, out := w.command(ctx, args)
	if err := wrap(cmd, wrapper); err != nil {
		return nil, err
	}
	start := time.Now()
	err := cmd.Run()
	out.Duration = time.Since(start)
	out.ExitCode = cmd.ProcessState.ExitCode()
	if err != nil {
		return out, fmt.Errorf("%s terraform %s: %w", strings.Join(wrapper, " "), strings.Join(args, " "), err)
	}
	return out, nil
}

// StartUnder is Start with terraform started by another program (see RunUnder); the new
// process group is the wrapper's.
func (w *Workdir) StartUnder(wrapper []string, args ...string) (*exec.Cmd, *Output, error) {
	if err := w.initIfNeeded(context.Background(), args); err != nil {
		return nil, nil, err
	}
	cmd, out := w.command(context.Background(), args)
	if err := wrap(cmd, wrapper); err != nil {
		return nil, nil, err
	}
	cmd.SysProcAttr = newGroupAttr()
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("start %s terraform %s: %w", strings.Join(wrapper, " "), strings.Join(args, " "), err)
	}
	return cmd, out, nil
}

// wrap makes cmd run its program under wrapper.
func wrap(cmd *exec.Cmd, wrapper []string) error {
	path, err := exec.LookPath(wrapper[0])
	if err != nil {
		return err
	}
	cmd.Args = append(append(append([]string{}, wrapper...), cmd.Path), cmd.Args[1:]...)
	cmd.Path, cmd.Err = path, nil
	return nil
}

func (w *Workdir) initIfNeeded(ctx context.Context, args []string) error {
	w.mu.Lock()
	inited := w.inited
	w.mu.Unlock()
	if inited || (len(args) > 0 && args[0] == "init") {
		return nil
	}
	cmd, out := w.command(ctx, []string{"init", "-input=false"})
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("terraform init: %w\n%s", err, out)
	}
	w.mu.Lock()
	w.inited = true
	w.mu.Unlock()
	return nil
}

func (w *Workdir) command(ctx context.Context, args []string) (*exec.Cmd, *Output) {
	full := append([]string{args[0], "-no-color"}, args[1:]...)
	cmd := exec.CommandContext(ctx, w.tf, full...)
	cmd.Dir = w.Dir
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+w.cliConfig,
		"TF_IN_AUTOMATION=1",
		"TF_INPUT=0",
		"CHECKPOINT_DISABLE=1",
		"TF_PLUGIN_CACHE_DIR=",
	)
	w.mu.Lock()
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	w.mu.Unlock()
	cmd.Env = env
	out := &Output{ExitCode: -1}
	cmd.Stdout = outWriter{out, true}
	cmd.Stderr = outWriter{out, false}
	return cmd, out
}

// ResourceState is one resource's attribute values from terraform show -json.
type ResourceState map[string]any

// State reads the state with terraform show -json: resource address → attribute values.
// A workdir with no state gives an empty map.
func (w *Workdir) State(t testing.TB) map[string]ResourceState {
	t.Helper()
	st, err := w.ReadState(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// ReadState is State for programs that are not tests.
func (w *Workdir) ReadState(ctx context.Context) (map[string]ResourceState, error) {
	out, err := w.Run(ctx, "show", "-json")
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out)
	}
	var doc struct {
		Values *struct {
			RootModule struct {
				Resources []struct {
					Address string        `json:"address"`
					Values  ResourceState `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(out.Stdout()), &doc); err != nil {
		return nil, fmt.Errorf("parse terraform show -json: %w", err)
	}
	st := map[string]ResourceState{}
	if doc.Values != nil {
		for _, r := range doc.Values.RootModule.Resources {
			st[r.Address] = r.Values
		}
	}
	return st, nil
}
