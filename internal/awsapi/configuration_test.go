package awsapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// A version's configuration as GetFunctionConfiguration returns it (the JSON below is
// the API reference's shape), read into one text per setting: Lambda's defaults read as
// unset, so an answer that spells them and one that leaves them out compare equal, and
// environment values are kept only as a digest.
func TestVersionConfiguration(t *testing.T) {
	answers := map[string]string{
		"1": `{"FunctionName":"orders","Version":"1","FunctionArn":"` + fnARN + `:1","CodeSha256":"h1",
			"Runtime":"python3.12","Handler":"index.handler","MemorySize":128,"Timeout":3,"Role":"arn:aws:iam::123456789012:role/orders",
			"Environment":{"Variables":{"DB_PASSWORD":"hunter2","STAGE":"prod"}},
			"TracingConfig":{"Mode":"PassThrough"},"EphemeralStorage":{"Size":512},"Architectures":["x86_64"],
			"SnapStart":{"ApplyOn":"None","OptimizationStatus":"Off"},"Layers":[],
			"LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/orders"}}`,
		// The same configuration with the defaults left out.
		"2": `{"FunctionName":"orders","Version":"2","FunctionArn":"` + fnARN + `:2","CodeSha256":"h1",
			"Runtime":"python3.12","Handler":"index.handler","MemorySize":128,"Timeout":3,"Role":"arn:aws:iam::123456789012:role/orders",
			"Environment":{"Variables":{"STAGE":"prod","DB_PASSWORD":"hunter2"}},
			"LoggingConfig":{"LogFormat":"Text","LogGroup":"/aws/lambda/orders"}}`,
		// Every setting changed.
		"3": `{"FunctionName":"orders","Version":"3","FunctionArn":"` + fnARN + `:3","CodeSha256":"h1",
			"Runtime":"python3.13","Handler":"app.main","MemorySize":256,"Timeout":30,"Role":"arn:aws:iam::123456789012:role/other",
			"Environment":{"Variables":{"DB_PASSWORD":"correct-horse","STAGE":"prod"}},
			"TracingConfig":{"Mode":"Active"},"EphemeralStorage":{"Size":1024},"Architectures":["arm64"],
			"SnapStart":{"ApplyOn":"PublishedVersions","OptimizationStatus":"On"},
			"Layers":[{"Arn":"arn:aws:lambda:eu-central-1:123456789012:layer:deps:4","CodeSize":10}],
			"VpcConfig":{"SubnetIds":["subnet-2","subnet-1"],"SecurityGroupIds":["sg-1"],"VpcId":"vpc-1"},
			"FileSystemConfigs":[{"Arn":"arn:aws:elasticfilesystem:eu-central-1:123456789012:access-point/fsap-1","LocalMountPath":"/mnt/data"}],
			"DeadLetterConfig":{"TargetArn":"arn:aws:sqs:eu-central-1:123456789012:dlq"},
			"ImageConfigResponse":{"ImageConfig":{"Command":["app.handler"]}},
			"KMSKeyArn":"arn:aws:kms:eu-central-1:123456789012:key/1",
			"LoggingConfig":{"LogFormat":"JSON","ApplicationLogLevel":"INFO","SystemLogLevel":"WARN","LogGroup":"/aws/lambda/orders"}}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(answers[r.URL.Query().Get("Qualifier")]))
	}))
	t.Cleanup(srv.Close)
	c, err := NewClients(context.Background(), Settings{Region: "eu-central-1", AccessKey: "a", SecretKey: "s", Endpoints: Endpoints{Lambda: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	read := func(v string) shift.Configuration {
		got, err := c.Engine().Functions.GetVersion(context.Background(), "orders", v)
		if err != nil {
			t.Fatal(err)
		}
		return got.Configuration
	}
	v1, v2, v3 := read("1"), read("2"), read("3")
	if d := shift.ConfigurationDiff(v1, v2); d != nil {
		t.Errorf("defaults spelled out or left out differ in %v", d)
	}
	if got, want := strings.Join(shift.ConfigurationDiff(v1, v3), ", "), strings.Join(shift.ConfigurationSettings, ", "); got != want {
		t.Errorf("every setting changed, diff names\n%s\nwant\n%s", got, want)
	}
	for _, c := range []shift.Configuration{v1, v3} {
		for k, v := range c {
			if strings.Contains(v, "hunter2") || strings.Contains(v, "correct-horse") {
				t.Errorf("%s keeps an environment value: %s", k, v)
			}
		}
	}
}

// Against the test AWS (moto behind the strict proxy): a published version keeps its own
// configuration after $LATEST's changes, in GetFunctionConfiguration with a qualifier and
// in ListVersionsByFunction alike, as Lambda does; moto 5.2.1 gets this right, so the
// proxy leaves these reads alone.
func TestAdapters_versionKeepsItsConfiguration(t *testing.T) {
	a := engineAWS(t)
	ctx := context.Background()
	fn := acctest.Function(t, "")
	if _, err := a.Functions.PublishVersion(ctx, fn.Name, fn.CodeSha256, ""); err != nil {
		t.Fatal(err)
	}
	acctest.SetEnvironment(t, fn.Name, map[string]string{"DB_PASSWORD": "hunter2"})
	v1, err := a.Functions.GetVersion(ctx, fn.Name, "1")
	if err != nil {
		t.Fatal(err)
	}
	latest, err := a.Functions.GetVersion(ctx, fn.Name, "$LATEST")
	if err != nil {
		t.Fatal(err)
	}
	if d := shift.ConfigurationDiff(v1.Configuration, latest.Configuration); strings.Join(d, ",") != "environment" {
		t.Errorf("version 1 against $LATEST differs in %v, want environment", d)
	}
	listed, err := a.Functions.ListVersions(ctx, fn.Name)
	if err != nil || len(listed) != 1 {
		t.Fatalf("ListVersions = %v, %v", listed, err)
	}
	if d := shift.ConfigurationDiff(listed[0].Configuration, v1.Configuration); d != nil {
		t.Errorf("version 1 listed and read differ in %v", d)
	}
	v2, err := a.Functions.PublishVersion(ctx, fn.Name, fn.CodeSha256, "")
	if err != nil {
		t.Fatal(err)
	}
	if d := shift.ConfigurationDiff(v2.Configuration, latest.Configuration); d != nil {
		t.Errorf("the version published from $LATEST differs from it in %v", d)
	}
}
