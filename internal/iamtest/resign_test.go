package iamtest

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// resigner sits between the SDK and moto and works around a moto 5.2.1 bug: with IAM
// enforcement on, moto checks the signature of a request without a body (every Lambda
// GET and DELETE: GetFunctionConfiguration, GetAlias, ListAliases, DeleteAlias, …)
// against a payload hash computed over the request's headers, so every such call fails
// with SignatureDoesNotMatch whoever makes it. moto reads the payload hash from a signed
// X-Amz-Content-Sha256 header when there is one, so the resigner signs body-less
// requests again, as the same user (same access key, region, service and time), with
// that header added. Authorization is untouched: moto still checks the call against the
// policies of the user whose key signed it. Requests with a body, and requests signed
// with a key the resigner does not know, pass through as they are.
type resigner struct {
	ln     net.Listener
	signer *v4.Signer

	mu      sync.Mutex
	secrets map[string]string // access key ID -> secret
	// listsProvisioned: whether the user of an access key may call
	// ListProvisionedConcurrencyConfigs (see serveProvisioned).
	listsProvisioned map[string]bool
}

func newResigner(upstream string) (*resigner, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &resigner{ln: ln, signer: v4.NewSigner(), secrets: map[string]string{}, listsProvisioned: map[string]bool{}}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host // the Host the SDK signed
		plainFunctionName(pr.Out)
		r.resign(pr.Out)
	}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/provisioned-concurrency") {
			r.serveProvisioned(w, req)
			return
		}
		rp.ServeHTTP(w, req)
	})
	go (&http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	return r, nil
}

// serveProvisioned answers ListProvisionedConcurrencyConfigs, which moto 5.2.1 does not
// implement: an empty list for a user whose policy allows the action (and for the admin),
// and otherwise Lambda's 403 AccessDeniedException, as IAM would refuse it.
func (r *resigner) serveProvisioned(w http.ResponseWriter, req *http.Request) {
	keyID := accessKeyOf(req)
	r.mu.Lock()
	allowed, limited := r.listsProvisioned[keyID]
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if limited && !allowed {
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"Type":"User","Message":"User is not authorized to perform: lambda:ListProvisionedConcurrencyConfigs because no identity-based policy allows the lambda:ListProvisionedConcurrencyConfigs action"}`))
		return
	}
	_, _ = w.Write([]byte(`{"ProvisionedConcurrencyConfigs":[]}`))
}

// plainFunctionName works around a second moto 5.2.1 signature bug: moto canonicalizes a
// query value holding colons (ListEventSourceMappings' FunctionName=arn:aws:lambda:…:1)
// otherwise than SigV4 does, so the call fails with 403 whoever makes it. The resigner
// asks for the function's mappings by plain name instead (it signs the request again
// below); the provider keeps only those whose FunctionArn names the version it asked
// about, so the answer means the same.
func plainFunctionName(req *http.Request) {
	if !strings.HasSuffix(req.URL.Path, "/event-source-mappings") {
		return
	}
	q := req.URL.Query()
	fn := q.Get("FunctionName")
	if parts := strings.Split(fn, ":"); len(parts) >= 7 && strings.HasPrefix(fn, "arn:") {
		q.Set("FunctionName", parts[6])
		req.URL.RawQuery = q.Encode()
	}
}

// accessKeyOf is the access key ID a request was signed with ("" when unsigned).
func accessKeyOf(req *http.Request) string {
	_, cred, ok := strings.Cut(req.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	keyID, _, _ := strings.Cut(cred, "/")
	return keyID
}

func (r *resigner) URL() string { return "http://" + r.ln.Addr().String() }

// knows registers a key the resigner may sign with, and whether its user's policy allows
// ListProvisionedConcurrencyConfigs.
func (r *resigner) knows(keyID, secret string, listsProvisioned bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[keyID] = secret
	r.listsProvisioned[keyID] = listsProvisioned
}

// emptyPayload is the SHA-256 of nothing.
var emptyPayload = func() string { s := sha256.Sum256(nil); return hex.EncodeToString(s[:]) }()

func (r *resigner) resign(req *http.Request) {
	if req.ContentLength > 0 {
		return
	}
	// Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=…, Signature=…
	auth := req.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return
	}
	cred, _, _ = strings.Cut(cred, ",")
	scope := strings.Split(cred, "/")
	if len(scope) != 5 {
		return
	}
	r.mu.Lock()
	secret, known := r.secrets[scope[0]]
	r.mu.Unlock()
	if !known {
		return
	}
	at, err := time.Parse("20060102T150405Z", req.Header.Get("X-Amz-Date"))
	if err != nil {
		return
	}
	req.Header.Del("Authorization")
	req.Header.Set("X-Amz-Content-Sha256", emptyPayload)
	_ = r.signer.SignHTTP(req.Context(), aws.Credentials{AccessKeyID: scope[0], SecretAccessKey: secret},
		req, emptyPayload, scope[3], scope[2], at)
}
