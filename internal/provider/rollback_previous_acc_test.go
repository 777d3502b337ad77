package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

func aliasDescription(t *testing.T, fn string) string {
	t.Helper()
	out, err := acctest.Lambda(t).GetAlias(t.Context(), &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Description)
}

// The incident rollback after a rollback-forward: release code A (version 1), code B
// (version 2), then code A again, which reuses version 1. The action returns to 2, the
// version that served before, not to the newest version older than 1; its progress names
// the rule. Pressed again, it does not move the alias back to 1.
func TestAccRollbackAction_returnsToWhatServedBefore(t *testing.T) {
	acctest.PreCheck(t)
	acctest.SkipBelowTerraform(t, "1.14.0", "actions (terraform apply -invoke)")
	fn := acctest.FunctionPublished(t, "").Name // version 1: code v1
	config := func(sha string) string {
		return fmt.Sprintf(`
resource "safelambda_deployment" "test" {
  function_name = %q
  alias         = "live"
  code_sha256   = %q
}

action "safelambda_rollback" "api" {
  config {
    function_name = safelambda_deployment.test.function_name
    alias         = safelambda_deployment.test.alias
  }
}
`, fn, sha)
	}
	w := acctest.NewWorkdir(t, config(shaV1))
	tfRun(t, w, "apply", "-auto-approve", "-input=false") // A: version 1
	mustAliasServe(t, fn, "1")
	acctest.UpdateCode(t, fn, "v2")
	if err := w.SetConfig(config(shaV2)); err != nil {
		t.Fatal(err)
	}
	tfRun(t, w, "apply", "-auto-approve", "-input=false") // B: version 2, published
	mustAliasServe(t, fn, "2")
	if err := w.SetConfig(config(shaV1)); err != nil {
		t.Fatal(err)
	}
	tfRun(t, w, "apply", "-auto-approve", "-input=false") // A again: version 1 reused
	mustAliasServe(t, fn, "1")
	if n := versionCount(t, fn); n != 2 {
		t.Fatalf("%d versions published, want 2 (code A's version reused)", n)
	}
	if d := aliasDescription(t, fn); !regexp.MustCompile(`^safelambda released version 1 from 2 in d-\S+ by .+ at \S+$`).MatchString(d) {
		t.Errorf("alias description after releasing A again: %q", d)
	}

	out, _ := tfRun(t, w, "apply", "-auto-approve", "-input=false", "-invoke=action.safelambda_rollback.api")
	t.Logf("terraform apply -invoke printed:\n%s", out)
	wantOutput(t, out, "alias live: going back to version 2, the version alias live served before release d-", "(recorded on the alias)",
		"alias live: 100% → 2 (was 1)")
	mustAliasServe(t, fn, "2")
	if d := aliasDescription(t, fn); !regexp.MustCompile(`^safelambda restored version 2 from 1 in d-`).MatchString(d) {
		t.Errorf("alias description after the rollback: %q", d)
	}

	// Pressed again: it stays on 2, saying why.
	out, _ = tfRun(t, w, "apply", "-auto-approve", "-input=false", "-invoke=action.safelambda_rollback.api")
	wantOutput(t, out, "alias live: staying on version 2: release d-", "already took alias live back to 2 from 1", "alias live: already rolled back; stays 100% on 2, nothing to move")
	mustAliasServe(t, fn, "2")
}
