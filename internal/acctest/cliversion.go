package acctest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-version"
)

// CLI is the Terraform-compatible command-line tool the acceptance tests run
// (TF_ACC_TERRAFORM_PATH, else terraform on PATH).
type CLI struct {
	Name    string // "Terraform" or "OpenTofu"
	Version *version.Version
}

func (c CLI) String() string { return c.Name + " " + c.Version.String() }

var cli struct {
	once sync.Once
	cli  CLI
	err  error
}

// TestCLI says which CLI and version the tests run, asking it once per process.
func TestCLI() (CLI, error) {
	cli.once.Do(func() {
		tf := os.Getenv(envTFPath)
		if tf == "" {
			tf = "terraform"
		}
		out, err := exec.Command(tf, "version").Output()
		if err != nil {
			cli.err = fmt.Errorf("%s version: %w", tf, err)
			return
		}
		// "Terraform v1.14.9" or "OpenTofu v1.11.7", then platform and provider lines.
		first, _, _ := strings.Cut(string(out), "\n")
		name, v, ok := strings.Cut(strings.TrimSpace(first), " v")
		parsed, perr := version.NewVersion(v)
		if !ok || perr != nil {
			cli.err = fmt.Errorf("%s version: cannot tell the version from %q", tf, first)
			return
		}
		cli.cli = CLI{Name: name, Version: parsed}
	})
	return cli.cli, cli.err
}

// SkipBelowTerraform skips a test that needs a feature of Terraform minVersion or later (terraform
// query, actions, import by identity) when the CLI under test is older, or is OpenTofu,
// which has not got the feature; the skip says so in one line.
func SkipBelowTerraform(t testing.TB, minVersion, feature string) {
	t.Helper()
	c, err := TestCLI()
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Terraform" || c.Version.LessThan(version.Must(version.NewVersion(minVersion))) {
		t.Skipf("%s needs Terraform %s or later; this run uses %s", feature, minVersion, c)
	}
}
