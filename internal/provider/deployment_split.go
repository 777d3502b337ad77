package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// This file owns what the resource does with an alias that is split between versions when
// no release of this configuration is in flight: a split found at import (a canary another
// tool or another configuration is running) is left alone until the configuration asks for
// a release; any other split (one left by an interrupted release) is a pending release,
// resumed or restored by the next apply.

// privateAdoptedSplit records, in the resource's private state, the split an import found.
const privateAdoptedSplit = "adopted_split"

// adoptedSplit is a split found at import: the versions that take a share of the traffic,
// and the safelambda release whose lease or mark the alias carried then ("" when none).
// While the alias stays split onto the same versions and no safelambda release writes it,
// it is the same split: the canary of whoever started it.
type adoptedSplit struct {
	Versions []string `json:"versions"`
	Writer   string   `json:"writer,omitempty"`
}

func splitOf(live shift.Live) adoptedSplit {
	s := adoptedSplit{Writer: live.Writer}
	for v := range live.Weights {
		s.Versions = append(s.Versions, v)
	}
	slices.Sort(s.Versions)
	return s
}

type privateState interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateWriter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// isAdopted says whether the split in state is one an import found and that has not
// changed hands since (as the last refresh judged it).
func isAdopted(ctx context.Context, priv privateState) bool {
	if priv == nil {
		return false
	}
	b, _ := priv.GetKey(ctx, privateAdoptedSplit)
	return len(b) > 0
}

// trackSplit keeps the record of an adopted split at a refresh: an import that finds the
// alias split records it; a later refresh keeps it while the split is the same one, and
// drops it once the split ended, moved onto other versions, or a safelambda release wrote
// the alias (a release of this configuration that was killed leaves its own lease: that
// split is a pending release again). It returns whether the split is adopted.
func trackSplit(ctx context.Context, priv privateState, out privateWriter, imported bool, live shift.Live, diags *diag.Diagnostics) bool {
	now := splitOf(live)
	keep := false
	switch {
	case len(live.Weights) == 0:
	case imported:
		keep = true
	default:
		var was adoptedSplit
		b, _ := priv.GetKey(ctx, privateAdoptedSplit)
		keep = len(b) > 0 && json.Unmarshal(b, &was) == nil && slices.Equal(was.Versions, now.Versions) && was.Writer == now.Writer
	}
	if !keep {
		if isAdopted(ctx, priv) {
			diags.Append(out.SetKey(ctx, privateAdoptedSplit, nil)...)
		}
		return false
	}
	b, err := json.Marshal(now)
	if err != nil {
		diags.AddError("Cannot record the split found at import", err.Error())
		return false
	}
	diags.Append(out.SetKey(ctx, privateAdoptedSplit, b)...)
	return true
}

// splitInState is the split state records ("" when the alias serves one version).
func splitInState(state *deploymentModel) string {
	if state == nil || state.AdditionalVersionWeights.IsNull() || state.AdditionalVersionWeights.IsUnknown() ||
		len(state.AdditionalVersionWeights.Elements()) == 0 {
		return ""
	}
	w := map[string]float64{}
	for v, e := range state.AdditionalVersionWeights.Elements() {
		if f, ok := e.(types.Float64); ok {
			w[v] = f.ValueFloat64()
		}
	}
	return routingText(state.Version.ValueString(), w)
}

// planSplitNote says in the plan what the apply does with a split alias: leave it (an
// adopted split and no release asked for), or resume or restore it before releasing.
func planSplitNote(config deploymentModel, state *deploymentModel, adopted, pending bool, diags *diag.Diagnostics) {
	split := splitInState(state)
	if split == "" {
		return
	}
	alias, primary := config.Alias.ValueString(), state.Version.ValueString()
	if primary == "" {
		primary = "its primary version"
	}
	at := path.Root("code_sha256")
	if !config.Version.IsNull() {
		at = path.Root("version")
	}
	if adopted && !pending {
		diags.AddAttributeWarning(at, "Alias split by a release this configuration did not start: left as it is",
			fmt.Sprintf("Alias %s serves %s, split when it was imported (a canary another tool or configuration runs). "+
				"This plan moves no traffic, and neither does any apply until this configuration asks for a release: "+
				"set %s to the weighted version's code (or version) to resume that canary with this resource's traffic_shift and "+
				"promote it, or to any other version to restore %s with no weights first and then release it.",
				alias, split, at, primary))
		return
	}
	if pending {
		diags.AddAttributeWarning(at, "Alias split: this apply resumes or restores it",
			fmt.Sprintf("Alias %s serves %s. The release planned here resumes that split when the version it releases is the "+
				"weighted one and its checks pass (the current step is held again, then the schedule goes on); otherwise it restores "+
				"%s with no weights before anything else, then releases.", alias, split, primary))
	}
}
