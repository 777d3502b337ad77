package provider

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// configurationSecret is an environment value no plan, state or message may show.
const configurationSecret = "s3cr3t-config-value"

// flat is a CLI answer with its line wrapping undone.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }

// A configuration-only change made outside Terraform (an environment variable, through
// the Lambda API) shows as a pending release naming the setting, and the next apply
// releases it: a new version with the new environment, then an empty plan.
func TestAccDeployment_configurationChangeReleased(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	fn := acctest.Function(t, "").Name
	w := acctest.NewWorkdir(t, release{Function: fn, Code: shaV1}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	if got := acctest.GetAlias(t, fn, "live"); got.Version != "1" {
		t.Fatalf("first release: alias serves %s, want 1", got.Version)
	}
	acctest.SetEnvironment(t, fn, map[string]string{"DB_PASSWORD": configurationSecret})

	out, _ := w.Run(t.Context(), "plan", "-detailed-exitcode")
	if out == nil || out.ExitCode != 2 {
		t.Fatalf("the plan should show a pending release:\n%s", out)
	}
	if !strings.Contains(flat(out.String()), "configuration change (environment)") {
		t.Errorf("the plan should name the setting that changed:\n%s", out)
	}
	if strings.Contains(out.String(), configurationSecret) {
		t.Errorf("the plan shows an environment value:\n%s", out)
	}

	out, err := w.Run(t.Context(), "apply", "-auto-approve")
	if err != nil {
		t.Fatalf("the configuration release: %v\n%s", err, out)
	}
	if got := acctest.GetAlias(t, fn, "live"); got.Version != "2" || got.Weights != nil {
		t.Fatalf("after the configuration release the alias serves %s %v, want 2", got.Version, got.Weights)
	}
	if env := acctest.VersionEnvironment(t, fn, "2"); env["DB_PASSWORD"] != configurationSecret {
		t.Errorf("version 2 should hold the new environment")
	}
	if strings.Contains(out.String(), configurationSecret) {
		t.Errorf("the apply shows an environment value:\n%s", out)
	}
	stateHoldsNoSecret(t, w)

	if out, err := w.Run(t.Context(), "plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("after the release the plan should be empty: %v\n%s", err, out)
	}
}

// With release_configuration = false the same change is not released: the plan is
// empty but warns, naming the setting and the line to change, and an apply leaves the
// alias where it is.
func TestAccDeployment_configurationChangeCodeOnly(t *testing.T) {
	acctest.PreCheck(t)
	t.Parallel()
	fn := acctest.Function(t, "").Name
	w := acctest.NewWorkdir(t, release{Function: fn, Code: shaV1, Extra: "  release_configuration = false\n"}.HCL())
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("first release: %v\n%s", err, out)
	}
	acctest.SetEnvironment(t, fn, map[string]string{"DB_PASSWORD": configurationSecret})

	out, err := w.Run(t.Context(), "plan", "-detailed-exitcode")
	if err != nil {
		t.Fatalf("the plan should be empty, with a warning: %v\n%s", err, out)
	}
	for _, want := range []string{"Configuration change not released", "differs from $LATEST's in environment", "release_configuration = true"} {
		if !strings.Contains(flat(out.String()), want) {
			t.Errorf("the plan should say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), configurationSecret) {
		t.Errorf("the plan shows an environment value:\n%s", out)
	}
	if out, err := w.Run(t.Context(), "apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	if got := acctest.GetAlias(t, fn, "live"); got.Version != "1" {
		t.Errorf("code only: the alias serves %s, want 1 still", got.Version)
	}
}

// stateHoldsNoSecret reads the state file, private data included (base64 in the file),
// and fails when it holds the environment value.
func stateHoldsNoSecret(t *testing.T, w *acctest.Workdir) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(w.Dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{string(raw)}
	var doc struct {
		Resources []struct {
			Instances []struct {
				Private string `json:"private"`
			} `json:"instances"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range doc.Resources {
		for _, i := range r.Instances {
			b, _ := base64.StdEncoding.DecodeString(i.Private)
			texts = append(texts, string(b))
		}
	}
	for _, s := range texts {
		if strings.Contains(s, configurationSecret) {
			t.Errorf("the state holds an environment value")
		}
	}
}
