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
	// mappingARN: mapping UUID → the function ARN Lambda records (qualified as created).
	mappingARN map[string]string
	// policies: function ARN (qualified for an alias) → its statements, in order.
	policies map[string][]map[string]any
	// urls: function ARN (qualified for an alias) → its function URL configuration.
	urls map[string]map[string]any
}

var triggers = &triggerState{mappingARN: map[string]string{}, policies: map[string][]map[string]any{}, urls: map[string]map[string]any{}}

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
		p.servePolicy(w, r, lr)
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

func (p *Proxy) forwardMapping(w http.ResponseWriter, r *http.Request, lr lambdaRequest, body []byte) {
	up, err := p.exchange(r, r.Method, r.URL.EscapedPath(), r.URL.RawQuery, body)
	if err != nil {
		resetConn(w)
		return
	}
	if !up.ok() {
		copyAnswer(w, up, up.body)
		return
	}
	var m map[string]any
	if json.Unmarshal(up.body, &m) != nil {
		copyAnswer(w, up, up.body)
		return
	}
	uuid, _ := m["UUID"].(string)
	if name, _ := lr.body["FunctionName"].(string); name != "" && (lr.op == "CreateEventSourceMapping" || lr.op == "UpdateEventSourceMapping") {
		fn, q := splitFunction(name)
		if arn, bad := p.targetARN(r, fn, q); bad == nil {
			triggers.mu.Lock()
			triggers.mappingARN[uuid] = arn
			triggers.mu.Unlock()
		}
	}
	triggers.mu.Lock()
	if arn, ok := triggers.mappingARN[uuid]; ok {
		m["FunctionArn"] = arn
	}
	if lr.op == "DeleteEventSourceMapping" {
		delete(triggers.mappingARN, uuid)
	}
	triggers.mu.Unlock()
	b, _ := json.Marshal(m)
	copyAnswer(w, up, b)
}

// listMappingsAsLambda lists moto's mappings (with the ARNs Lambda records) and the ones
// AddEventSourceMapping recorded, filtered as Lambda filters FunctionName.
func (p *Proxy) listMappingsAsLambda(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	filter := q.Get("FunctionName")
	upQuery := url.Values{}
	if s := q.Get("EventSourceArn"); s != "" {
		upQuery.Set("EventSourceArn", s)
	}
	up, err := p.exchange(r, http.MethodGet, r.URL.EscapedPath(), upQuery.Encode(), nil)
	if err != nil {
		resetConn(w)
		return
	}
	if !up.ok() {
		copyAnswer(w, up, up.body)
		return
	}
	var answer struct{ EventSourceMappings []map[string]any }
	_ = json.Unmarshal(up.body, &answer)
	want := ""
	if filter != "" {
		fn, qual := splitFunction(filter)
		arn, bad := p.targetARN(r, fn, qual)
		if bad != nil {
			writeJSON(w, http.StatusOK, "application/json", `{"EventSourceMappings":[]}`)
			return
		}
		want = arn
	}
	all := answer.EventSourceMappings
	triggers.mu.Lock()
	for _, m := range all {
		if arn, ok := triggers.mappingARN[fmt.Sprint(m["UUID"])]; ok {
			m["FunctionArn"] = arn
		}
	}
	triggers.mu.Unlock()
	p.mu.Lock()
	for _, ms := range p.strict.mappings {
		for _, m := range ms {
			all = append(all, map[string]any{"UUID": m.uuid, "FunctionArn": m.functionARN, "EventSourceArn": m.sourceARN, "State": "Enabled", "BatchSize": 10})
		}
	}
	if filter != "" {
		p.strict.hits[ServedMappingsByFn]++
	}
	p.mu.Unlock()
	out := []map[string]any{}
	for _, m := range all {
		if want == "" || m["FunctionArn"] == want {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return fmt.Sprint(out[i]["UUID"]) < fmt.Sprint(out[j]["UUID"]) })
	b, _ := json.Marshal(map[string]any{"EventSourceMappings": out})
	writeJSON(w, http.StatusOK, "application/json", string(b))
}

var accountIDRE = regexp.MustCompile(`^[0-9]{12}$`)

// servePolicy keeps each function's and each alias's resource policy as Lambda does.
func (p *Proxy) servePolicy(w http.ResponseWriter, r *http.Request, lr lambdaRequest) {
	arn, bad := p.targetARN(r, lr.function, lr.qualifier)
	if bad != nil {
		copyAnswer(w, *bad, bad.body)
		return
	}
	st := triggers
	st.mu.Lock()
	defer st.mu.Unlock()
	switch lr.op {
	case "GetPolicy":
		statements := st.policies[arn]
		if len(statements) == 0 {
			// Source: GetPolicy in the Lambda API reference: ResourceNotFoundException (404)
			// "The resource specified in the request does not exist."; Lambda's message is
			// "The resource you requested does not exist."
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
		for i, s := range st.policies[arn] {
			if s["Sid"] == sid {
				st.policies[arn] = append(st.policies[arn][:i:i], st.policies[arn][i+1:]...)
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		noSuchResource(w)
	case "AddPermission":
		sid, _ := lr.body["StatementId"].(string)
		for _, s := range st.policies[arn] {
			if s["Sid"] == sid {
				// Source: AddPermission in the Lambda API reference, ResourceConflictException (409).
				lambdaError(w, http.StatusConflict, "ResourceConflictException",
					fmt.Sprintf("The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", sid))
				return
			}
		}
		s := permissionStatement(lr.body, arn)
		st.policies[arn] = append(st.policies[arn], s)
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
	qualifier := lr.qualifier
	if lr.op == "ListFunctionUrlConfigs" {
		qualifier = ""
	}
	arn, bad := p.targetARN(r, lr.function, qualifier)
	if bad != nil {
		copyAnswer(w, *bad, bad.body)
		return
	}
	st := triggers
	st.mu.Lock()
	defer st.mu.Unlock()
	switch lr.op {
	case "ListFunctionUrlConfigs":
		p.hit(ServedFunctionURLs)
		configs := []map[string]any{}
		for key, c := range st.urls {
			if key == arn || strings.HasPrefix(key, arn+":") {
				configs = append(configs, c)
			}
		}
		sort.Slice(configs, func(i, j int) bool {
			return fmt.Sprint(configs[i]["FunctionArn"]) < fmt.Sprint(configs[j]["FunctionArn"])
		})
		b, _ := json.Marshal(map[string]any{"FunctionUrlConfigs": configs})
		writeJSON(w, http.StatusOK, "application/json", string(b))
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
