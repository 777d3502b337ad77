package acctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// Strict switches on AWS behaviours moto does not have, so that tests meet what a real
// account answers. Each is off in the zero value; turn on what a test needs with
// Proxy.SetStrict. The answers (HTTP status, X-Amzn-ErrorType, message) are Lambda's
// own, with their sources named beside them below.
type Strict struct {
	// RevisionIDs makes UpdateAlias honour RevisionId: a write whose RevisionId is not the
	// alias's current one is refused with 412 PreconditionFailedException, and every alias
	// answer carries a RevisionId that changes whenever the alias does (moto keeps one
	// RevisionId for the life of an alias and never checks it).
	RevisionIDs bool
	// CodeSha256 makes PublishVersion honour its CodeSha256 precondition: 400
	// InvalidParameterValueException when it differs from $LATEST's (moto ignores it).
	CodeSha256 bool
	// AliasConflict answers CreateAlias on an existing alias as Lambda does, 409
	// ResourceConflictException (moto names it ConflictException).
	AliasConflict bool
	// RoutingConstraints refuses weighted routing Lambda cannot do: between versions
	// with different execution roles or dead-letter configurations, or with $LATEST
	// (400 InvalidParameterValueException).
	RoutingConstraints bool
	// UpdateFor is how long a function stays LastUpdateStatus InProgress after
	// UpdateFunctionCode or UpdateFunctionConfiguration; PublishVersion meanwhile
	// answers 409 ResourceConflictException "An update is in progress". 0: no update
	// state (moto's behaviour).
	UpdateFor time.Duration
	// PendingFor is how long a newly published version stays State Pending before it is
	// Active. 0: Active at once (moto's behaviour).
	PendingFor time.Duration
	// TransientWeightsFor is how long an alias with provisioned concurrency (see
	// AddProvisionedConcurrency) shows routing weights after an UpdateAlias moved it to
	// another version: Lambda moves the provisioned environments over gradually and
	// reports the version the alias left in AdditionalVersionWeights meanwhile
	// (terraform-provider-aws waits them out after every alias update:
	// waitAliasRoutingWeightsCleared in internal/service/lambda/alias.go).
	TransientWeightsFor time.Duration
	// TransientWeight is the weight shown on the version the alias left while
	// TransientWeightsFor lasts; 0 means 0.5.
	TransientWeight float64
	// ProvisionedReadyAfter is how long a provisioned-concurrency configuration stays
	// IN_PROGRESS after a change that moves its capacity before it is READY (or FAILED,
	// see Proxy.FailProvisionedInit); 0: READY at once. The model is in strict_pc.go.
	ProvisionedReadyAfter time.Duration
}

// StrictAWS is every strict behaviour on, with short but visible durations.
func StrictAWS() Strict {
	return Strict{
		RevisionIDs: true, CodeSha256: true, AliasConflict: true, RoutingConstraints: true,
		UpdateFor: 2 * time.Second, PendingFor: 2 * time.Second, TransientWeightsFor: 3 * time.Second,
		ProvisionedReadyAfter: 2 * time.Second,
	}
}

// LostAnswer is a scripted fault (see Proxy.FailNext): the request is forwarded and done
// by moto (an Invoke runs the function), then the connection is reset before the
// answer, as when a response is lost on the way back.
const LostAnswer FaultKind = "lostanswer"

// strictState is what the proxy remembers to play the strict behaviours.
type strictState struct {
	cfg Strict
	// revisions: alias ARN → the RevisionId handed out and the alias content it named.
	revisions map[string]revision
	// updating: function name → when its update finishes.
	updating map[string]time.Time
	// pending: "function:version" → when it becomes Active.
	pending map[string]time.Time
	// states: "function:version" → a forced State (Inactive, Failed) and its reason code.
	states map[string][2]string
	// transient: alias ARN → the version it left and until when it shows.
	transient map[string]transientWeights
	// provisioned: "function:qualifier" → its provisioned-concurrency configuration;
	// capacity: the rest of the provisioned-concurrency model (strict_pc.go).
	provisioned map[string]*provisionedConfig
	capacity    capacityState
	// mappings: event source mappings by qualified function ARN.
	mappings map[string][]eventSourceMapping
	// failNext: operation → scripted faults, first first.
	failNext map[string][]FaultKind
	// overrides: "function:version" → configuration fields moto cannot hold.
	overrides map[string]map[string]any
	// hits counts the strict answers given, by behaviour.
	hits map[string]int
}

type revision struct{ id, content string }

type transientWeights struct {
	left  string
	until time.Time
}

type eventSourceMapping struct{ uuid, functionARN, sourceARN, state string }

func newStrictState() *strictState {
	return &strictState{
		revisions: map[string]revision{}, updating: map[string]time.Time{}, pending: map[string]time.Time{},
		states: map[string][2]string{}, transient: map[string]transientWeights{}, provisioned: map[string]*provisionedConfig{},
		mappings: map[string][]eventSourceMapping{}, failNext: map[string][]FaultKind{},
		overrides: map[string]map[string]any{}, hits: map[string]int{},
	}
}

// SetStrict replaces the strict behaviours; Strict{} turns them off. What the proxy
// learnt (revisions, updates and versions in flight) is kept.
func (p *Proxy) SetStrict(s Strict) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.strict.cfg = s
}

// FailNext answers the next n requests of op ("Lambda.UpdateAlias") with kind:
// Throttle429, Server500, ConnReset or LostAnswer. Scripted faults come before any
// random fault of SetFaults.
func (p *Proxy) FailNext(op string, n int, kind FaultKind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.strict.failNext[op] = append(p.strict.failNext[op], kind)
	}
}

// SetVersionState makes a published version read as state (Inactive or Failed) with
// Lambda's reason code, as Lambda reports a version idle for weeks (Inactive, "Idle")
// or one whose resources could not be created (Failed). "" for state clears it.
// Source: Lambda developer guide, "Lambda function states".
func (p *Proxy) SetVersionState(function, version, state, reasonCode string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := function + ":" + version
	if state == "" {
		delete(p.strict.states, key)
		return
	}
	p.strict.states[key] = [2]string{state, reasonCode}
}

// SetDeadLetterTarget makes a version read with a dead-letter queue (moto does not keep
// DeadLetterConfig), in its answers and in the routing constraints.
func (p *Proxy) SetDeadLetterTarget(function, version, targetARN string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.strict.overrides[function+":"+version] = map[string]any{"DeadLetterConfig": map[string]any{"TargetArn": targetARN}}
}

// AddEventSourceMapping records an event source mapping from sourceARN to the qualified
// function ARN, listed by ListEventSourceMappings (strict_triggers.go) beside moto's. It
// returns the mapping's UUID.
func (p *Proxy) AddEventSourceMapping(functionARN, sourceARN string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rand.Uint32(), rand.Uint32()&0xffff, rand.Uint32()&0xfff, rand.Uint32()&0xfff, rand.Uint64()&0xffffffffffff)
	p.strict.mappings[functionARN] = append(p.strict.mappings[functionARN], eventSourceMapping{uuid: id, functionARN: functionARN, sourceARN: sourceARN})
	return id
}

// Strict answers, counted by StrictAnswers.
const (
	AnsweredPreconditionFailed = "PreconditionFailed"     // 412 on a stale RevisionId
	AnsweredCodeSha256Mismatch = "CodeSha256Mismatch"     // 400 on PublishVersion
	AnsweredAliasExists        = "AliasExists"            // 409 on CreateAlias
	AnsweredRoutingRefused     = "RoutingRefused"         // 400 on UpdateAlias weights
	AnsweredUpdateInProgress   = "UpdateInProgress"       // 409 on PublishVersion
	ShowedUpdateInProgress     = "ShowedUpdateInProgress" // LastUpdateStatus InProgress read
	ShowedPending              = "ShowedPending"          // a version read as Pending
	ShowedTransientWeights     = "ShowedTransientWeights" // an alias read with Lambda's own weights
	ShowedVersionState         = "ShowedVersionState"     // a version read as Inactive or Failed
	ShowedImageDigest          = "ShowedImageDigest"      // an image function read with its digest as CodeSha256
)

// StrictAnswers returns how many times each strict behaviour answered, so a test can
// show the behaviour it is about did happen.
func (p *Proxy) StrictAnswers() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.strict.hits))
	for k, v := range p.strict.hits {
		out[k] = v
	}
	return out
}

func (p *Proxy) hit(what string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.strict.hits[what]++
}

// scripted takes the next scripted fault for op, if any.
func (p *Proxy) scripted(op string) FaultKind {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.strict.failNext[op]
	if len(q) == 0 {
		return ""
	}
	p.strict.failNext[op] = q[1:]
	p.injected[q[0]]++
	return q[0]
}

// strictOn reports whether any answer of a Lambda request may need rewriting.
func (p *Proxy) strictOn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.strict.cfg
	return c != (Strict{}) || len(p.strict.states) > 0 || len(p.strict.provisioned) > 0 || len(p.strict.mappings) > 0 ||
		len(p.strict.overrides) > 0
}

// lambdaError answers in Lambda's REST-JSON error shape: the type in X-Amzn-ErrorType
// and the body's Type and message, as the Lambda API reference's "Errors" show.
func lambdaError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("X-Amzn-Errortype", errType)
	b, _ := json.Marshal(map[string]string{"Type": "User", "message": msg})
	writeJSON(w, status, "application/json", string(b))
}

// upstream is one answer from moto.
type upstream struct {
	status int
	header http.Header
	body   []byte
}

func (u upstream) ok() bool { return u.status >= 200 && u.status < 300 }

// exchange sends r (with body) to moto and reads the whole answer.
func (p *Proxy) exchange(r *http.Request, method, path, rawQuery string, body []byte) (upstream, error) {
	u := *p.upstream
	u.Path, u.RawPath, u.RawQuery = path, "", rawQuery
	req, err := http.NewRequestWithContext(r.Context(), method, u.String(), bytes.NewReader(body))
	if err != nil {
		return upstream{}, err
	}
	for k, v := range r.Header {
		if k != "Content-Length" {
			req.Header[k] = v
		}
	}
	req.Host = r.Host
	resp, err := p.tr.RoundTrip(req)
	if err != nil {
		return upstream{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return upstream{resp.StatusCode, resp.Header, b}, err
}

// read GETs a Lambda path from moto (the caller's credentials, no body).
func (p *Proxy) read(r *http.Request, path, rawQuery string) (map[string]any, bool) {
	up, err := p.exchange(r, http.MethodGet, path, rawQuery, nil)
	if err != nil || !up.ok() {
		return nil, false
	}
	var m map[string]any
	if json.Unmarshal(up.body, &m) != nil {
		return nil, false
	}
	return m, true
}

// lambdaRequest is a Lambda REST request taken apart.
type lambdaRequest struct {
	op        string
	apiDate   string
	function  string // plain name
	qualifier string // from the path's alias, the Qualifier query or a qualified ARN
	alias     string
	body      map[string]any
}

func parseLambda(r *http.Request, op string, body []byte) lambdaRequest {
	segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	lr := lambdaRequest{op: op}
	if len(segs) > 0 {
		lr.apiDate = segs[0]
	}
	if len(segs) > 2 && segs[1] == "functions" {
		name, _ := url.PathUnescape(segs[2])
		lr.function, lr.qualifier = splitFunction(name)
	}
	if len(segs) > 4 && segs[3] == "aliases" {
		lr.alias, _ = url.PathUnescape(segs[4])
		lr.qualifier = lr.alias
	}
	if q := r.URL.Query().Get("Qualifier"); q != "" {
		lr.qualifier = q
	}
	if len(body) > 0 {
		_ = json.Unmarshal(body, &lr.body)
	}
	return lr
}

// splitFunction takes a function name, partial ARN or ARN, qualified or not, to its
// plain name and qualifier.
func splitFunction(s string) (name, qualifier string) {
	if a, err := arn.Parse(s); err == nil {
		parts := strings.Split(a.Resource, ":") // function:name[:qualifier]
		if len(parts) >= 2 {
			name = parts[1]
		}
		if len(parts) == 3 {
			qualifier = parts[2]
		}
		return name, qualifier
	}
	name, qualifier, _ = strings.Cut(s, ":")
	return name, qualifier
}

// serveStrict answers a Lambda request under the strict behaviours: it forwards the
// request upstream itself and writes the answer a strict Lambda would give.
func (p *Proxy) serveStrict(w http.ResponseWriter, r *http.Request, op string, body []byte) {
	lr := parseLambda(r, op, body)
	p.mu.Lock()
	cfg := p.strict.cfg
	p.mu.Unlock()
	now := time.Now()
	var current map[string]any // an UpdateAlias's alias as it was
	var exists bool

	switch op {
	case "PutProvisionedConcurrencyConfig", "GetProvisionedConcurrencyConfig", "DeleteProvisionedConcurrencyConfig", "ListProvisionedConcurrencyConfigs":
		p.serveProvisioned(w, r, lr, cfg, now)
		return
	case "PublishVersion":
		if p.updating(lr.function, now) && cfg.UpdateFor > 0 {
			// Source: Lambda developer guide, "Lambda function states" / "Function
			// updates": while LastUpdateStatus is InProgress, PublishVersion fails with
			// ResourceConflictException.
			p.hit(AnsweredUpdateInProgress)
			lambdaError(w, http.StatusConflict, "ResourceConflictException",
				"The operation cannot be performed at this time. An update is in progress for resource: "+p.functionARN(r, lr.function))
			return
		}
		if want, _ := lr.body["CodeSha256"].(string); cfg.CodeSha256 && want != "" {
			latest, ok := p.read(r, "/"+lr.apiDate+"/functions/"+url.PathEscape(lr.function)+"/configuration", "")
			if have, _ := latest["CodeSha256"].(string); ok && imageCodeSha256(have) != want {
				have = imageCodeSha256(have)
				// Source: PublishVersion in the Lambda API reference (CodeSha256: "Only publish
				// a version if the hash value matches the value that's specified") and the
				// message Lambda sends.
				p.hit(AnsweredCodeSha256Mismatch)
				lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException",
					fmt.Sprintf("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", want, have))
				return
			}
		}
	case "UpdateAlias":
		current, exists = p.read(r, r.URL.EscapedPath(), "")
		if cfg.RevisionIDs {
			if want, _ := lr.body["RevisionId"].(string); want != "" && exists {
				if have := p.revisionOf(current); have != want {
					// Source: UpdateAlias in the Lambda API reference: "PreconditionFailedException
					// (412): The RevisionId provided does not match the latest RevisionId for the
					// Lambda function or alias."
					p.hit(AnsweredPreconditionFailed)
					lambdaError(w, http.StatusPreconditionFailed, "PreconditionFailedException",
						"The Revision Id provided does not match the latest Revision Id. Call the GetAlias API to retrieve the latest Revision Id")
					return
				}
			}
		}
		if cfg.RoutingConstraints {
			if msg := p.routingRefusal(r, lr, current); msg != "" {
				p.hit(AnsweredRoutingRefused)
				lambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", msg)
				return
			}
		}
	}

	up, err := p.exchange(r, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, body)
	if err != nil {
		resetConn(w)
		return
	}
	if up.ok() {
		switch op {
		case "UpdateAlias":
			var a struct{ AliasArn string }
			if json.Unmarshal(up.body, &a) == nil {
				// Lambda gives every accepted write a new RevisionId, even one that
				// changed nothing.
				p.mu.Lock()
				delete(p.strict.revisions, a.AliasArn)
				p.mu.Unlock()
			}
			if exists {
				p.noteTransient(lr, current, up.body, cfg, now)
				p.noteCapacityMove(lr, current, up.body, now, cfg)
			}
		case "UpdateFunctionCode", "UpdateFunctionConfiguration":
			if cfg.UpdateFor > 0 {
				p.mu.Lock()
				p.strict.updating[lr.function] = now.Add(cfg.UpdateFor)
				p.mu.Unlock()
			}
		case "PublishVersion":
			var v struct{ Version string }
			if json.Unmarshal(up.body, &v) == nil && v.Version != "" && cfg.PendingFor > 0 {
				p.mu.Lock()
				key := lr.function + ":" + v.Version
				if _, seen := p.strict.pending[key]; !seen {
					p.strict.pending[key] = now.Add(cfg.PendingFor)
				}
				p.mu.Unlock()
			}
		}
	}
	p.answer(w, lr, up, cfg, now)
}

// answer writes moto's answer with the strict rewrites: Lambda's error type names,
// revisions, function and version states, transient weights.
func (p *Proxy) answer(w http.ResponseWriter, lr lambdaRequest, up upstream, cfg Strict, now time.Time) {
	if !up.ok() {
		if lr.op == "CreateAlias" && cfg.AliasConflict && up.status == http.StatusConflict {
			var e struct{ Message, ErrorMessage string }
			_ = json.Unmarshal(up.body, &e)
			msg := e.Message
			if msg == "" {
				msg = e.ErrorMessage
			}
			p.hit(AnsweredAliasExists)
			// Source: CreateAlias in the Lambda API reference, ResourceConflictException
			// (409): "The resource already exists"; Lambda says "Alias already exists: <arn>".
			lambdaError(w, http.StatusConflict, "ResourceConflictException", msg)
			return
		}
		copyAnswer(w, up, up.body)
		return
	}
	var m map[string]any
	if !rewritten[lr.op] || json.Unmarshal(up.body, &m) != nil {
		copyAnswer(w, up, up.body)
		return
	}
	switch lr.op {
	case "GetAlias", "CreateAlias", "UpdateAlias":
		p.rewriteAlias(m, cfg, now)
	case "ListAliases":
		for _, a := range asList(m["Aliases"]) {
			p.rewriteAlias(a, cfg, now)
		}
	case "GetFunctionConfiguration", "UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion", "CreateFunction":
		p.rewriteImageConfig(m)
		p.rewriteConfig(m, now)
	case "GetFunction":
		rewriteImageCode(m)
		if c, ok := m["Configuration"].(map[string]any); ok {
			p.rewriteImageConfig(c)
			p.rewriteConfig(c, now)
		}
	case "ListVersionsByFunction":
		for _, c := range asList(m["Versions"]) {
			p.rewriteImageConfig(c)
			p.rewriteConfig(c, now)
		}
	case "ListFunctions":
		for _, c := range asList(m["Functions"]) {
			p.rewriteImageConfig(c)
		}
	}
	b, _ := json.Marshal(m)
	copyAnswer(w, up, b)
}

// rewritten are the operations whose answers the strict behaviours may change.
var rewritten = map[string]bool{
	"GetAlias": true, "CreateAlias": true, "UpdateAlias": true, "ListAliases": true,
	"GetFunctionConfiguration": true, "UpdateFunctionCode": true, "UpdateFunctionConfiguration": true,
	"PublishVersion": true, "GetFunction": true, "ListVersionsByFunction": true,
	"CreateFunction": true, "ListFunctions": true,
}

func copyAnswer(w http.ResponseWriter, up upstream, body []byte) {
	for k, v := range up.header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(up.status)
	_, _ = w.Write(body)
}

func asList(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// aliasContent is what an alias's RevisionId stands for: its version, weights and
// description.
func aliasContent(a map[string]any) string {
	var weights []string
	if rc, ok := a["RoutingConfig"].(map[string]any); ok {
		if w, ok := rc["AdditionalVersionWeights"].(map[string]any); ok {
			for v, x := range w {
				weights = append(weights, fmt.Sprintf("%s=%v", v, x))
			}
		}
	}
	sort.Strings(weights)
	return fmt.Sprintf("%v|%v|%s", a["FunctionVersion"], a["Description"], strings.Join(weights, ","))
}

// revisionOf is the RevisionId of an alias as moto holds it now: the one handed out
// before if nothing changed since, else a new one.
func (p *Proxy) revisionOf(a map[string]any) string {
	key, _ := a["AliasArn"].(string)
	content := aliasContent(a)
	p.mu.Lock()
	defer p.mu.Unlock()
	if r, ok := p.strict.revisions[key]; ok && r.content == content {
		return r.id
	}
	id := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", rand.Uint32(), rand.Uint32()&0xffff, rand.Uint32()&0xffff, rand.Uint32()&0xffff, rand.Uint64()&0xffffffffffff)
	p.strict.revisions[key] = revision{id, content}
	return id
}

func (p *Proxy) rewriteAlias(a map[string]any, cfg Strict, now time.Time) {
	if cfg.RevisionIDs {
		a["RevisionId"] = p.revisionOf(a)
	}
	key, _ := a["AliasArn"].(string)
	p.mu.Lock()
	tw, ok := p.strict.transient[key]
	p.mu.Unlock()
	holds, stuck := p.capacityHoldsWeights(key, now, cfg)
	if !ok || (!now.Before(tw.until) && !holds) || a["FunctionVersion"] == tw.left {
		return
	}
	weight := cfg.TransientWeight
	if weight == 0 {
		weight = 0.5
	}
	if stuck {
		weight = 1
	}
	a["RoutingConfig"] = map[string]any{"AdditionalVersionWeights": map[string]any{tw.left: weight}}
	p.hit(ShowedTransientWeights)
}

// noteTransient starts transient weights when an alias with provisioned concurrency
// moved to another version.
func (p *Proxy) noteTransient(lr lambdaRequest, before map[string]any, after []byte, cfg Strict, now time.Time) {
	if cfg.TransientWeightsFor <= 0 {
		return
	}
	var a map[string]any
	if json.Unmarshal(after, &a) != nil {
		return
	}
	left, _ := before["FunctionVersion"].(string)
	arnKey, _ := a["AliasArn"].(string)
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.strict.provisioned[lr.function+":"+lr.alias]; !ok || left == "" || a["FunctionVersion"] == left {
		return
	}
	p.strict.transient[arnKey] = transientWeights{left: left, until: now.Add(cfg.TransientWeightsFor)}
}

// rewriteConfig shows a function's update in progress and a version's state.
func (p *Proxy) rewriteConfig(c map[string]any, now time.Time) {
	name, _ := c["FunctionName"].(string)
	version, _ := c["Version"].(string)
	p.mu.Lock()
	defer p.mu.Unlock()
	if version == "$LATEST" {
		if until, ok := p.strict.updating[name]; ok && now.Before(until) {
			// Source: Lambda developer guide, "Lambda function states": during an update
			// LastUpdateStatus is InProgress; State stays Active.
			p.strict.hits[ShowedUpdateInProgress]++
			c["LastUpdateStatus"] = "InProgress"
			c["LastUpdateStatusReason"] = "The function is being updated."
			c["LastUpdateStatusReasonCode"] = "Creating"
		}
		return
	}
	key := name + ":" + version
	for k, v := range p.strict.overrides[key] {
		c[k] = v
	}
	if st, ok := p.strict.states[key]; ok {
		p.strict.hits[ShowedVersionState]++
		c["State"], c["StateReasonCode"] = st[0], st[1]
		c["StateReason"] = map[string]string{
			"Inactive": "The function is inactive and its resources have been released.",
			"Failed":   "The function could not be created.",
		}[st[0]]
		return
	}
	if until, ok := p.strict.pending[key]; ok && now.Before(until) {
		p.strict.hits[ShowedPending]++
		c["State"] = "Pending"
		c["StateReason"] = "The function is being created."
		c["StateReasonCode"] = "Creating"
	}
}

func (p *Proxy) updating(function string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	until, ok := p.strict.updating[function]
	return ok && now.Before(until)
}

// routingRefusal is Lambda's refusal of an UpdateAlias's weights, or "" if it may go.
// Source: Lambda developer guide, "Alias routing configuration" (configuration-aliases):
// both versions must have the same execution role and the same dead-letter queue
// configuration (or none), and an alias that routes to two versions cannot point to
// $LATEST.
func (p *Proxy) routingRefusal(r *http.Request, lr lambdaRequest, current map[string]any) string {
	rc, _ := lr.body["RoutingConfig"].(map[string]any)
	weights, _ := rc["AdditionalVersionWeights"].(map[string]any)
	if len(weights) == 0 {
		return ""
	}
	primary, _ := lr.body["FunctionVersion"].(string)
	if primary == "" {
		primary, _ = current["FunctionVersion"].(string)
	}
	versions := []string{primary}
	for v := range weights {
		versions = append(versions, v)
	}
	slices.Sort(versions[1:])
	if slices.Contains(versions, "$LATEST") {
		return "$LATEST is not supported for an alias pointing to more than 1 version"
	}
	var role, dlq string
	for i, v := range versions {
		c, ok := p.read(r, "/"+lr.apiDate+"/functions/"+url.PathEscape(lr.function)+"/configuration", "Qualifier="+url.QueryEscape(v))
		if !ok {
			return "" // moto refuses a missing version itself
		}
		p.rewriteConfig(c, time.Now())
		vr, _ := c["Role"].(string)
		var vd string
		if d, ok := c["DeadLetterConfig"].(map[string]any); ok {
			vd, _ = d["TargetArn"].(string)
		}
		if i == 0 {
			role, dlq = vr, vd
			continue
		}
		if vr != role {
			return "Specified versions must be associated with the same execution role."
		}
		if vd != dlq {
			return "Specified versions must be associated with the same dead-letter queue configuration."
		}
	}
	return ""
}

func (p *Proxy) functionARN(r *http.Request, function string) string {
	c, ok := p.read(r, "/2015-03-31/functions/"+url.PathEscape(function)+"/configuration", "")
	if a, _ := c["FunctionArn"].(string); ok && a != "" {
		return a
	}
	return function
}
