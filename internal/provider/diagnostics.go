package provider

import (
	"fmt"
	"strings"

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

// addReleaseNotes turns what a successful release went on through (the engine's timeline
// warnings: another configuration's release undone, a lease taken over, alarm reads let
// pass, versions kept) into one warning, so that a plain terraform apply shows it and not
// only the logs and last_deployment.message.
func addReleaseNotes(diags *diag.Diagnostics, rel shift.Release, res shift.Result) {
	var notes []string
	for _, e := range res.Timeline {
		if e.Kind == shift.EventWarning {
			notes = append(notes, "- "+e.Detail)
		}
	}
	if len(notes) == 0 {
		return
	}
	diags.AddWarning(fmt.Sprintf("Release of %s:%s went on through %s", rel.Function, rel.Alias, plural(len(notes), "note")),
		fmt.Sprintf("The release ended %s; alias %s serves version %s.\n%s", res.Status, rel.Alias, res.LiveVersion, strings.Join(notes, "\n")))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
