package acctest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// DefaultAWSMirror is where the machine image keeps a filesystem mirror holding
// hashicorp/aws, for tests that build functions with aws_lambda_function offline.
const DefaultAWSMirror = "/opt/tf-plugins"

// ProviderAddress is this provider's registry address, the key of its dev_overrides.
const ProviderAddress = "registry.terraform.io/safelambda/safelambda"

// AWSMirror is the filesystem mirror directory that holds registry.terraform.io/hashicorp/aws:
// $SAFELAMBDA_TF_MIRROR when set, else /opt/tf-plugins; "" when neither has it.
func AWSMirror() string {
	dir := os.Getenv("SAFELAMBDA_TF_MIRROR")
	if dir == "" {
		dir = DefaultAWSMirror
	}
	if fi, err := os.Stat(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws")); err != nil || !fi.IsDir() {
		return ""
	}
	return dir
}

// WriteCLIConfig writes a Terraform CLI config file into a temporary directory and returns
// its path, for tests that run the terraform binary themselves (set TF_CLI_CONFIG_FILE to
// it). hashicorp/* providers come from AWSMirror when there is one; devOverrideDir, when
// not "", makes Terraform use the provider binary in that directory for
// registry.terraform.io/safelambda/safelambda.
func WriteCLIConfig(t testing.TB, devOverrideDir string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "terraform.tfrc")
	if err := os.WriteFile(path, []byte(cliConfig(AWSMirror(), devOverrideDir)), 0o644); err != nil {
		t.Fatalf("write Terraform CLI config: %v", err)
	}
	return path
}

func cliConfig(mirror, devOverrideDir string) string {
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	if devOverrideDir != "" {
		b.WriteString("  dev_overrides {\n")
		b.WriteString("    " + strconv.Quote(ProviderAddress) + " = " + strconv.Quote(devOverrideDir) + "\n")
		b.WriteString("  }\n")
	}
	if mirror != "" {
		b.WriteString("  filesystem_mirror {\n")
		b.WriteString("    path    = " + strconv.Quote(mirror) + "\n")
		b.WriteString("    include = [\"registry.terraform.io/hashicorp/*\"]\n")
		b.WriteString("  }\n")
		b.WriteString("  direct {\n")
		b.WriteString("    exclude = [\"registry.terraform.io/hashicorp/*\"]\n")
		b.WriteString("  }\n")
	} else {
		b.WriteString("  direct {}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
