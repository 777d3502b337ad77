package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// Every plan-time check of the provider block, through ValidateProviderConfig: the error
// names the attribute at fault, and valid blocks pass.
func TestProviderConfigValidation(t *testing.T) {
	s := protoServer(t)
	typ := providerSchemaType(t, s)
	role := func(kv map[string]any) map[string]any {
		m := map[string]any{"role_arn": "arn:aws:iam::123456789012:role/deployer"}
		for k, v := range kv {
			m[k] = v
		}
		return map[string]any{"assume_role": []any{m}}
	}
	endpoints := func(kv map[string]any) map[string]any {
		return map[string]any{"endpoints": []any{kv}}
	}
	cases := []struct {
		name     string
		config   map[string]any
		wantPath string // "" means the config is valid
		wantText string
	}{
		{"empty block", map[string]any{}, "", ""},
		{"everything valid", map[string]any{
			"region": "eu-central-1", "profile": "prod", "max_retries": 25,
			"shared_config_files": []any{"~/.aws/config"}, "shared_credentials_files": []any{"~/.aws/credentials"},
			"access_key": "AKIA", "secret_key": "s", "token": "t",
			"assume_role": []any{map[string]any{"role_arn": "arn:aws:iam::123456789012:role/deployer", "session_name": "terraform", "external_id": "ext-1", "duration": "1h"}},
			"endpoints":   []any{map[string]any{"lambda": "http://127.0.0.1:5000", "cloudwatch": "https://monitoring.example.com", "sts": "http://localhost:4566"}},
		}, "", ""},
		{"govcloud role", role(map[string]any{"role_arn": "arn:aws-us-gov:iam::123456789012:role/path/deployer"}), "", ""},
		{"malformed role ARN", role(map[string]any{"role_arn": "deployer"}), `AttributeName("role_arn")`, "IAM role ARN"},
		{"user ARN not a role", role(map[string]any{"role_arn": "arn:aws:iam::123456789012:user/bob"}), `AttributeName("role_arn")`, "IAM role ARN"},
		{"short account id", role(map[string]any{"role_arn": "arn:aws:iam::1234:role/deployer"}), `AttributeName("role_arn")`, "IAM role ARN"},
		{"unparsable duration", role(map[string]any{"duration": "an hour"}), `AttributeName("duration")`, "duration"},
		{"duration too short", role(map[string]any{"duration": "5m"}), `AttributeName("duration")`, "between 15m0s and 12h0m0s"},
		{"duration too long", role(map[string]any{"duration": "13h"}), `AttributeName("duration")`, "between 15m0s and 12h0m0s"},
		{"bad session name", role(map[string]any{"session_name": "has space"}), `AttributeName("session_name")`, "2-64 characters"},
		{"two assume_role blocks", map[string]any{"assume_role": []any{
			map[string]any{"role_arn": "arn:aws:iam::123456789012:role/a"},
			map[string]any{"role_arn": "arn:aws:iam::123456789012:role/b"},
		}}, `AttributeName("assume_role")`, "at most 1"},
		{"endpoint not a URL", endpoints(map[string]any{"lambda": "localhost:5000"}), `AttributeName("lambda")`, "absolute http:// or https:// URL"},
		{"endpoint wrong scheme", endpoints(map[string]any{"cloudwatch": "ftp://127.0.0.1"}), `AttributeName("cloudwatch")`, "absolute http:// or https:// URL"},
		{"endpoint no host", endpoints(map[string]any{"sts": "http://"}), `AttributeName("sts")`, "absolute http:// or https:// URL"},
		{"endpoint garbage", endpoints(map[string]any{"lambda": "http://[::1"}), `AttributeName("lambda")`, "absolute http:// or https:// URL"},
		{"bad region", map[string]any{"region": "Frankfurt"}, `AttributeName("region")`, "AWS region name"},
		{"negative retries", map[string]any{"max_retries": -1}, `AttributeName("max_retries")`, "between 0 and 100"},
		{"absurd retries", map[string]any{"max_retries": 1000}, `AttributeName("max_retries")`, "between 0 and 100"},
		{"secret without access key", map[string]any{"secret_key": "s"}, `AttributeName("secret_key")`, "access_key"},
		{"access key without secret", map[string]any{"access_key": "AKIA"}, `AttributeName("access_key")`, "secret_key"},
		{"token without keys", map[string]any{"token": "t"}, `AttributeName("token")`, "access_key"},
		{"empty profile", map[string]any{"profile": ""}, `AttributeName("profile")`, "length"},
		{"empty shared config path", map[string]any{"shared_config_files": []any{""}}, `AttributeName("shared_config_files")`, "length"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := s.ValidateProviderConfig(context.Background(), &tfprotov6.ValidateProviderConfigRequest{
				Config: dynamicValue(t, typ, tc.config),
			})
			if err != nil {
				t.Fatal(err)
			}
			got := diagSummary(resp.Diagnostics)
			if tc.wantPath == "" {
				if got != "" {
					t.Fatalf("want no error, got:\n%s", got)
				}
				return
			}
			if !strings.Contains(got, tc.wantPath) || !strings.Contains(got, tc.wantText) {
				t.Fatalf("want an error on %s mentioning %q, got:\n%s", tc.wantPath, tc.wantText, got)
			}
		})
	}
}

func TestProviderSecretsAreSensitive(t *testing.T) {
	resp, err := protoServer(t).GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range resp.Provider.Block.Attributes {
		switch a.Name {
		case "access_key", "secret_key", "token":
			if !a.Sensitive {
				t.Errorf("%s must be sensitive", a.Name)
			}
		}
	}
}
