package shift

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// This file owns what a release of code and configuration compares: the settings a
// published version freezes besides its code, and which of them differ between two
// versions. Only the names of differing settings ever leave it: environment values are
// secrets, so a Configuration holds a digest of them, never the values.

// Configuration is a version's configuration as released with it: one canonical text per
// setting, keyed by the setting's name as aws_lambda_function spells it. A setting a
// version does not have is absent (or ""). nil means "not read" and compares equal to
// anything, so callers that never read configuration see no difference.
type Configuration map[string]string

// ConfigurationSettings are the settings a Lambda version freezes besides its code, in
// the order differences are named. They are what SAM's AutoPublishAliasAllProperties
// releases: PublishVersion copies each of them from $LATEST.
var ConfigurationSettings = []string{
	"environment", "memory_size", "timeout", "ephemeral_storage", "layers", "runtime", "handler",
	"image_config", "architectures", "role", "vpc_config", "file_system_config", "dead_letter_config",
	"tracing_config", "logging_config", "kms_key_arn", "snap_start",
}

// ConfigurationDiff names the settings in which a and b differ, in ConfigurationSettings
// order (then any other key, sorted). It is nil when either side was not read.
func ConfigurationDiff(a, b Configuration) []string {
	if a == nil || b == nil {
		return nil
	}
	var diff []string
	seen := map[string]bool{}
	for _, k := range ConfigurationSettings {
		seen[k] = true
		if a[k] != b[k] {
			diff = append(diff, k)
		}
	}
	var extra []string
	for _, m := range []Configuration{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				if a[k] != b[k] {
					extra = append(extra, k)
				}
			}
		}
	}
	slices.Sort(extra)
	return append(diff, extra...)
}

// EnvironmentDigest is the text a Configuration holds for environment variables: a
// SHA-256 over the sorted names and values, so that two versions compare without the
// values being kept anywhere. No variables is "".
func EnvironmentDigest(vars map[string]string) string {
	if len(vars) == 0 {
		return ""
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	h := sha256.New()
	for _, k := range keys {
		// Length-prefixed so that no two different maps hash the same text.
		h.Write([]byte(strings.Join([]string{strconv.Itoa(len(k)), k, strconv.Itoa(len(vars[k])), vars[k]}, ":")))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// settingList says "environment, memory_size".
func settingList(names []string) string { return strings.Join(names, ", ") }
