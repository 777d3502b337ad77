package acctest

import (
	"fmt"
	"strings"
)

// DeploymentConfig is a test configuration: an optional provider block and one
// resource "safelambda_deployment" "test". Empty fields are left out.
type DeploymentConfig struct {
	Provider     string // body of provider "safelambda" {}; "" for no block
	Function     string
	Code         string // code_sha256
	Version      string
	Shift        string // the traffic_shift object, e.g. `{ preset = "AllAtOnce" }`
	Alarms       []string
	PollInterval string
	IgnoreAlarms bool
	Pre, Post    string // hook function names
	Timeouts     string // the timeouts object
	Extra        string // more attribute lines, verbatim
	// TrafficArrivesVia is traffic_arrives_via. Empty with a Shift renders "direct_invoke":
	// tests drive the alias with no trigger, which the wiring check would refuse; "-"
	// leaves the attribute out.
	TrafficArrivesVia string
}

// HCL renders the configuration.
func (r DeploymentConfig) HCL() string {
	var b strings.Builder
	if r.Provider != "" {
		fmt.Fprintf(&b, "provider \"safelambda\" {\n%s\n}\n\n", r.Provider)
	}
	fmt.Fprintf(&b, "resource \"safelambda_deployment\" \"test\" {\n  function_name = %q\n  alias         = \"live\"\n", r.Function)
	attr := func(name, value string, quote bool) {
		if value == "" {
			return
		}
		if quote {
			value = fmt.Sprintf("%q", value)
		}
		fmt.Fprintf(&b, "  %s = %s\n", name, value)
	}
	attr("code_sha256", r.Code, true)
	attr("version", r.Version, true)
	attr("traffic_shift", r.Shift, false)
	if len(r.Alarms) > 0 {
		quoted := make([]string, len(r.Alarms))
		for i, a := range r.Alarms {
			quoted[i] = fmt.Sprintf("%q", a)
		}
		attr("alarms", "["+strings.Join(quoted, ", ")+"]", false)
	}
	attr("alarm_poll_interval", r.PollInterval, true)
	if r.IgnoreAlarms {
		attr("ignore_alarms", "true", false)
	}
	if r.Pre != "" || r.Post != "" {
		b.WriteString("  hooks = {\n")
		if r.Pre != "" {
			fmt.Fprintf(&b, "    pre_traffic = %q\n", r.Pre)
		}
		if r.Post != "" {
			fmt.Fprintf(&b, "    post_traffic = %q\n", r.Post)
		}
		b.WriteString("  }\n")
	}
	attr("timeouts", r.Timeouts, false)
	switch via := r.TrafficArrivesVia; {
	case via == "" && r.Shift != "":
		attr("traffic_arrives_via", "direct_invoke", true)
	case via != "" && via != "-":
		attr("traffic_arrives_via", via, true)
	}
	b.WriteString(r.Extra)
	b.WriteString("}\n")
	return b.String()
}
