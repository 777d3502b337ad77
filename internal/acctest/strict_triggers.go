package acctest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// This file serves the reads of where a function's traffic enters (event source mappings,
// function URLs, resource policies) with Lambda's real shapes, where moto 5.2.1 differs:
//
//   - CreateEventSourceMapping on an alias records the ARN of the version the alias
//     points to, and ListEventSourceMappings filters by the FunctionName string given at
//     creation. Lambda records the alias ARN and matches the filter against the function
//     (a name or unqualified ARN lists the unqualified function's mappings; a qualified
//     ARN lists that alias's or version's).
//   - Function URLs ignore Qualifier, and ListFunctionUrlConfigs does not exist.
//   - AddPermission with Qualifier=alias writes into the policy of the version the alias
//     points to; Lambda keeps an alias's own policy (GetPolicy with Qualifier reads it).
//
// These answers are always on: moto has no right answer to fall back on. Sources: the
// Lambda API reference pages of each operation (request syntax, response syntax, errors)
// and the Lambda developer guide, "Using resource-based policies for Lambda" (a
// permission on an alias applies to invocations through that alias only).

// Strict answers of the trigger reads, counted by StrictAnswers.
const (
	AnsweredNoPolicy   = "NoPolicy"     // 404 GetPolicy where no permission exists
	ServedAliasPolicy  = "AliasPolicy"  // GetPolicy of an alias's own policy
	ServedMappingsByFn = "MappingsByFn" // ListEventSourceMappings filtered as Lambda does
	ServedFunctionURLs = "FunctionURLs" // ListFunctionUrlConfigs
)

// triggerState is what the proxies keep for the trigger reads. There is one for the
// process: every proxy of a test binary fronts the same moto, and a test proxy chained in
// front of the harness's must see what fixtures wrote through the harness's.
type triggerState struct {
	mu sync.Mutex
	// mappings: by UUID, as Lambda records them (on the function ARN qualified as created).
	mappings map[string]eventSourceMapping
	// policies: "function:qualifier" (qualifier "" for the function's own) → its
	// statements, in order.
	policies map[string][]map[string]any
	// urls: function ARN (qualified for an alias) → its function URL configuration.
	urls map[string]map[string]any
}

var triggers = &triggerState{mappings: map[string]eventSourceMapping{}, policies: map[string][]map[string]any{}, urls: map[string]map[string]any{}}

var triggerOps = map[string]bool{
	"CreateEventSourceMapping": true, "ListEventSourceMappings": true, "GetEventSourceMapping": true,
	"UpdateEventSourceMapping": true, "DeleteEventSourceMapping": true,
	"AddPermission": true, "GetPolicy": true, "RemovePermission": true,
	"CreateFunctionUrlConfig": true, "GetFunctionUrlConfig": true, "ListFunctionUrlConfigs": true, "DeleteFunctionUrlConfig": true,
}

// noSuchResource is Lambda's 404 for a policy, function URL or mapping that does not exist.
func noSuchResource(w http.ResponseWriter) {
	lambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "The resource you requested does not exist.")
}

// serveTriggers answers op if it is a trigger operation; false means not handled.
func (p *Proxy) serveTriggers(w http.ResponseWriter, r *http.Request, op string, body []byte) bool {
	if !triggerOps[op] {
		return false
	}
	lr := parseLambda(r, op, body)
	switch op {
	case "CreateEventSourceMapping", "GetEventSourceMapping", "UpdateEventSourceMapping", "DeleteEventSourceMapping":
		p.forwardMapping(w, r, lr, body)
	case "ListEventSourceMappings":
		p.listMappingsAsLambda(w, r)
	case "AddPermission", "GetPolicy", "RemovePermission":
		p.servePolicy(w, r, lr, body)
	default:
		p.serveFunctionURL(w, r, lr)
	}
	return true
}

// targetARN is the ARN Lambda resolves function[:qualifier] to, with moto's answer when
// the function, version or alias does not exist.
func (p *Proxy) targetARN(r *http.Request, function, qualifier string) (string, *upstream) {
	q := ""
	if qualifier != "" && qualifier != "$LATEST" {
		q = "Qualifier=" + url.QueryEscape(qualifier)
	}
	up, err := p.exchange(r, http.MethodGet, "/2015-03-31/functions/"+url.PathEscape(function)+"/configuration", q, nil)
	if err != nil {
		return "", &upstream{status: http.StatusBadGateway}
	}
	if !up.ok() {
		return "", &up
	}
	var c struct{ FunctionArn string }
	_ = json.Unmarshal(up.body, &c)
	name, _ := splitFunction(c.FunctionArn)
	arn := c.FunctionArn
	if i := strings.Index(arn, ":function:"+name); i >= 0 {
		arn = arn[:i] + ":function:" + name
	}
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn, nil
}

// forwardMapping lets moto create, read, update or delete a mapping (it checks the
// function, alias and source), and keeps the mapping as Lambda records it: on the
// function ARN qualified as the request named it. The requests go to moto unchanged, so
// that their signatures stay valid where moto enforces IAM.
func (p *Proxy) forwardMapping(w http.ResponseWriter, r *http.Request, lr lambdaRequest, body []byte) {
	up, err := p.exchange(r, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, body)
	if err != nil {
		resetConn(w)
		return
	}
	var m map[string]any
	if !up.ok() || json.Unmarshal(up.body, &m) != nil {
		copyAnswer(w, up, up.body)
		return
	}
	uuid, _ := m["UUID"].(string)
	triggers.mu.Lock()
	rec, known := triggers.mappings[uuid]
	if name, _ := lr.body["FunctionName"].(string); name != "" {
		// moto's FunctionArn names the function (for an alias, the version it points to);
		// Lambda's names what the request named.
		motoARN, _ := m["FunctionArn"].(string)
		_, q := splitFunction(name)
		rec.functionARN = unqualifiedARN(motoARN)
		if q != "" {
			rec.functionARN += ":" + q
		}
		known = true
	}
	if known {
		rec.uuid = uuid
		rec.sourceARN, _ = m["EventSourceArn"].(string)
		rec.state, _ = m["State"].(string)
		triggers.mappings[uuid] = rec
		m["FunctionArn"] = rec.functionARN
	}
	if lr.op == "DeleteEventSourceMapping" {
		delete(triggers.mappings, uuid)
	}
	triggers.mu.Unlock()
	b, _ := json.Marshal(m)
	copyAnswer(w, up, b)
}

// unqualifiedARN strips a version or alias from a function ARN.
func unqualifiedARN(s string) string {
	parts := strings.Split(s, ":")
	if len(parts) >= 8 && parts[5] == "function" {
		return strings.Join(parts[:7], ":")
	}
	return s
}

// sameTarget says a function ARN is what a FunctionName filter names: the same function
// and the same qualifier ("" for the unqualified function). moto has one account and
// region, so the name decides.
func sameTarget(functionARN, filter string) bool {
	fn, q := splitFunction(filter)
	gotFn, gotQ := splitFunction(functionARN)
	return fn == gotFn && q == gotQ
}

// listMappingsAsLambda lists the mappings created through the proxies and the ones
// AddEventSourceMapping recorded, filtered as Lambda filters FunctionName and
// EventSourceArn. moto is not asked: its filter is wrong, and a rewritten request would
// not carry a valid signature where moto enforces IAM.
func (p *Proxy) listMappingsAsLambda(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter, source := q.Get("FunctionName"), q.Get("EventSourceArn")
	var all []eventSourceMapping
	triggers.mu.Lock()
	for _, m := range triggers.mappings {
		all = append(all, m)
	}
	triggers.mu.Unlock()
	p.mu.Lock()
	for _, ms := range p.strict.mappings {
		all = append(all, ms...)
	}
	if filter != "" {
		p.strict.hits[ServedMappingsByFn]++
	}
	p.mu.Unlock()
	out := []map[string]any{}
	for _, m := range all {
		if (filter != "" && !sameTarget(m.functionARN, filter)) || (source != "" && m.sourceARN != source) {
			continue
		}
		state := m.state
		if state == "" {
			state = "Enabled"
		}
		out = append(out, map[string]any{"UUID": m.uuid, "FunctionArn": m.functionARN, "EventSourceArn": m.sourceARN, "State": state, "BatchSize": 10,
			"StateTransitionReason": "USER_INITIATED", "LastModified": float64(time.Now().Unix())})
	}
	sort.SliceStable(out, func(i, j int) bool { return fmt.Sprint(out[i]["UUID"]) < fmt.Sprint(out[j]["UUID"]) })
	b, _ := json.Marshal(map[string]any{"EventSourceMappings": out})
	writeJSON(w, http.StatusOK, "application/json", string(b))
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// servePolicy keeps each function's and each alias's resource policy as Lambda does.
// AddPermission goes to moto first, unchanged (it checks that the function and alias
// exist, and the signature stays valid where moto enforces IAM); the reads are answered
// from what was kept.
func (p *Proxy) servePolicy(w http.ResponseWriter, r *http.Request, lr lambdaRequest, body []byte) {
	key := lr.function + ":" + lr.qualifier
	st := triggers
	switch lr.op {
	case "GetPolicy":
		st.mu.Lock()
		statements := st.policies[key]
		st.mu.Unlock()
		if len(statements) == 0 {
			// Source: GetPolicy in the Lambda API reference, ResourceNotFoundException (404);
			// Lambda's message is "The resource you requested does not exist."
			p.hit(AnsweredNoPolicy)
			noSuchResource(w)
			return
		}
		if lr.qualifier != "" {
			p.hit(ServedAliasPolicy)
		}
		doc, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Id": "default", "Statement": statements})
		b, _ := json.Marshal(map[string]any{"Policy": string(doc), "RevisionId": revisionID()})
		writeJSON(w, http.StatusOK, "application/json", string(b))
	case "RemovePermission":
		segs := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
		sid, _ := url.PathUnescape(segs[len(segs)-1])
		st.mu.Lock()
		defer st.mu.Unlock()
		for i, s := range st.policies[key] {
			if s["Sid"] == sid {
				st.policies[key] = append(st.policies[key][:i:i], st.policies[key][i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		noSuchResource(w)
	case "AddPermission":
		sid, _ := lr.body["StatementId"].(string)
		st.mu.Lock()
		for _, s := range st.policies[key] {
			if s["Sid"] == sid {
				st.mu.Unlock()
				// Source: AddPermission in the Lambda API reference, ResourceConflictException (409).
				lambdaError(w, http.StatusConflict, "ResourceConflictException",
					fmt.Sprintf("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid))
				return
			}
		}
		st.mu.Unlock()
		up, err := p.exchange(r, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, body)
		if err != nil {
			resetConn(w)
			return
		}
		var motoAnswer struct{ Statement string }
		var motoStatement struct{ Resource string }
		if !up.ok() || json.Unmarshal(up.body, &motoAnswer) != nil || json.Unmarshal([]byte(motoAnswer.Statement), &motoStatement) != nil {
			copyAnswer(w, up, up.body)
			return
		}
		resource := unqualifiedARN(motoStatement.Resource)
		if lr.qualifier != "" {
			resource += ":" + lr.qualifier
		}
		s := permissionStatement(lr.body, resource)
		st.mu.Lock()
		st.policies[key] = append(st.policies[key], s)
		st.mu.Unlock()
		b, _ := json.Marshal(s)
		out, _ := json.Marshal(map[string]string{"Statement": string(b)})
		writeJSON(w, http.StatusCreated, "application/json", string(out))
	}
}

// permissionStatement is the statement Lambda writes for an AddPermission request.
func permissionStatement(body map[string]any, resource string) map[string]any {
	str := func(k string) string { s, _ := body[k].(string); return s }
	principal := any(map[string]any{"Service": str("Principal")})
	switch p := str("Principal"); {
	case p == "*":
		principal = "*"
	case accountIDRE.MatchString(p):
		principal = map[string]any{"AWS": "arn:aws:iam::" + p + ":root"}
	case strings.HasPrefix(p, "arn:"):
		principal = map[string]any{"AWS": p}
	}
	s := map[string]any{"Sid": str("StatementId"), "Effect": "Allow", "Principal": principal, "Action": str("Action"), "Resource": resource}
	cond := map[string]any{}
	if v := str("SourceArn"); v != "" {
		cond["ArnLike"] = map[string]any{"AWS:SourceArn": v}
	}
	if v := str("SourceAccount"); v != "" {
		cond["StringEquals"] = map[string]any{"AWS:SourceAccount": v}
	}
	if v := str("FunctionUrlAuthType"); v != "" {
		cond["StringEquals"] = map[string]any{"lambda:FunctionUrlAuthType": v}
	}
	if len(cond) > 0 {
		s["Condition"] = cond
	}
	return s
}

func revisionID() string {
	return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", rand.Uint32(), rand.Uint32()&0xffff, rand.Uint32()&0xfff, rand.Uint32()&0xfff, rand.Uint64()&0xffffffffffff)
}

// serveFunctionURL keeps function URLs on the function and on its aliases.
func (p *Proxy) serveFunctionURL(w http.ResponseWriter, r *http.Request, lr lambdaRequest) {
	st := triggers
	if lr.op == "ListFunctionUrlConfigs" {
		// Answered without asking moto, whose reads the proxy could not sign where moto
		// enforces IAM.
		p.hit(ServedFunctionURLs)
		configs := []map[string]any{}
		st.mu.Lock()
		for _, c := range st.urls {
			if name, _ := splitFunction(fmt.Sprint(c["FunctionArn"])); name == lr.function {
				configs = append(configs, c)
			}
		}
		st.mu.Unlock()
		sort.Slice(configs, func(i, j int) bool {
			return fmt.Sprint(configs[i]["FunctionArn"]) < fmt.Sprint(configs[j]["FunctionArn"])
		})
		b, _ := json.Marshal(map[string]any{"FunctionUrlConfigs": configs})
		writeJSON(w, http.StatusOK, "application/json", string(b))
		return
	}
	arn, bad := p.targetARN(r, lr.function, lr.qualifier)
	if bad != nil {
		copyAnswer(w, *bad, bad.body)
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch lr.op {
	case "GetFunctionUrlConfig":
		c, ok := st.urls[arn]
		if !ok {
			noSuchResource(w)
			return
		}
		b, _ := json.Marshal(c)
		writeJSON(w, http.StatusOK, "application/json", string(b))
	case "DeleteFunctionUrlConfig":
		if _, ok := st.urls[arn]; !ok {
			noSuchResource(w)
			return
		}
		delete(st.urls, arn)
		w.WriteHeader(http.StatusNoContent)
	case "CreateFunctionUrlConfig":
		if _, ok := st.urls[arn]; ok {
			lambdaError(w, http.StatusConflict, "ResourceConflictException",
				fmt.Sprintf("Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", arn))
			return
		}
		region := "us-east-1"
		if parts := strings.Split(arn, ":"); len(parts) > 3 {
			region = parts[3]
		}
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
		id := make([]byte, 32)
		for i := range id {
			id[i] = letters[rand.IntN(len(letters))]
		}
		now := time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")
		auth, _ := lr.body["AuthType"].(string)
		mode, _ := lr.body["InvokeMode"].(string)
		if mode == "" {
			mode = "BUFFERED"
		}
		c := map[string]any{"FunctionUrl": "https://" + string(id) + ".lambda-url." + region + ".on.aws/", "FunctionArn": arn,
			"AuthType": auth, "InvokeMode": mode, "CreationTime": now, "LastModifiedTime": now}
		if cors, ok := lr.body["Cors"]; ok {
			c["Cors"] = cors
		}
		st.urls[arn] = c
		b, _ := json.Marshal(c)
		writeJSON(w, http.StatusCreated, "application/json", string(b))
	}
}
