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
	// allows: access key ID -> the actions answered outside moto (proxyServed) that its
	// user's policy allows; see checkServed.
	allows map[string]map[string]bool
	// denied counts the calls of those actions refused, by action.
	denied map[string]int
}

// proxyServed are the Lambda actions moto never sees, so cannot enforce: moto 5.2.1 has
// no ListProvisionedConcurrencyConfigs and no ListFunctionUrlConfigs, and the test AWS
// answers ListEventSourceMappings and GetPolicy as Lambda does from what it kept
// (acctest's strict_triggers.go). The resigner refuses them as IAM would, by the policy.
var proxyServed = []string{"ListProvisionedConcurrencyConfigs", "ListEventSourceMappings", "GetPolicy", "ListFunctionUrlConfigs"}

// servedAction is the proxyServed action of a request, or "".
func servedAction(req *http.Request) string {
	if req.Method != http.MethodGet {
		return ""
	}
	switch path := strings.TrimRight(req.URL.Path, "/"); {
	case strings.HasSuffix(path, "/provisioned-concurrency"):
		return "ListProvisionedConcurrencyConfigs"
	case strings.HasSuffix(path, "/event-source-mappings"):
		return "ListEventSourceMappings"
	case strings.HasSuffix(path, "/policy"):
		return "GetPolicy"
	case strings.HasSuffix(path, "/urls"):
		return "ListFunctionUrlConfigs"
	}
	return ""
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
	r := &resigner{ln: ln, signer: v4.NewSigner(), secrets: map[string]string{}, allows: map[string]map[string]bool{}, denied: map[string]int{}}
	rp := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = pr.In.Host // the Host the SDK signed
		r.resign(pr.Out)
	}}
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		action := servedAction(req)
		if action != "" && !r.checkServed(w, req, action) {
			return
		}
		if action == "ListProvisionedConcurrencyConfigs" {
			_, _ = w.Write([]byte(`{"ProvisionedConcurrencyConfigs":[]}`))
			return
		}
		rp.ServeHTTP(w, req)
	})
	go (&http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
	return r, nil
}

// checkServed refuses a proxyServed action its caller's policy does not allow, with
// Lambda's 403 AccessDeniedException as IAM would, and counts it; true lets it through
// (an empty provisioned-concurrency list, or on to the test AWS).
func (r *resigner) checkServed(w http.ResponseWriter, req *http.Request, action string) bool {
	keyID := accessKeyOf(req)
	r.mu.Lock()
	allows, limited := r.allows[keyID]
	if limited && !allows[action] {
		r.denied[action]++
	}
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if limited && !allows[action] {
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"Type":"User","Message":"User is not authorized to perform: lambda:` + action + ` because no identity-based policy allows the lambda:` + action + ` action"}`))
		return false
	}
	return true
}

// deniedCalls is how many calls of a proxyServed action were refused.
func (r *resigner) deniedCalls(action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.denied[action]
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

// knows registers a key the resigner may sign with, and the policy of its user (in
// moto's dialect) for the proxyServed actions; "" allows them all (the admin).
func (r *resigner) knows(keyID, secret, policy string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[keyID] = secret
	if policy == "" {
		return
	}
	allows := map[string]bool{}
	for _, a := range proxyServed {
		allows[a] = strings.Contains(policy, `"lambda:`+a+`"`)
	}
	r.allows[keyID] = allows
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
