package iamtest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// withEvents adds events on bus to a config of this package, with EventBridge reached
// through endpoint like the other services.
func withEvents(cfg, endpoint, bus string) string {
	cfg = strings.Replace(cfg, "  endpoints {\n", fmt.Sprintf("  endpoints {\n    events     = %q\n", endpoint), 1)
	return strings.Replace(cfg, "  keep_versions = 1\n", fmt.Sprintf("  keep_versions = 1\n  events        = { event_bus = %q }\n", bus), 1)
}

// events:PutEvents is needed exactly when a release has events: with the guide's policy
// every event reaches the bus; without the action the release still succeeds (events
// never fail a release) but nothing reaches the bus; and a release without events needs
// no EventBridge permission at all.
func TestAccIAM_eventsNeedPutEvents(t *testing.T) {
	asAdmin(t)
	for _, tc := range []struct {
		name   string
		events bool
		policy func() string
		want   int // events on the queue
	}{
		{name: "the guide's policy", events: true, policy: func() string { return loadPolicy(t).motoDialect() }, want: 3},
		{name: "without events:PutEvents", events: true, policy: func() string { return loadPolicy(t).without("events:PutEvents").motoDialect() }},
		{name: "no events and no events:PutEvents", policy: func() string { return loadPolicy(t).without("events:PutEvents").motoDialect() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			world(t)
			q := acctest.NewEventQueue(t, "")
			keyID, secret := userWithPolicy(t, tc.policy())
			cfg := config(admin.proxy.URL(), keyID, secret, shaV1)
			if tc.events {
				cfg = withEvents(cfg, admin.proxy.URL(), q.Bus)
			}
			resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: protoV6, Steps: []resource.TestStep{{
				PreConfig:         func() { acctest.QueueHookResults(t, hookOK, hookOK) },
				Config:            cfg,
				ConfigStateChecks: []statecheck.StateCheck{expect("version", "1"), expectStatus("Succeeded")},
				Check: func(*terraform.State) error {
					got := q.Drain(t)
					var kinds []string
					for _, e := range got {
						kinds = append(kinds, e.DetailType)
					}
					if len(got) != tc.want {
						return fmt.Errorf("%d events reached the bus (%q), want %d", len(got), kinds, tc.want)
					}
					if tc.want > 0 && strings.Join(kinds, ", ") != "Release Started, Release Promoted, Release Finished" {
						return fmt.Errorf("events %q", kinds)
					}
					return nil
				},
			}}})
		})
	}
}
