package shift

import (
	"strings"
	"testing"
)

// The configurations below are shaped as internal/awsapi reads them from
// GetFunctionConfiguration: one text per setting, environment as a digest.
var (
	envOld  = EnvironmentDigest(map[string]string{"DB_PASSWORD": "hunter2", "STAGE": "prod"})
	envNew  = EnvironmentDigest(map[string]string{"DB_PASSWORD": "correct-horse", "STAGE": "prod"})
	confOld = Configuration{"environment": envOld, "memory_size": "128", "timeout": "3", "runtime": "python3.12", "handler": "index.handler",
		"role": "arn:aws:iam::123456789012:role/orders"}
)

func with(c Configuration, kv ...string) Configuration {
	out := Configuration{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// codeRelease releases code h3 (what alias live serves, version 3) AllAtOnce.
func codeRelease(releaseConfiguration bool) Release {
	return release(func(r *Release) {
		r.Version, r.CodeSha256, r.Schedule, r.ReleaseConfiguration = "", "h3", Schedule{}, releaseConfiguration
	})
}

// configurationChanged is the fake after a configuration-only change: every version has
// the old configuration, $LATEST has code h3 (live) with a new environment and memory size.
func configurationChanged(h *harness) {
	for i := range h.aws.versions {
		h.aws.versions[i].Configuration = confOld
	}
	h.aws.latestSha = "h3"
	h.aws.latest.Configuration = with(confOld, "environment", envNew, "memory_size", "256")
}

// noSecrets fails when a timeline or error shows an environment value.
func noSecrets(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range texts {
		for _, secret := range []string{"hunter2", "correct-horse"} {
			if strings.Contains(s, secret) {
				t.Errorf("an environment value is shown: %s", s)
			}
		}
	}
}

func timelineText(res Result) string {
	var b strings.Builder
	for _, e := range res.Timeline {
		b.WriteString(string(e.Kind) + ": " + e.Detail + "\n")
	}
	return b.String()
}

func TestConfigurationOnlyChangeIsPublished(t *testing.T) {
	h := newHarness(t)
	configurationChanged(h)
	res, err := h.run(codeRelease(true))
	if err != nil || res.Status != StatusSucceeded || res.TargetVersion != "5" || h.aws.count("PublishVersion") != 1 {
		t.Fatalf("status %s target %s, %d publishes, err %v; want version 5 published from $LATEST", res.Status, res.TargetVersion, h.aws.count("PublishVersion"), err)
	}
	h.wantAlias("5", nil)
	if !h.hasEvent(EventPublished, "version 5 from $LATEST (code_sha256 h3); configuration released: environment, memory_size") {
		t.Errorf("timeline does not name the settings released:\n%s", timelineText(res))
	}
	noSecrets(t, timelineText(res), res.Message)
}

func TestConfigurationReleaseReusesAVersionThatMatches(t *testing.T) {
	t.Run("code and configuration match the live version: nothing moves", func(t *testing.T) {
		h := newHarness(t)
		configurationChanged(h)
		h.aws.latest.Configuration = confOld
		res, err := h.run(codeRelease(true))
		if err != nil || res.Status != StatusNoChange || h.aws.count("PublishVersion") != 0 {
			t.Fatalf("status %s, %d publishes, err %v; want NoChange", res.Status, h.aws.count("PublishVersion"), err)
		}
		if h.hasEvent(EventWarning, "configuration") {
			t.Errorf("a warning about configuration when it matches:\n%s", timelineText(res))
		}
	})
	t.Run("an older version with the same code and $LATEST's configuration is reused", func(t *testing.T) {
		h := newHarness(t)
		configurationChanged(h)
		// Version 2 was the same code with the configuration $LATEST has again (a
		// configuration change undone).
		h.aws.versions[1].CodeSha256, h.aws.versions[1].Configuration = "h3", h.aws.latest.Configuration
		res, err := h.run(codeRelease(true))
		if err != nil || res.TargetVersion != "2" || h.aws.count("PublishVersion") != 0 {
			t.Fatalf("target %s, %d publishes, err %v; want version 2 reused", res.TargetVersion, h.aws.count("PublishVersion"), err)
		}
		h.wantAlias("2", nil)
		if !h.hasEvent(EventPublished, "version 2 reused: it already has code_sha256 h3 and $LATEST's configuration") {
			t.Errorf("timeline:\n%s", timelineText(res))
		}
	})
	t.Run("the same code with another configuration is not reused", func(t *testing.T) {
		h := newHarness(t)
		configurationChanged(h)
		h.aws.setAlias("live", "2", nil) // live serves other code; version 3 has the code, not the configuration
		res, err := h.run(codeRelease(true))
		if err != nil || res.TargetVersion != "5" {
			t.Fatalf("target %s err %v; want $LATEST published as 5", res.TargetVersion, err)
		}
	})
}

func TestCodeOnlyReleaseReusesAndWarns(t *testing.T) {
	h := newHarness(t)
	configurationChanged(h)
	res, err := h.run(codeRelease(false))
	if err != nil || res.Status != StatusNoChange || h.aws.count("PublishVersion") != 0 {
		t.Fatalf("status %s, %d publishes, err %v; want NoChange on version 3", res.Status, h.aws.count("PublishVersion"), err)
	}
	if !h.hasEvent(EventWarning, "version 3 is released for its code (release_configuration = false): its configuration differs from $LATEST's in environment, memory_size") ||
		!h.hasEvent(EventWarning, "set release_configuration = true") {
		t.Errorf("timeline does not warn with the settings and the line to change:\n%s", timelineText(res))
	}
	noSecrets(t, timelineText(res), res.Message)
}

// Releasing earlier code (a rollback-forward) while $LATEST holds other code: Lambda
// publishes only $LATEST, so the configuration cannot come along; the version with the
// code is released as it is, and the timeline says so.
func TestConfigurationReleaseOfCodeNotInLatest(t *testing.T) {
	h := newHarness(t)
	configurationChanged(h)
	h.aws.latestSha = "h4"
	h.aws.setAlias("live", "4", nil)
	res, err := h.run(codeRelease(true))
	if err != nil || res.TargetVersion != "3" || h.aws.count("PublishVersion") != 0 {
		t.Fatalf("target %s, %d publishes, err %v; want version 3 reused", res.TargetVersion, h.aws.count("PublishVersion"), err)
	}
	if !h.hasEvent(EventWarning, "$LATEST holds other code (h4), so $LATEST's configuration cannot be released with it") {
		t.Errorf("timeline:\n%s", timelineText(res))
	}
}

func TestConfigurationDiff(t *testing.T) {
	a := with(confOld, "layers", `["arn:aws:lambda:eu-central-1:123456789012:layer:deps:1"]`)
	for _, tc := range []struct {
		name string
		b    Configuration
		want string
	}{
		{"equal", a, ""},
		{"environment value", with(a, "environment", envNew), "environment"},
		{"setting added", with(a, "tracing_config", "Active"), "tracing_config"},
		{"setting removed", with(a, "layers", ""), "layers"},
		{"named in a fixed order", with(a, "vpc_config", "x", "memory_size", "512", "handler", "app.main"), "memory_size, handler, vpc_config"},
		{"a setting this build does not know", with(a, "future_setting", "1"), "future_setting"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := settingList(ConfigurationDiff(a, tc.b)); got != tc.want {
				t.Errorf("diff = %q, want %q", got, tc.want)
			}
		})
	}
	if d := ConfigurationDiff(nil, a); d != nil {
		t.Errorf("a configuration not read compares equal, got %v", d)
	}
}

func TestEnvironmentDigestKeepsNoValue(t *testing.T) {
	vars := map[string]string{"DB_PASSWORD": "hunter2", "STAGE": "prod"}
	d := EnvironmentDigest(vars)
	noSecrets(t, d)
	if strings.Contains(d, "prod") || !strings.HasPrefix(d, "sha256:") {
		t.Errorf("digest %q shows a value or has no algorithm", d)
	}
	if EnvironmentDigest(map[string]string{"STAGE": "prod", "DB_PASSWORD": "hunter2"}) != d {
		t.Error("the digest depends on map order")
	}
	if EnvironmentDigest(map[string]string{"A": "B=C"}) == EnvironmentDigest(map[string]string{"A=B": "C"}) {
		t.Error("two different environments hash alike")
	}
	if EnvironmentDigest(nil) != "" || EnvironmentDigest(map[string]string{}) != "" {
		t.Error("no variables should read as unset")
	}
}

// Refresh learns from Inspect what the plan needs: the served version's configuration
// (read once per version, then kept by the caller) and in which settings $LATEST's
// differs, names only, when $LATEST holds the same code.
func TestInspectReportsConfigurationDrift(t *testing.T) {
	ctx := t.Context()
	h := newHarness(t)
	configurationChanged(h)
	live, err := h.engine.Inspect(ctx, fnName, "live", Known{Version: "3", CodeSha256: "h3", Latest: true})
	if err != nil {
		t.Fatal(err)
	}
	if settingList(live.ConfigurationDrift) != "environment, memory_size" || live.LatestCodeSha256 != "h3" || live.Configuration["memory_size"] != "128" {
		t.Errorf("Inspect = drift %v, latest %q, served %v", live.ConfigurationDrift, live.LatestCodeSha256, live.Configuration)
	}
	if n := h.aws.count("GetVersion"); n != 2 {
		t.Errorf("%d GetVersion calls, want 2 (the served version, whose configuration was not kept, and $LATEST)", n)
	}

	again, err := h.engine.Inspect(ctx, fnName, "live", Known{Version: "3", CodeSha256: "h3", Configuration: live.Configuration, Latest: true})
	if err != nil || settingList(again.ConfigurationDrift) != "environment, memory_size" {
		t.Fatalf("Inspect with the configuration kept = %v, %v", again.ConfigurationDrift, err)
	}
	if n := h.aws.count("GetVersion"); n != 3 {
		t.Errorf("%d GetVersion calls in all, want 3: a kept configuration is not read again", n)
	}

	h.aws.latestSha = "h4"
	other, err := h.engine.Inspect(ctx, fnName, "live", Known{Version: "3", CodeSha256: "h3", Configuration: live.Configuration, Latest: true})
	if err != nil || other.ConfigurationDrift != nil || other.LatestCodeSha256 != "h4" {
		t.Errorf("with other code in $LATEST: drift %v latest %q err %v; want no drift (it cannot be released with this code)", other.ConfigurationDrift, other.LatestCodeSha256, err)
	}
}
