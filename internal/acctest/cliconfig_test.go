package acctest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCLIConfigText(t *testing.T) {
	got := cliConfig("/opt/tf-plugins", "/tmp/bin")
	want := `provider_installation {
  dev_overrides {
    "registry.terraform.io/safelambda/safelambda" = "/tmp/bin"
    "registry.opentofu.org/safelambda/safelambda" = "/tmp/bin"
  }
  filesystem_mirror {
    path    = "/opt/tf-plugins"
    include = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*"]
  }
}
`
	if got != want {
		t.Errorf("cliConfig with mirror and override:\n%s\nwant:\n%s", got, want)
	}
	if got := cliConfig("", ""); got != "provider_installation {\n  direct {}\n}\n" {
		t.Errorf("cliConfig with neither:\n%s", got)
	}
}

func TestAWSMirror(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SAFELAMBDA_TF_MIRROR", dir)
	if got := AWSMirror(); got != "" {
		t.Errorf("AWSMirror() = %q for a directory without hashicorp/aws", got)
	}
	if err := os.MkdirAll(filepath.Join(dir, "registry.terraform.io", "hashicorp", "aws"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := AWSMirror(); got != dir {
		t.Errorf("AWSMirror() = %q, want %q", got, dir)
	}
}

// TestCLIConfigInstallsAWSFromTheMirror runs terraform init offline with the written
// config: hashicorp/aws must come from the mirror, and the dev override must be accepted.
func TestCLIConfigInstallsAWSFromTheMirror(t *testing.T) {
	PreCheck(t)
	RequireTerraform(t)
	if AWSMirror() == "" {
		t.Skip("no filesystem mirror with hashicorp/aws (set SAFELAMBDA_TF_MIRROR)")
	}
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		tf = "terraform"
	}
	work := t.TempDir()
	main := `terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
`
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), tf, "init", "-input=false", "-no-color")
	cmd.Dir = work
	cmd.Env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+WriteCLIConfig(t, t.TempDir()),
		"TF_PLUGIN_CACHE_DIR=", "TF_IN_AUTOMATION=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("terraform init: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "hashicorp/aws") || !strings.Contains(string(out), "has been successfully initialized") {
		t.Errorf("terraform init output:\n%s", out)
	}
}

func TestBothHostsMirror(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	src := t.TempDir()
	platform := filepath.Join(src, "registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64")
	if err := os.MkdirAll(platform, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(platform, "terraform-provider-aws_v5.100.0_x5"), []byte("bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ { // the second run finds everything in place
		got, err := BothHostsMirror(src)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		for _, host := range registryHosts {
			b, err := os.ReadFile(filepath.Join(got, host, "hashicorp", "aws", "5.100.0", "linux_amd64", "terraform-provider-aws_v5.100.0_x5"))
			if err != nil || string(b) != "bin" {
				t.Fatalf("run %d: %s mirror: %q, %v", run, host, b, err)
			}
		}
	}
	if got, _ := BothHostsMirror(""); got != "" {
		t.Errorf("BothHostsMirror(\"\") = %q, want \"\"", got)
	}
}
