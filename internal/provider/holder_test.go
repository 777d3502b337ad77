package provider

import (
	"strings"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// Each CI system's own variables name the run in the lease, cut to fit the 256 characters
// of an alias description with the holder's process kept whole.
func TestPipelineRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing says", map[string]string{"HOME": "/root", "CI": "true"}, ""},
		{"HCP Terraform / Terraform Enterprise", map[string]string{
			"TFC_RUN_ID": "run-CKuwsxMGgMd4W7Ui", "TFC_WORKSPACE_NAME": "prod-load-balancers", "TFC_WORKSPACE_SLUG": "acme-corp/prod-load-balancers",
		}, "HCP Terraform run run-CKuwsxMGgMd4W7Ui in acme-corp/prod-load-balancers"},
		{"HCP Terraform without a slug", map[string]string{"TFC_RUN_ID": "run-1", "TFC_WORKSPACE_NAME": "prod"}, "HCP Terraform run run-1 in prod"},
		{"GitHub Actions", map[string]string{
			"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_RUN_ID": "1658821493", "GITHUB_RUN_ATTEMPT": "1",
		}, "https://github.com/acme/infra/actions/runs/1658821493"},
		{"GitHub Actions, a re-run on GitHub Enterprise Server", map[string]string{
			"GITHUB_SERVER_URL": "https://ghe.acme.example/", "GITHUB_REPOSITORY": "acme/infra", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "3",
		}, "https://ghe.acme.example/acme/infra/actions/runs/42/attempts/3"},
		{"GitLab", map[string]string{"CI_JOB_URL": "https://gitlab.example.com/acme/infra/-/jobs/7046507", "GITLAB_CI": "true"}, "https://gitlab.example.com/acme/infra/-/jobs/7046507"},
		{"Jenkins", map[string]string{"BUILD_URL": "https://jenkins.acme.example/job/infra/job/main/17/", "JENKINS_URL": "https://jenkins.acme.example/"}, "https://jenkins.acme.example/job/infra/job/main/17/"},
		{"CodeBuild, by ARN", map[string]string{
			"CODEBUILD_BUILD_ARN": "arn:aws:codebuild:eu-central-1:123456789012:build/infra:b1e6661e-e4f2-4156-9ab9-82a19EXAMPLE",
			"CODEBUILD_BUILD_ID":  "infra:b1e6661e-e4f2-4156-9ab9-82a19EXAMPLE",
		}, "CodeBuild build arn:aws:codebuild:eu-central-1:123456789012:build/infra:b1e6661e-e4f2-4156-9ab9-82a19EXAMPLE"},
		{"CodeBuild, by id", map[string]string{"CODEBUILD_BUILD_ID": "infra:b1e6661e-e4f2-4156-9ab9-82a19EXAMPLE"}, "CodeBuild build infra:b1e6661e-e4f2-4156-9ab9-82a19EXAMPLE"},
		{"Spacelift", map[string]string{
			"TF_VAR_spacelift_run_id": "01JKZAHVAQHFM8CC3EA5HWRMP1", "TF_VAR_spacelift_stack_id": "prod-api", "TF_VAR_spacelift_account_name": "acme",
		}, "https://acme.app.spacelift.io/stack/prod-api/run/01JKZAHVAQHFM8CC3EA5HWRMP1"},
		{"Spacelift, account given as its host", map[string]string{
			"TF_VAR_spacelift_run_id": "01J", "TF_VAR_spacelift_stack_id": "prod-api", "TF_VAR_spacelift_account_name": "acme.app.spacelift.io",
		}, "https://acme.app.spacelift.io/stack/prod-api/run/01J"},
		{"Spacelift without an account", map[string]string{"TF_VAR_spacelift_run_id": "01J", "TF_VAR_spacelift_stack_id": "prod-api"}, "Spacelift run 01J of stack prod-api"},
		{"Atlantis, a custom run step", map[string]string{
			"ATLANTIS_TERRAFORM_VERSION": "1.11.0", "PULL_URL": "https://github.com/acme/infra/pull/42", "PULL_NUM": "42", "WORKSPACE": "default",
		}, "Atlantis https://github.com/acme/infra/pull/42"},
		{"Atlantis, its own apply step", map[string]string{
			"ATLANTIS_TERRAFORM_VERSION": "1.11.0", "WORKSPACE": "default", "DIR": "/home/atlantis/.atlantis/repos/acme/infra/42/default/stacks/prod",
		}, "Atlantis acme/infra/42/default/stacks/prod"},
		{"CircleCI", map[string]string{"CIRCLE_BUILD_URL": "https://circleci.com/gh/acme/infra/123"}, "https://circleci.com/gh/acme/infra/123"},
		{"Buildkite", map[string]string{"BUILDKITE_BUILD_URL": "https://buildkite.com/acme/infra/builds/9"}, "https://buildkite.com/acme/infra/builds/9"},
		{"HCP Terraform wins over the VCS job that started it", map[string]string{"TFC_RUN_ID": "run-1", "GITHUB_RUN_ID": "9", "GITHUB_REPOSITORY": "a/b"}, "HCP Terraform run run-1"},
		{"control characters and new lines never reach the description", map[string]string{"CI_JOB_URL": "https://gitlab.example.com/a/-/jobs/1\n\x1b[31mX"}, "https://gitlab.example.com/a/-/jobs/1 [31mX"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := pipelineRun(func(k string) string { return tc.env[k] })
			if got != tc.want {
				t.Fatalf("pipelineRun = %q, want %q", got, tc.want)
			}
			holder := shift.NewHolder(got)
			if tc.want != "" && !strings.HasPrefix(holder, tc.want+" on ") {
				t.Errorf("holder %q does not start with the run", holder)
			}
			lease := shift.Lease{ReleaseID: "d-0123456789ab", Holder: holder}.String()
			if len(lease) > 256 {
				t.Errorf("lease is %d characters: %q", len(lease), lease)
			}
		})
	}
	// A run name too long for the description is cut in its middle; the process stays.
	long := pipelineRun(func(k string) string {
		return map[string]string{"GITHUB_REPOSITORY": strings.Repeat("o", 39) + "/" + strings.Repeat("r", 100), "GITHUB_RUN_ID": "987654321"}[k]
	})
	holder := shift.NewHolder(long)
	lease := shift.Lease{ReleaseID: "d-0123456789ab", Holder: holder}.String()
	l, ok := shift.ParseLease(lease)
	if !ok || len(lease) > 256 || !strings.Contains(lease, "...") || !strings.HasSuffix(l.Holder, holder[strings.LastIndex(holder, " pid "):]) {
		t.Errorf("lease %q (%d characters) from holder %q", lease, len(lease), holder)
	}
}
