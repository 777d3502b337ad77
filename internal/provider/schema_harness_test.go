package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// protoServer is the provider as Terraform sees it, for validation tests that need
// neither the CLI nor AWS.
func protoServer(t *testing.T) tfprotov6.ProviderServer {
	t.Helper()
	return providerserver.NewProtocol6(New("test")())()
}

// objectValue builds a config of the given schema type from Go values: attributes not in
// vals are null. Nested maps and slices follow the type.
func objectValue(t *testing.T, typ tftypes.Type, v any) tftypes.Value {
	t.Helper()
	if v == nil {
		return tftypes.NewValue(typ, nil)
	}
	if _, ok := v.(unknownValue); ok {
		return tftypes.NewValue(typ, tftypes.UnknownValue)
	}
	switch tt := typ.(type) {
	case tftypes.Object:
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("want map for object, got %T", v)
		}
		for k := range m {
			if _, ok := tt.AttributeTypes[k]; !ok {
				t.Fatalf("no attribute %q in %s", k, tt)
			}
		}
		vals := map[string]tftypes.Value{}
		for name, at := range tt.AttributeTypes {
			vals[name] = objectValue(t, at, m[name])
		}
		return tftypes.NewValue(tt, vals)
	case tftypes.List, tftypes.Set:
		s, ok := v.([]any)
		if !ok {
			t.Fatalf("want []any for %s, got %T", tt, v)
		}
		var elem tftypes.Type
		switch c := tt.(type) {
		case tftypes.List:
			elem = c.ElementType
		case tftypes.Set:
			elem = c.ElementType
		}
		var elems []tftypes.Value
		for _, e := range s {
			elems = append(elems, objectValue(t, elem, e))
		}
		return tftypes.NewValue(tt, elems)
	case tftypes.Map:
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("want map[string]any for map, got %T", v)
		}
		elems := map[string]tftypes.Value{}
		for k, e := range m {
			elems[k] = objectValue(t, tt.ElementType, e)
		}
		return tftypes.NewValue(tt, elems)
	}
	switch x := v.(type) {
	case int:
		return tftypes.NewValue(typ, int64(x))
	case float64:
		return tftypes.NewValue(typ, x)
	}
	return tftypes.NewValue(typ, v)
}

// unknownValue stands for a value Terraform does not know at plan time ("known after
// apply"): a reference to a resource not created yet, a for_each key, a variable.
type unknownValue struct{}

// unknown is unknownValue{}, for tables.
var unknown = unknownValue{}

func dynamicValue(t *testing.T, typ tftypes.Type, v any) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, objectValue(t, typ, v))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// diagSummary renders diagnostics as "path: summary: detail" lines for assertions.
func diagSummary(diags []*tfprotov6.Diagnostic) string {
	var b strings.Builder
	for _, d := range diags {
		if d.Severity != tfprotov6.DiagnosticSeverityError {
			continue
		}
		p := ""
		if d.Attribute != nil {
			p = d.Attribute.String()
		}
		b.WriteString(p + ": " + d.Summary + ": " + d.Detail + "\n")
	}
	return b.String()
}

func providerSchemaType(t *testing.T, s tfprotov6.ProviderServer) tftypes.Type {
	t.Helper()
	resp, err := s.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Provider.ValueType()
}
