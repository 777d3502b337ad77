package acctest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// FaultKind is one way the Proxy can misbehave instead of forwarding a request.
type FaultKind string

const (
	// Throttle429 answers the way AWS throttles: Lambda's HTTP 429
	// TooManyRequestsException, or HTTP 400 Throttling in the JSON 1.0 and query
	// protocols (CloudWatch, STS, IAM), which is what those services send.
	Throttle429 FaultKind = "throttle"
	// Server500 answers HTTP 500 with the service's internal-error body.
	Server500 FaultKind = "server500"
	// ConnReset closes the connection (with a TCP RST) before forwarding anything.
	ConnReset FaultKind = "connreset"
	// Latency holds the request for Faults.Latency (2s when zero), then forwards it.
	Latency FaultKind = "latency"
	// RateLimited counts requests refused by SetRateLimit (not chosen by Faults).
	RateLimited FaultKind = "ratelimited"
	// Outage counts requests dropped by SetOutage (not chosen by Faults).
	Outage FaultKind = "outage"
)

// Faults says which requests the Proxy answers badly. Each request for one of Services
// (all when empty; names as in Calls: "Lambda", "CloudWatch", "STS", "IAM") fails with
// probability Rate, with a kind drawn uniformly from Kinds. Seed makes the draw
// repeatable (0 picks a random seed).
type Faults struct {
	Rate     float64
	Kinds    []FaultKind
	Latency  time.Duration
	Services []string
	Seed     int64
}

// DefaultFaultLatency is the delay of a Latency fault when Faults.Latency is zero.
const DefaultFaultLatency = 2 * time.Second

// Proxy is a reverse proxy on loopback in front of moto (or any AWS-compatible endpoint)
// that counts the AWS operations it sees and can inject throttling, 5xx, connection
// resets, latency, per-service rate limits and outages. Point the provider's endpoints
// (or AWS_ENDPOINT_URL) at URL. It needs no testing.TB, so non-test programs can use it.
type Proxy struct {
	upstream *url.URL
	srv      *http.Server
	ln       net.Listener
	rp       *httputil.ReverseProxy
	tr       *http.Transport

	mu        sync.Mutex
	calls     map[string]int
	writes    int
	injected  map[FaultKind]int
	faults    Faults
	rng       *rand.Rand
	limits    map[string]*bucket
	down      map[string]bool
	onRequest func(op string)
	strict    *strictState
}

// NewProxy starts a proxy on a free 127.0.0.1 port that forwards to upstream, e.g.
// acctest.Endpoint(). Close it when done.
func NewProxy(upstream string) (*Proxy, error) {
	u, err := url.Parse(strings.TrimRight(upstream, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("proxy upstream %q is not an absolute URL", upstream)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the AWS proxy: %w", err)
	}
	p := &Proxy{
		upstream: u,
		ln:       ln,
		calls:    map[string]int{},
		injected: map[FaultKind]int{},
		limits:   map[string]*bucket{},
		down:     map[string]bool{},
		strict:   newStrictState(),
		rng:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		tr: &http.Transport{
			Proxy:               nil,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // keep the signed Host header
		},
		Transport: p.tr,
		ErrorLog:  nil,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.srv.Serve(ln) }() // returns http.ErrServerClosed on Close
	return p, nil
}

// URL is the proxy's base URL, e.g. "http://127.0.0.1:41234".
func (p *Proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy and drops its connections.
func (p *Proxy) Close() {
	p.srv.Close()
	p.tr.CloseIdleConnections()
}

// Calls returns how many requests of each operation arrived, keyed "Service.Operation"
// ("Lambda.UpdateAlias", "CloudWatch.DescribeAlarms", "STS.AssumeRole"). Every arrival
// counts, including those answered by a fault, a rate limit or an outage.
func (p *Proxy) Calls() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.calls))
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

// WriteCalls is how many arrived requests would change something in AWS: every operation
// except Get*, List*, Describe*, Invoke (a hook run) and the STS calls that only hand out
// credentials.
func (p *Proxy) WriteCalls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writes
}

// InjectedFaults returns how many requests were answered by each kind of fault,
// including RateLimited and Outage.
func (p *Proxy) InjectedFaults() map[FaultKind]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[FaultKind]int, len(p.injected))
	for k, v := range p.injected {
		out[k] = v
	}
	return out
}

// Reset zeroes the counters (Calls, WriteCalls, InjectedFaults). Faults, rate limits,
// outages and the OnRequest callback stay as they are.
func (p *Proxy) Reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = map[string]int{}
	p.writes = 0
	p.injected = map[FaultKind]int{}
}

// SetFaults replaces the fault configuration; Faults{} turns faults off.
func (p *Proxy) SetFaults(f Faults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.Kinds = slices.Clone(f.Kinds)
	p.faults = f
	if f.Seed != 0 {
		p.rng = rand.New(rand.NewPCG(uint64(f.Seed), uint64(f.Seed)^0x9e3779b97f4a7c15))
	}
}

// SetRateLimit lets at most rps requests per second (with bursts of burst) through to
// service; the rest are answered as AWS throttles (Lambda: 429 TooManyRequestsException).
// rps <= 0 removes the limit.
func (p *Proxy) SetRateLimit(service string, rps float64, burst int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if rps <= 0 {
		delete(p.limits, service)
		return
	}
	if burst < 1 {
		burst = 1
	}
	p.limits[service] = &bucket{rate: rps, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// SetOutage makes service unreachable (down) or reachable again: its requests get their
// connection closed without an answer, as when an endpoint is down.
func (p *Proxy) SetOutage(service string, down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[service] = down
}

// OnRequest sets a callback that runs for every request, with its operation
// ("Lambda.UpdateAlias"), before the proxy decides how to answer it: a callback that calls
// SetOutage or SetFaults affects the very request that triggered it. nil removes it. The
// callback runs on the request's goroutine and must not block for long.
func (p *Proxy) OnRequest(fn func(op string)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onRequest = fn
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	service, op := identify(r, body)
	full := service + "." + op
	noteImage(service, op, body)

	p.mu.Lock()
	p.calls[full]++
	if isWrite(service, op) {
		p.writes++
	}
	cb := p.onRequest
	p.mu.Unlock()
	if cb != nil {
		cb(full)
	}

	kind, latency := p.scripted(full), time.Duration(0)
	if kind == "" {
		kind, latency = p.decide(service)
	}
	switch kind {
	case LostAnswer:
		_, _ = p.exchange(r, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, body)
		resetConn(w)
		return
	case Outage, ConnReset:
		resetConn(w)
		return
	case Throttle429, RateLimited:
		writeThrottle(w, r, service)
		return
	case Server500:
		writeServerError(w, r, service)
		return
	case Latency:
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
	}
	if service == "Lambda" && p.serveTriggers(w, r, op, body) {
		return
	}
	if service == "CloudWatch" && (op == "GetMetricData" || op == "GetMetricStatistics") && p.spillsPending() {
		_ = p.PublishSpillover(r.Context()) // a failure shows as missing datapoints
	}
	if service == "Lambda" && (isProvisionedOp(op) || p.strictOn() || (rewritten[op] && imagesKnown())) {
		p.serveStrict(w, r, op, body)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// decide picks what happens to one request of service: "" forwards it.
func (p *Proxy) decide(service string) (FaultKind, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kind := FaultKind("")
	switch {
	case p.down[service]:
		kind = Outage
	case p.limits[service] != nil && !p.limits[service].take(time.Now()):
		kind = RateLimited
	default:
		f := p.faults
		if f.Rate > 0 && len(f.Kinds) > 0 && (len(f.Services) == 0 || slices.Contains(f.Services, service)) &&
			p.rng.Float64() < f.Rate {
			kind = f.Kinds[p.rng.IntN(len(f.Kinds))]
		}
	}
	if kind != "" {
		p.injected[kind]++
	}
	latency := p.faults.Latency
	if latency <= 0 {
		latency = DefaultFaultLatency
	}
	return kind, latency
}

// bucket is a token bucket: rate tokens a second, at most burst saved up.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func (b *bucket) take(now time.Time) bool {
	b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // closes the connection on HTTP/2 too
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST instead of FIN: "connection reset by peer"
	}
	conn.Close()
}

// writeThrottle answers as the service throttles, in the request's protocol.
func writeThrottle(w http.ResponseWriter, r *http.Request, service string) {
	switch {
	case service == "Lambda":
		w.Header().Set("X-Amzn-Errortype", "TooManyRequestsException")
		w.Header().Set("Retry-After", "1")
		writeJSON(w, http.StatusTooManyRequests, "application/json",
			`{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}`)
	case service == "CloudWatch" && r.Header.Get("X-Amz-Target") != "":
		w.Header().Set("X-Amzn-Query-Error", "Throttling;Sender")
		writeJSON(w, http.StatusBadRequest, "application/x-amz-json-1.0",
			`{"__type":"Throttling","message":"Rate exceeded"}`)
	default:
		writeQueryError(w, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded")
	}
}

func writeServerError(w http.ResponseWriter, r *http.Request, service string) {
	switch {
	case service == "Lambda":
		w.Header().Set("X-Amzn-Errortype", "ServiceException")
		writeJSON(w, http.StatusInternalServerError, "application/json",
			`{"Type":"Service","message":"An internal error occurred (injected by the acctest proxy)"}`)
	case service == "CloudWatch" && r.Header.Get("X-Amz-Target") != "":
		writeJSON(w, http.StatusInternalServerError, "application/x-amz-json-1.0",
			`{"__type":"InternalServiceFault","message":"An internal error occurred (injected by the acctest proxy)"}`)
	case service == "CloudWatch":
		writeQueryError(w, http.StatusInternalServerError, "Receiver", "InternalServiceError", "An internal error occurred (injected by the acctest proxy)")
	default:
		writeQueryError(w, http.StatusInternalServerError, "Receiver", "InternalFailure", "An internal error occurred (injected by the acctest proxy)")
	}
}

func writeJSON(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-Requestid", "acctest-proxy")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body) // the client may already be gone
}

func writeQueryError(w http.ResponseWriter, status int, typ, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>acctest-proxy</RequestId></ErrorResponse>`, typ, code, msg)
}

// identify names a request's service and operation from its wire protocol: Lambda's REST
// paths, the JSON protocols' X-Amz-Target, RPCv2 CBOR paths, the query protocol's Action
// (service from the SigV4 credential scope).
func identify(r *http.Request, body []byte) (service, op string) {
	if strings.HasPrefix(r.URL.Path, "/moto-api") {
		return "Moto", strings.TrimPrefix(r.URL.Path, "/moto-api/")
	}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		prefix, name, _ := strings.Cut(target, ".")
		return targetService(prefix, r), name
	}
	if m := cborPath.FindStringSubmatch(r.URL.Path); m != nil {
		return targetService(m[1], r), m[2]
	}
	if lambdaPath.MatchString(r.URL.Path) {
		op := lambdaOp(r.Method, r.URL.Path)
		if op == "GetProvisionedConcurrencyConfig" && r.URL.Query().Get("List") == "ALL" {
			op = "ListProvisionedConcurrencyConfigs"
		}
		return "Lambda", op
	}
	action := r.URL.Query().Get("Action")
	if action == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if q, err := url.ParseQuery(string(body)); err == nil {
			action = q.Get("Action")
		}
	}
	service = scopeService(r.Header.Get("Authorization"))
	if action == "" {
		return service, r.Method + " " + r.URL.Path
	}
	return service, action
}

var (
	cborPath   = regexp.MustCompile(`^/service/([^/]+)/operation/([^/]+)$`)
	lambdaPath = regexp.MustCompile(`^/20\d\d-\d\d-\d\d/`)
	scopeRe    = regexp.MustCompile(`Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request`)
)

var servicesByScope = map[string]string{
	"lambda": "Lambda", "monitoring": "CloudWatch", "sts": "STS", "iam": "IAM", "logs": "CloudWatchLogs",
	"events": "EventBridge", "sqs": "SQS",
}

func scopeService(auth string) string {
	if m := scopeRe.FindStringSubmatch(auth); m != nil {
		if s, ok := servicesByScope[m[1]]; ok {
			return s
		}
		return m[1]
	}
	return "Unknown"
}

func targetService(prefix string, r *http.Request) string {
	if prefix == "GraniteServiceVersion20100801" {
		return "CloudWatch"
	}
	return scopeService(r.Header.Get("Authorization"))
}

// lambdaRoutes maps Lambda's REST routes to operation names; "*" is one path segment.
var lambdaRoutes = []struct{ method, path, op string }{
	{"POST", "functions", "CreateFunction"},
	{"GET", "functions", "ListFunctions"},
	{"GET", "functions/*", "GetFunction"},
	{"DELETE", "functions/*", "DeleteFunction"},
	{"GET", "functions/*/configuration", "GetFunctionConfiguration"},
	{"PUT", "functions/*/configuration", "UpdateFunctionConfiguration"},
	{"PUT", "functions/*/code", "UpdateFunctionCode"},
	{"POST", "functions/*/versions", "PublishVersion"},
	{"GET", "functions/*/versions", "ListVersionsByFunction"},
	{"POST", "functions/*/aliases", "CreateAlias"},
	{"GET", "functions/*/aliases", "ListAliases"},
	{"GET", "functions/*/aliases/*", "GetAlias"},
	{"PUT", "functions/*/aliases/*", "UpdateAlias"},
	{"DELETE", "functions/*/aliases/*", "DeleteAlias"},
	{"POST", "functions/*/invocations", "Invoke"},
	{"GET", "functions/*/policy", "GetPolicy"},
	{"POST", "functions/*/policy", "AddPermission"},
	{"DELETE", "functions/*/policy/*", "RemovePermission"},
	{"GET", "functions/*/concurrency", "GetFunctionConcurrency"},
	{"PUT", "functions/*/concurrency", "PutFunctionConcurrency"},
	{"DELETE", "functions/*/concurrency", "DeleteFunctionConcurrency"},
	{"GET", "tags/*", "ListTags"},
	{"POST", "tags/*", "TagResource"},
	{"DELETE", "tags/*", "UntagResource"},
	{"GET", "account-settings", "GetAccountSettings"},
	{"GET", "functions/*/provisioned-concurrency", "GetProvisionedConcurrencyConfig"},
	{"PUT", "functions/*/provisioned-concurrency", "PutProvisionedConcurrencyConfig"},
	{"DELETE", "functions/*/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig"},
	{"GET", "event-source-mappings", "ListEventSourceMappings"},
	{"POST", "event-source-mappings", "CreateEventSourceMapping"},
	{"GET", "event-source-mappings/*", "GetEventSourceMapping"},
	{"PUT", "event-source-mappings/*", "UpdateEventSourceMapping"},
	{"DELETE", "event-source-mappings/*", "DeleteEventSourceMapping"},
	{"GET", "functions/*/url", "GetFunctionUrlConfig"},
	{"POST", "functions/*/url", "CreateFunctionUrlConfig"},
	{"DELETE", "functions/*/url", "DeleteFunctionUrlConfig"},
	{"GET", "functions/*/urls", "ListFunctionUrlConfigs"},
}

func lambdaOp(method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")[1:] // drop the API date
	for _, rt := range lambdaRoutes {
		if rt.method == method && routeMatches(strings.Split(rt.path, "/"), segs) {
			return rt.op
		}
	}
	return method + " " + path
}

func routeMatches(route, segs []string) bool {
	if len(route) != len(segs) {
		return false
	}
	for i, s := range route {
		if s != "*" && s != segs[i] {
			return false
		}
	}
	return true
}

func isWrite(service, op string) bool {
	switch {
	case service == "Moto":
		return false
	case strings.HasPrefix(op, "Get"), strings.HasPrefix(op, "List"), strings.HasPrefix(op, "Describe"):
		return false
	case op == "Invoke", service == "STS" && strings.HasPrefix(op, "Assume"):
		return false
	case strings.HasPrefix(op, "GET "), strings.HasPrefix(op, "HEAD "):
		return false
	}
	return true
}
