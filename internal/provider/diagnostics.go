package provider

import (
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// addReleaseError reports a failed release: the summary says how it ended, the detail is
// the engine's account (what tripped, what the alias serves now, what to do, timeline).
func addReleaseError(diags *diag.Diagnostics, rel shift.Release, res shift.Result, err error) {
	target := rel.Function + ":" + rel.Alias
	var summary string
	switch res.Status {
	case shift.StatusRolledBack:
		summary = fmt.Sprintf("Release of %s rolled back", target)
	default:
		summary = fmt.Sprintf("Release of %s failed", target)
	}
	var re *shift.ReleaseError
	if !errors.As(err, &re) {
		// Not the engine's own account: add what is live ourselves.
		err = fmt.Errorf("%w\n\n%s", err, liveSummary(res))
	}
	diags.AddError(summary, err.Error())
}

func liveSummary(res shift.Result) string {
	if !res.AliasExists {
		return "The alias does not exist now."
	}
	if len(res.LiveWeights) == 0 {
		return fmt.Sprintf("The alias serves version %s with no weights.", res.LiveVersion)
	}
	return fmt.Sprintf("The alias serves version %s with weights %v.", res.LiveVersion, res.LiveWeights)
}
