package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// fakePrivate is a resource's private state, as the framework keeps it between calls.
type fakePrivate map[string][]byte

func (p fakePrivate) GetKey(_ context.Context, key string) ([]byte, diag.Diagnostics) {
	return p[key], nil
}

func (p fakePrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	if len(value) == 0 {
		delete(p, key)
	} else {
		p[key] = value
	}
	return nil
}

// A split found at import stays adopted while it is the same split; it is a pending
// release again once it moved onto other versions, a safelambda release wrote the alias
// (a killed release of this configuration leaves its own lease), or it ended.
func TestTrackSplit(t *testing.T) {
	ctx := context.Background()
	canary := shift.Live{Version: "1", Weights: map[string]float64{"2": 0.1}}
	steps := []struct {
		name     string
		imported bool
		live     shift.Live
		want     bool
	}{
		{"an import finds a split", true, canary, true},
		{"the same canary at another weight", false, shift.Live{Version: "1", Weights: map[string]float64{"2": 0.3}}, true},
		{"a release of this configuration, killed, left its lease", false, shift.Live{Version: "1", Weights: map[string]float64{"2": 0.1}, Writer: "d-killed"}, false},
		{"adopted no more, even when the lease goes", false, canary, false},
	}
	priv := fakePrivate{}
	for _, s := range steps {
		var diags diag.Diagnostics
		if got := trackSplit(ctx, priv, priv, s.imported, s.live, &diags); got != s.want || diags.HasError() {
			t.Fatalf("%s: adopted = %v, want %v (%v)", s.name, got, s.want, diags)
		}
		if isAdopted(ctx, priv) != s.want {
			t.Fatalf("%s: the private state says adopted = %v", s.name, !s.want)
		}
	}

	for _, tt := range []struct {
		name string
		live shift.Live
	}{
		{"the canary ended", shift.Live{Version: "2"}},
		{"split onto another version", shift.Live{Version: "1", Weights: map[string]float64{"3": 0.1}}},
	} {
		priv := fakePrivate{}
		var diags diag.Diagnostics
		trackSplit(ctx, priv, priv, true, canary, &diags)
		if trackSplit(ctx, priv, priv, false, tt.live, &diags) || isAdopted(ctx, priv) {
			t.Errorf("%s: still adopted", tt.name)
		}
	}
	// An import of an alias on one version adopts nothing.
	priv = fakePrivate{}
	var diags diag.Diagnostics
	if trackSplit(ctx, priv, priv, true, shift.Live{Version: "1"}, &diags) || len(priv) != 0 {
		t.Errorf("an unsplit import recorded %v", priv)
	}
}
