package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// addReleaseError reports a failed release: the summary says how it ended, the detail is
// the engine's account, which every error of Engine.Run carries (what tripped, what the
// alias serves now, what to do, timeline).
func addReleaseError(diags *diag.Diagnostics, rel shift.Release, res shift.Result, err error) {
	summary := fmt.Sprintf("Release of %s:%s failed", rel.Function, rel.Alias)
	if res.Status == shift.StatusRolledBack {
		summary = fmt.Sprintf("Release of %s:%s rolled back", rel.Function, rel.Alias)
	}
	diags.AddError(summary, err.Error())
}
