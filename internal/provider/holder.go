package provider

import (
	"net/url"
	"strings"
	"unicode"
)

// pipelineRun names the pipeline run this provider works for, from the variables each CI
// system sets in the environment of the jobs it runs ("" when none does), so that a
// pipeline refused by another's lease, or a person reading the alias, can tell which run
// holds it. The engine cuts it to fit the alias description.
//
// Sources: HCP Terraform's run environment (TFC_RUN_ID, TFC_WORKSPACE_SLUG), Spacelift's
// computed TF_VAR_spacelift_* values, GitHub Actions' default variables, GitLab's
// predefined CI_JOB_URL, Jenkins' BUILD_URL, CodeBuild's CODEBUILD_BUILD_ARN and
// CODEBUILD_BUILD_ID, CircleCI's CIRCLE_BUILD_URL, Buildkite's BUILDKITE_BUILD_URL, and
// Atlantis (PULL_URL in custom run steps; its built-in steps set only
// ATLANTIS_TERRAFORM_VERSION, WORKSPACE and DIR).
func pipelineRun(getenv func(string) string) string {
	env := func(k string) string { return printable(getenv(k)) }
	switch {
	case env("TFC_RUN_ID") != "":
		run := "HCP Terraform run " + env("TFC_RUN_ID")
		if ws := firstOf(env("TFC_WORKSPACE_SLUG"), env("TFC_WORKSPACE_NAME")); ws != "" {
			run += " in " + ws
		}
		return run
	case env("TF_VAR_spacelift_run_id") != "":
		run, stack, account := env("TF_VAR_spacelift_run_id"), env("TF_VAR_spacelift_stack_id"), env("TF_VAR_spacelift_account_name")
		if stack != "" && account != "" {
			host := account
			if !strings.Contains(host, ".") {
				host += ".app.spacelift.io"
			}
			return "https://" + host + "/stack/" + url.PathEscape(stack) + "/run/" + url.PathEscape(run)
		}
		if stack != "" {
			return "Spacelift run " + run + " of stack " + stack
		}
		return "Spacelift run " + run
	case env("GITHUB_RUN_ID") != "" && env("GITHUB_REPOSITORY") != "":
		server := strings.TrimSuffix(firstOf(env("GITHUB_SERVER_URL"), "https://github.com"), "/")
		run := server + "/" + env("GITHUB_REPOSITORY") + "/actions/runs/" + env("GITHUB_RUN_ID")
		if a := env("GITHUB_RUN_ATTEMPT"); a != "" && a != "1" {
			run += "/attempts/" + a
		}
		return run
	case env("CI_JOB_URL") != "":
		return env("CI_JOB_URL")
	case env("BUILD_URL") != "":
		return env("BUILD_URL")
	case env("CODEBUILD_BUILD_ARN") != "":
		return "CodeBuild build " + env("CODEBUILD_BUILD_ARN")
	case env("CODEBUILD_BUILD_ID") != "":
		return "CodeBuild build " + env("CODEBUILD_BUILD_ID")
	case env("CIRCLE_BUILD_URL") != "":
		return env("CIRCLE_BUILD_URL")
	case env("BUILDKITE_BUILD_URL") != "":
		return env("BUILDKITE_BUILD_URL")
	case env("ATLANTIS_TERRAFORM_VERSION") != "":
		if pull := env("PULL_URL"); pull != "" {
			return "Atlantis " + pull
		}
		dir := env("DIR")
		// Atlantis works in <data-dir>/repos/<owner>/<repo>/<pull>/<workspace>/<path>.
		if i := strings.Index(dir, "/repos/"); i >= 0 {
			dir = dir[i+len("/repos/"):]
		}
		if dir != "" {
			return "Atlantis " + dir
		}
		return "Atlantis"
	}
	return ""
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// printable keeps a value on one line of visible characters: it goes into the alias
// description and into error messages.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
