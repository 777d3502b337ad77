package acctest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"sync"
)

// Container-image functions, as Lambda answers for them and moto does not.
//
// Lambda reports a PackageType=Image function's CodeSha256 as the image's digest in
// lowercase hex, the digest of Code.ResolvedImageUri (Lambda API reference,
// FunctionConfiguration.CodeSha256 "The SHA256 hash of the function's deployment
// package"; for an image it is the manifest digest, as terraform-provider-aws relays it
// from the image digest). moto 5.2.1 with MOTO_LAMBDA_STUB_ECR (its default) answers the
// SHA-256 of the ImageUri *text* instead (moto/awslambda/models.py _set_function_code:
// hashlib.sha256(ImageUri).hexdigest()), and builds ResolvedImageUri as
// ImageUri.split(":")[0] + "@sha256:" + that, which for a URI pinned by digest reads
// "repo@sha256@sha256:…". Versions share $LATEST's Code, so GetFunction of version 1
// shows the image $LATEST has now.
//
// Every proxy rewrites those answers for images pinned by digest (repo@sha256:<hex>),
// which it learns from the CreateFunction and UpdateFunctionCode requests it forwards:
// moto's stub hash of the URI text is replaced by the digest, and ResolvedImageUri and
// ImageUri by the pinned URI. The stub hash determines the URI, so the rewrite is exact
// for every version. An image named by tag keeps moto's stub hash: it stands in for the
// digest the tag resolves to, which nothing here can know.

// images maps moto's stub hash (hex SHA-256 of an ImageUri's text) to that ImageUri,
// for images pinned by digest. It is shared by every proxy in the test binary: the
// fixtures create functions through the harness's proxy, the provider reads them
// through a test's own.
var images struct {
	mu    sync.Mutex
	byHex map[string]string
	// digests are the digests of those images.
	digests map[string]bool
}

var pinnedImageRE = regexp.MustCompile(`@sha256:([0-9a-f]{64})$`)

// noteImage records the image of a CreateFunction or UpdateFunctionCode request.
func noteImage(service, op string, body []byte) {
	if service != "Lambda" || (op != "CreateFunction" && op != "UpdateFunctionCode") {
		return
	}
	var req struct {
		ImageURI string `json:"ImageUri"`
		Code     struct {
			ImageURI string `json:"ImageUri"`
		}
	}
	if json.Unmarshal(body, &req) != nil {
		return
	}
	uri := req.ImageURI
	if uri == "" {
		uri = req.Code.ImageURI
	}
	if !pinnedImageRE.MatchString(uri) {
		return
	}
	sum := sha256.Sum256([]byte(uri))
	images.mu.Lock()
	defer images.mu.Unlock()
	if images.byHex == nil {
		images.byHex, images.digests = map[string]string{}, map[string]bool{}
	}
	images.byHex[hex.EncodeToString(sum[:])] = uri
	images.digests[pinnedImageRE.FindStringSubmatch(uri)[1]] = true
}

// imagesKnown reports whether any image pinned by digest went through a proxy: then
// Lambda answers that carry a CodeSha256 (the rewritten operations) go through
// serveStrict, even with every strict behaviour off.
func imagesKnown() bool {
	images.mu.Lock()
	defer images.mu.Unlock()
	return len(images.byHex) > 0
}

// pinnedImage returns the image URI pinned by digest whose moto stub hash is stub.
func pinnedImage(stub string) (string, bool) {
	images.mu.Lock()
	defer images.mu.Unlock()
	uri, ok := images.byHex[stub]
	return uri, ok
}

// imageCodeSha256 is the CodeSha256 Lambda reports for a configuration moto reported
// with codeSha256: the digest for an image pinned by digest, else codeSha256 unchanged.
func imageCodeSha256(codeSha256 string) string {
	if uri, ok := pinnedImage(codeSha256); ok {
		return pinnedImageRE.FindStringSubmatch(uri)[1]
	}
	return codeSha256
}

// rewriteImageConfig gives an image function's configuration Lambda's CodeSha256. A
// proxy chained behind this one may have rewritten it already; either way the answer
// shows the digest, and is counted.
func (p *Proxy) rewriteImageConfig(c map[string]any) {
	if c["PackageType"] != "Image" {
		return
	}
	stub, _ := c["CodeSha256"].(string)
	digest := imageCodeSha256(stub)
	c["CodeSha256"] = digest
	images.mu.Lock()
	shown := images.digests[digest]
	images.mu.Unlock()
	if shown {
		p.hit(ShowedImageDigest)
	}
}

// rewriteImageCode gives GetFunction's Code the image the configuration's version runs
// and its ResolvedImageUri (repo@sha256:<CodeSha256>). Call it before the configuration
// is rewritten: it reads moto's stub hash.
func rewriteImageCode(m map[string]any) {
	code, _ := m["Code"].(map[string]any)
	conf, _ := m["Configuration"].(map[string]any)
	if code == nil || conf == nil || conf["PackageType"] != "Image" {
		return
	}
	stub, _ := conf["CodeSha256"].(string)
	if uri, ok := pinnedImage(stub); ok {
		code["ImageUri"], code["ResolvedImageUri"] = uri, uri
		return
	}
	if uri, _ := code["ImageUri"].(string); uri != "" && !pinnedImageRE.MatchString(uri) {
		// Named by tag: the repository, then the digest the tag resolved to.
		repo := uri
		if i := strings.LastIndex(uri, ":"); i > strings.LastIndex(uri, "/") {
			repo = uri[:i]
		}
		code["ResolvedImageUri"] = repo + "@sha256:" + stub
	}
}
