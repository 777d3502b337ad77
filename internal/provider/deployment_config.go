package provider

import (
	"math/big"

	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// releaseConfig reads the resource's configuration (or plan) as the engine's
// shift.Config. It works on the raw value so that an unknown anywhere (a whole object
// from a variable, one list element from a reference, a for_each key) is recorded as
// unknown at its path instead of failing a conversion: the engine's rules wait for it.
func releaseConfig(raw tftypes.Value, region string) shift.Config {
	c := shift.Config{Unknown: map[string]bool{}, Region: region}
	rd := configReader{unknown: c.Unknown}
	root, ok := rd.object(nil, raw)
	if !ok {
		return c
	}
	at := func(name string) []any { return []any{name} }

	if s := rd.str(at("function_name"), root["function_name"]); s != nil {
		c.Function = *s
	}
	if s := rd.str(at("alias"), root["alias"]); s != nil {
		c.Alias = *s
	}
	c.CodeSha256 = rd.str(at("code_sha256"), root["code_sha256"])
	c.Version = rd.str(at("version"), root["version"])
	c.Description = rd.str(at("description"), root["description"])
	c.AlarmPollInterval = rd.str(at("alarm_poll_interval"), root["alarm_poll_interval"])
	if b := rd.bool(at("ignore_alarms"), root["ignore_alarms"]); b != nil {
		c.IgnoreAlarms = *b
	}
	if b := rd.bool(at("ignore_poll_alarm_failure"), root["ignore_poll_alarm_failure"]); b != nil {
		c.IgnorePollAlarmFailure = *b
	}
	c.KeepVersions = rd.int(at("keep_versions"), root["keep_versions"])
	c.TrafficArrivesVia = rd.str(at("traffic_arrives_via"), root["traffic_arrives_via"])

	if elems, ok := rd.list(at("alarms"), root["alarms"]); ok {
		for i, e := range elems {
			s := rd.str([]any{"alarms", i}, e)
			if s == nil {
				c.Alarms = append(c.Alarms, "")
				continue
			}
			c.Alarms = append(c.Alarms, *s)
		}
	}

	if ts, ok := rd.object(at("traffic_shift"), root["traffic_shift"]); ok {
		p := at("traffic_shift")
		c.Shift = &shift.ShiftConfig{Preset: rd.str(withName(p, "preset"), ts["preset"])}
		c.Shift.Canary = rd.interval(withName(p, "canary"), ts["canary"])
		c.Shift.Linear = rd.interval(withName(p, "linear"), ts["linear"])
		if steps, ok := rd.list(withName(p, "steps"), ts["steps"]); ok {
			c.Shift.StepsSet = true
			for i, e := range steps {
				sp := withName(p, "steps", i)
				var st shift.StepConfig
				if o, ok := rd.object(sp, e); ok {
					if f := rd.float(withName(sp, "percentage"), o["percentage"]); f != nil {
						st.Percentage = *f
					}
					if s := rd.str(withName(sp, "hold"), o["hold"]); s != nil {
						st.Hold = *s
					}
				}
				c.Shift.Steps = append(c.Shift.Steps, st)
			}
		}
	}

	if h, ok := rd.object(at("hooks"), root["hooks"]); ok {
		c.Hooks = &shift.HooksConfig{
			PreTraffic:  rd.str([]any{"hooks", "pre_traffic"}, h["pre_traffic"]),
			PostTraffic: rd.str([]any{"hooks", "post_traffic"}, h["post_traffic"]),
		}
	}

	c.Approval = rd.approval(root["approval"])

	if g, ok := rd.object(at("metric_gates"), root["metric_gates"]); ok {
		p := at("metric_gates")
		c.MetricGates = &shift.MetricGatesConfig{
			MaxErrorRate:      rd.float(withName(p, "max_error_rate"), g["max_error_rate"]),
			MaxP99Duration:    rd.str(withName(p, "max_p99_duration"), g["max_p99_duration"]),
			CompareToBaseline: rd.bool(withName(p, "compare_to_baseline"), g["compare_to_baseline"]),
			Confidence:        rd.float(withName(p, "confidence"), g["confidence"]),
			MinInvocations:    rd.int(withName(p, "min_invocations"), g["min_invocations"]),
			ArrivalDelay:      rd.str(withName(p, "arrival_delay"), g["arrival_delay"]),
		}
	}

	if e, ok := rd.object(at("events"), root["events"]); ok {
		c.Events = &shift.EventsConfig{EventBus: rd.str([]any{"events", "event_bus"}, e["event_bus"])}
	}
	c.ReleaseConfiguration = rd.bool(at("release_configuration"), root["release_configuration"])
	c.ConfigurationSha256 = rd.str(at("configuration_sha256"), root["configuration_sha256"])

	if t, ok := rd.object(at("timeouts"), root["timeouts"]); ok {
		c.Timeouts = map[string]string{}
		for _, name := range []string{"create", "update", "delete"} {
			if s := rd.str([]any{"timeouts", name}, t[name]); s != nil {
				c.Timeouts[name] = *s
			}
		}
	}
	return c
}

// configReader reads known values and records the paths of unknown ones.
type configReader struct{ unknown map[string]bool }

// known reports whether v holds a value: false for null (and an absent attribute) and
// for unknown, which is recorded.
func (r configReader) known(path []any, v tftypes.Value) bool {
	if v.Type() == nil || v.IsNull() {
		return false
	}
	if !v.IsKnown() {
		r.unknown[shift.FormatPath(path)] = true
		return false
	}
	return true
}

func (r configReader) str(path []any, v tftypes.Value) *string {
	var s string
	if !r.known(path, v) || v.As(&s) != nil {
		return nil
	}
	return &s
}

func (r configReader) bool(path []any, v tftypes.Value) *bool {
	var b bool
	if !r.known(path, v) || v.As(&b) != nil {
		return nil
	}
	return &b
}

func (r configReader) float(path []any, v tftypes.Value) *float64 {
	var n big.Float
	if !r.known(path, v) || v.As(&n) != nil {
		return nil
	}
	f, _ := n.Float64()
	return &f
}

func (r configReader) int(path []any, v tftypes.Value) *int64 {
	var n big.Float
	if !r.known(path, v) || v.As(&n) != nil {
		return nil
	}
	i, _ := n.Int64()
	return &i
}

func (r configReader) object(path []any, v tftypes.Value) (map[string]tftypes.Value, bool) {
	var m map[string]tftypes.Value
	if !r.known(path, v) || v.As(&m) != nil {
		return nil, false
	}
	return m, true
}

func (r configReader) list(path []any, v tftypes.Value) ([]tftypes.Value, bool) {
	var l []tftypes.Value
	if !r.known(path, v) || v.As(&l) != nil {
		return nil, false
	}
	return l, true
}

func (r configReader) interval(path []any, v tftypes.Value) *shift.IntervalConfig {
	o, ok := r.object(path, v)
	if !ok {
		return nil
	}
	var iv shift.IntervalConfig
	if f := r.float(withName(path, "percentage"), o["percentage"]); f != nil {
		iv.Percentage = *f
	}
	if s := r.str(withName(path, "interval"), o["interval"]); s != nil {
		iv.Interval = *s
	}
	return &iv
}

// withName copies before appending so sibling paths never share a backing array.
func withName(path []any, elems ...any) []any {
	out := make([]any, 0, len(path)+len(elems))
	return append(append(out, path...), elems...)
}
