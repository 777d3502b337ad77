package acctest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// Queue creates an SQS queue (a source for event source mappings) and returns its ARN.
// It speaks SQS's query protocol with a signed request, which keeps the SQS client out of
// the module for one fixture.
func Queue(t testing.TB, name string) string {
	t.Helper()
	if name == "" {
		name = RandName("tf-acc-q")
	}
	cfg := Config(t)
	endpoint := Endpoint()
	form := url.Values{"Action": {"CreateQueue"}, "QueueName": {name}, "Version": {"2012-11-05"}}.Encode()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	creds, err := cfg.Credentials.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(form))
	if err := v4.NewSigner().SignHTTP(t.Context(), creds, req, hex.EncodeToString(sum[:]), "sqs", cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create SQS queue %s: %v", name, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		QueueURL string `xml:"CreateQueueResult>QueueUrl"`
	}
	if resp.StatusCode != http.StatusOK || xml.Unmarshal(body, &out) != nil || out.QueueURL == "" {
		t.Fatalf("create SQS queue %s: HTTP %d %s", name, resp.StatusCode, body)
	}
	// The queue URL is …/ACCOUNT/NAME, in moto as in SQS.
	segs := strings.Split(strings.TrimRight(out.QueueURL, "/"), "/")
	return "arn:aws:sqs:" + cfg.Region + ":" + segs[len(segs)-2] + ":" + name
}

// EventSourceMapping maps queueARN to functionName (a name, or an alias or version ARN)
// and returns the mapping's UUID; it is deleted when the test ends.
func EventSourceMapping(t testing.TB, functionName, queueARN string) string {
	t.Helper()
	c := Lambda(t)
	out, err := c.CreateEventSourceMapping(t.Context(), &lambda.CreateEventSourceMappingInput{
		FunctionName: aws.String(functionName), EventSourceArn: aws.String(queueARN), BatchSize: aws.Int32(10),
	})
	if err != nil {
		t.Fatalf("map %s to %s: %v", queueARN, functionName, err)
	}
	id := aws.ToString(out.UUID)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, _ = c.DeleteEventSourceMapping(ctx, &lambda.DeleteEventSourceMappingInput{UUID: aws.String(id)})
	})
	return id
}

// AddPermission lets principal invoke function (qualifier "" for the unqualified
// function, or an alias) from sourceARN ("" for any).
func AddPermission(t testing.TB, function, qualifier, sid, principal, sourceARN string) {
	t.Helper()
	in := &lambda.AddPermissionInput{
		FunctionName: aws.String(function), StatementId: aws.String(sid),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(principal),
	}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if sourceARN != "" {
		in.SourceArn = aws.String(sourceARN)
	}
	c := Lambda(t)
	if _, err := c.AddPermission(t.Context(), in); err != nil {
		t.Fatalf("add permission %s on %s:%s: %v", sid, function, qualifier, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		_, _ = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String(function), StatementId: aws.String(sid), Qualifier: in.Qualifier})
	})
}
