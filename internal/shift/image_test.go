package shift

import (
	"strings"
	"testing"
)

// Lambda reports a zip package's CodeSha256 in base64 and a container image's as the
// image digest in lowercase hex; code_sha256 takes both, and brings the spellings of a
// digest that ECR and Docker use to Lambda's.
func TestNormalizeCodeSha256(t *testing.T) {
	const (
		zip    = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
		digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	)
	for in, want := range map[string]string{
		zip:                                    zip,
		digest:                                 digest,
		"sha256:" + digest:                     digest,
		strings.ToUpper(digest):                digest,
		"SHA256:" + strings.ToUpper(digest):    digest,
		"sha256:" + strings.ToUpper(digest):    digest,
		"":                                     "",
		"sha256:":                              "",
		digest[:63]:                            "",
		"sha256:" + zip:                        "",
		"d41d8cd98f00b204e9800998ecf8427e":     "",
		"repo@sha256:" + digest:                "",
		strings.TrimSuffix(zip, "="):           "",
		"sha512:" + digest:                     "",
		digest + "0":                           "",
		"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJW=": "",
	} {
		got, ok := NormalizeCodeSha256(in)
		if ok != (want != "") || got != want {
			t.Errorf("NormalizeCodeSha256(%q) = %q, %v; want %q", in, got, ok, want)
		}
		if _, bad := checkCodeSha256(in); bad == ok {
			t.Errorf("checkCodeSha256(%q) refuses: %v, NormalizeCodeSha256 accepts: %v; one rule must decide both", in, bad, ok)
		}
	}
	if !SameCodeSha256("sha256:"+strings.ToUpper(digest), digest) || SameCodeSha256(zip, digest) || SameCodeSha256("x", "y") {
		t.Error("SameCodeSha256 must compare normalised hashes")
	}
}

// What people write by mistake gets a line that says what to write instead.
func TestCodeSha256Hints(t *testing.T) {
	const digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for in, want := range map[string]string{
		"": "code_sha256 is empty",
		"123456789012.dkr.ecr.eu-central-1.amazonaws.com/app@sha256:" + digest: `write its digest alone ("sha256:` + digest + `")`,
		"123456789012.dkr.ecr.eu-central-1.amazonaws.com/app:v1":               "an image pinned by tag has no digest",
		"d41d8cd98f00b204e9800998ecf8427e":                                     "an MD5 such as an S3 object's ETag",
		"abc":                                                                  "for a container image the image digest (64 hex characters",
	} {
		e, bad := checkCodeSha256(in)
		if !bad || FormatPath(e.Path) != "code_sha256" || !strings.Contains(e.Detail, want) {
			t.Errorf("checkCodeSha256(%q) = %v %+v; want an error on code_sha256 containing %q", in, bad, e, want)
		}
	}
}

// Config.Resolve hands the engine the normalised form, so the engine compares it with
// what Lambda reports byte for byte.
func TestResolveNormalisesTheDigest(t *testing.T) {
	const digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	sha := "sha256:" + strings.ToUpper(digest)
	got, errs := Config{Function: "orders-api", Alias: "live", CodeSha256: &sha}.Resolve()
	if len(errs) > 0 || got.Release.CodeSha256 != digest {
		t.Fatalf("Resolve: errors %v, CodeSha256 %q; want none and %q", errs, got.Release.CodeSha256, digest)
	}
}

// An image function is released by its digest: $LATEST's hex CodeSha256 is published
// with the digest as precondition, whichever spelling of the digest the release names.
func TestReleaseAnImageByDigest(t *testing.T) {
	const digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	h := newHarness(t)
	h.aws.latestSha, h.aws.enforceSha = digest, true
	res, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", "sha256:"+strings.ToUpper(digest) }))
	if err != nil || res.Status != StatusSucceeded || res.TargetVersion != "5" || res.LiveCodeSha256 != digest {
		t.Fatalf("status %s target %s live hash %s err %v", res.Status, res.TargetVersion, res.LiveCodeSha256, err)
	}
	if h.aws.count("PublishVersion") != 1 {
		t.Errorf("PublishVersion calls %d, want 1", h.aws.count("PublishVersion"))
	}
}

// A hash of the wrong kind for the package type matches nothing; the error says which
// kind the function has and what to write.
func TestHashOfTheWrongKindSaysWhich(t *testing.T) {
	const digest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	const zip = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" // the same bytes' hash in base64
	for _, tc := range []struct{ name, latest, want, says string }{
		{"filesha256 of a zip", zip, digest, `filebase64sha256("lambda.zip") instead of filesha256("lambda.zip")`},
		{"a base64 hash for an image", digest, zip, "The function is a container image"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.aws.latestSha = tc.latest
			_, err := h.run(release(func(r *Release) { r.Version, r.CodeSha256 = "", tc.want }))
			if err == nil || !strings.Contains(err.Error(), tc.says) || h.aws.count("PublishVersion") != 0 {
				t.Errorf("error %v, publishes %d; want %q and no publish", err, h.aws.count("PublishVersion"), tc.says)
			}
		})
	}
	if !strings.Contains(codeSha256Mismatch(digest, zip), zip) {
		t.Error("the zip hint gives the hash in base64")
	}
}
