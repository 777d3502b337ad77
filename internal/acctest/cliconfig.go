package acctest

import (
	"fmt"
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

// OpenTofu resolves a source address without a host ("safelambda/safelambda",
// "hashicorp/aws") on its own registry, so every provider address the tests configure
// is given for both hosts.
var registryHosts = []string{"registry.terraform.io", "registry.opentofu.org"}

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
	mirror, err := BothHostsMirror(AWSMirror())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(cliConfig(mirror, devOverrideDir)), 0o644); err != nil {
		t.Fatalf("write Terraform CLI config: %v", err)
	}
	return path
}

// BothHostsMirror returns a filesystem mirror that serves the providers of mirror under
// registry.opentofu.org as well as registry.terraform.io, so that OpenTofu finds
// hashicorp/aws offline too. A mirror that has both already (or "") is returned as is;
// otherwise one is made of symlinks in the user cache directory (the platform
// directories are linked: both CLIs follow a symlink there, not higher up).
func BothHostsMirror(mirror string) (string, error) {
	if mirror == "" {
		return "", nil
	}
	if _, err := os.Stat(filepath.Join(mirror, registryHosts[1])); err == nil {
		return mirror, nil
	}
	src := filepath.Join(mirror, registryHosts[0])
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	out := filepath.Join(cache, "safelambda-tf-mirror", strings.ReplaceAll(strings.Trim(mirror, string(filepath.Separator)), string(filepath.Separator), "_"))
	platforms, err := filepath.Glob(filepath.Join(src, "*", "*", "*", "*"))
	if err != nil {
		return "", err
	}
	for _, platform := range platforms {
		rel, err := filepath.Rel(src, platform)
		if err != nil {
			return "", err
		}
		for _, host := range registryHosts {
			link := filepath.Join(out, host, rel)
			if _, err := os.Lstat(link); err == nil {
				continue
			}
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				return "", fmt.Errorf("make a filesystem mirror for both registries: %w", err)
			}
			if err := os.Symlink(platform, link); err != nil && !os.IsExist(err) {
				return "", fmt.Errorf("make a filesystem mirror for both registries: %w", err)
			}
		}
	}
	return out, nil
}

func cliConfig(mirror, devOverrideDir string) string {
	var b strings.Builder
	b.WriteString("provider_installation {\n")
	if devOverrideDir != "" {
		b.WriteString("  dev_overrides {\n")
		for _, host := range registryHosts {
			b.WriteString("    " + strconv.Quote(host+"/safelambda/safelambda") + " = " + strconv.Quote(devOverrideDir) + "\n")
		}
		b.WriteString("  }\n")
	}
	if mirror != "" {
		hashicorp := strconv.Quote(registryHosts[0]+"/hashicorp/*") + ", " + strconv.Quote(registryHosts[1]+"/hashicorp/*")
		b.WriteString("  filesystem_mirror {\n")
		b.WriteString("    path    = " + strconv.Quote(mirror) + "\n")
		b.WriteString("    include = [" + hashicorp + "]\n")
		b.WriteString("  }\n")
		b.WriteString("  direct {\n")
		b.WriteString("    exclude = [" + hashicorp + "]\n")
		b.WriteString("  }\n")
	} else {
		b.WriteString("  direct {}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
