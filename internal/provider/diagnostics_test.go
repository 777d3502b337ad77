package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// What a successful release went on through reaches the CLI as one warning; a release
// with nothing to note adds none.
func TestAddReleaseNotes(t *testing.T) {
	rel := shift.Release{Function: "orders-api", Alias: "live"}
	var quiet diag.Diagnostics
	addReleaseNotes(&quiet, rel, shift.Result{Status: shift.StatusSucceeded, LiveVersion: "4",
		Timeline: []shift.Event{{Kind: shift.EventShift, Detail: "10% → 4"}}})
	if len(quiet) != 0 {
		t.Errorf("no warning events, yet %v", quiet)
	}

	var diags diag.Diagnostics
	addReleaseNotes(&diags, rel, shift.Result{Status: shift.StatusSucceeded, LiveVersion: "4", Timeline: []shift.Event{
		{Kind: shift.EventShift, Detail: "10% → 4"},
		{Kind: shift.EventWarning, Detail: "alias live served version 2, put there by release d-b; give each its own alias"},
		{Kind: shift.EventWarning, Detail: "retention kept version 1: used by event source mapping 14e0"},
	}})
	if len(diags) != 1 || diags.HasError() {
		t.Fatalf("diagnostics %v, want one warning", diags)
	}
	d := diags[0]
	if d.Summary() != "Release of orders-api:live went on through 2 notes" {
		t.Errorf("summary %q", d.Summary())
	}
	for _, want := range []string{
		"The release ended Succeeded; alias live serves version 4.",
		"- alias live served version 2, put there by release d-b; give each its own alias",
		"- retention kept version 1: used by event source mapping 14e0",
	} {
		if !strings.Contains(d.Detail(), want) {
			t.Errorf("detail lacks %q:\n%s", want, d.Detail())
		}
	}
}
