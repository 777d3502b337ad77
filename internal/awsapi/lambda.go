package awsapi

import (
	"time"

	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// LambdaAPI is the part of the Lambda client the adapter uses, so tests can count or
// fault calls without an HTTP server.
type LambdaAPI interface {
	GetFunctionConfiguration(context.Context, *lambda.GetFunctionConfigurationInput, ...func(*lambda.Options)) (*lambda.GetFunctionConfigurationOutput, error)
	ListVersionsByFunction(context.Context, *lambda.ListVersionsByFunctionInput, ...func(*lambda.Options)) (*lambda.ListVersionsByFunctionOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	DeleteFunction(context.Context, *lambda.DeleteFunctionInput, ...func(*lambda.Options)) (*lambda.DeleteFunctionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	ListAliases(context.Context, *lambda.ListAliasesInput, ...func(*lambda.Options)) (*lambda.ListAliasesOutput, error)
	CreateAlias(context.Context, *lambda.CreateAliasInput, ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
	DeleteAlias(context.Context, *lambda.DeleteAliasInput, ...func(*lambda.Options)) (*lambda.DeleteAliasOutput, error)
	Invoke(context.Context, *lambda.InvokeInput, ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
	ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	ListProvisionedConcurrencyConfigs(context.Context, *lambda.ListProvisionedConcurrencyConfigsInput, ...func(*lambda.Options)) (*lambda.ListProvisionedConcurrencyConfigsOutput, error)
	GetPolicy(context.Context, *lambda.GetPolicyInput, ...func(*lambda.Options)) (*lambda.GetPolicyOutput, error)
	ListFunctionUrlConfigs(context.Context, *lambda.ListFunctionUrlConfigsInput, ...func(*lambda.Options)) (*lambda.ListFunctionUrlConfigsOutput, error)
}

// Lambda adapts the Lambda client to shift.Functions, shift.Aliases and shift.Invoker.
type Lambda struct {
	API      LambdaAPI
	Endpoint string // for error messages; "" means AWS's default
	// InvokeRetryer, when set, replaces the client's retryer for Invoke (see
	// NewInvokeRetryer): a hook must not run twice because an answer was lost.
	InvokeRetryer aws.Retryer
}

var (
	_ shift.Functions = (*Lambda)(nil)
	_ shift.Aliases   = (*Lambda)(nil)
	_ shift.Invoker   = (*Lambda)(nil)
	_ shift.Consumers = (*Lambda)(nil)
)

func (l *Lambda) wrap(op string, err error) error { return wrapErr("Lambda", op, l.Endpoint, err) }

func (l *Lambda) GetFunction(ctx context.Context, function string) (shift.Function, error) {
	out, err := l.API.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{
		FunctionName: aws.String(function),
	})
	if err != nil {
		return shift.Function{}, l.wrap("GetFunctionConfiguration", err)
	}
	return shift.Function{
		Name:    aws.ToString(out.FunctionName),
		ARN:     unqualified(aws.ToString(out.FunctionArn)),
		Timeout: time.Duration(aws.ToInt32(out.Timeout)) * time.Second,
	}, nil
}

func (l *Lambda) GetVersion(ctx context.Context, function, version string) (shift.Version, error) {
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(function)}
	// No qualifier means $LATEST; "?Qualifier=$LATEST" fails moto's signature check when
	// it enforces IAM (403), although AWS accepts both.
	if version != "$LATEST" {
		in.Qualifier = aws.String(version)
	}
	out, err := l.API.GetFunctionConfiguration(ctx, in)
	if err != nil {
		return shift.Version{}, l.wrap("GetFunctionConfiguration", err)
	}
	return versionFrom(versionFields{out.Version, out.FunctionArn, out.CodeSha256, out.Description, out.Role, out.State, out.LastUpdateStatus, out.DeadLetterConfig, configOfGet(out)}), nil
}

func (l *Lambda) ListVersions(ctx context.Context, function string) ([]shift.Version, error) {
	var versions []shift.Version
	p := lambda.NewListVersionsByFunctionPaginator(l.API, &lambda.ListVersionsByFunctionInput{
		FunctionName: aws.String(function),
		MaxItems:     aws.Int32(50),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, l.wrap("ListVersionsByFunction", err)
		}
		for _, c := range page.Versions {
			if aws.ToString(c.Version) == "$LATEST" {
				continue
			}
			versions = append(versions, versionFrom(versionFields{c.Version, c.FunctionArn, c.CodeSha256, c.Description, c.Role, c.State, c.LastUpdateStatus, c.DeadLetterConfig, configOfItem(c)}))
		}
	}
	slices.SortStableFunc(versions, func(a, b shift.Version) int { return shift.CompareVersions(a.Version, b.Version) })
	return versions, nil
}

func (l *Lambda) PublishVersion(ctx context.Context, function, codeSha256, description string) (shift.Version, error) {
	in := &lambda.PublishVersionInput{FunctionName: aws.String(function)}
	if codeSha256 != "" {
		in.CodeSha256 = aws.String(codeSha256)
	}
	if description != "" {
		in.Description = aws.String(description)
	}
	out, err := l.API.PublishVersion(ctx, in)
	if err != nil {
		return shift.Version{}, l.wrap("PublishVersion", err)
	}
	return versionFrom(versionFields{out.Version, out.FunctionArn, out.CodeSha256, out.Description, out.Role, out.State, out.LastUpdateStatus, out.DeadLetterConfig, configOfPublish(out)}), nil
}

func (l *Lambda) DeleteVersion(ctx context.Context, function, version string) error {
	_, err := l.API.DeleteFunction(ctx, &lambda.DeleteFunctionInput{
		FunctionName: aws.String(function),
		Qualifier:    aws.String(version),
	})
	return l.wrap("DeleteFunction", err)
}

func (l *Lambda) GetAlias(ctx context.Context, function, alias string) (shift.Alias, error) {
	out, err := l.API.GetAlias(ctx, &lambda.GetAliasInput{
		FunctionName: aws.String(function),
		Name:         aws.String(alias),
	})
	if err != nil {
		return shift.Alias{}, l.wrap("GetAlias", err)
	}
	return aliasFrom(out.Name, out.AliasArn, out.FunctionVersion, out.RevisionId, out.Description, out.RoutingConfig), nil
}

func (l *Lambda) ListAliases(ctx context.Context, function string) ([]shift.Alias, error) {
	var aliases []shift.Alias
	p := lambda.NewListAliasesPaginator(l.API, &lambda.ListAliasesInput{FunctionName: aws.String(function)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, l.wrap("ListAliases", err)
		}
		for _, a := range page.Aliases {
			aliases = append(aliases, aliasFrom(a.Name, a.AliasArn, a.FunctionVersion, a.RevisionId, a.Description, a.RoutingConfig))
		}
	}
	return aliases, nil
}

func (l *Lambda) CreateAlias(ctx context.Context, function, alias, version, description string) (shift.Alias, error) {
	in := &lambda.CreateAliasInput{
		FunctionName:    aws.String(function),
		Name:            aws.String(alias),
		FunctionVersion: aws.String(version),
	}
	if description != "" {
		in.Description = aws.String(description)
	}
	out, err := l.API.CreateAlias(ctx, in)
	if err != nil {
		return shift.Alias{}, l.wrap("CreateAlias", err)
	}
	return aliasFrom(out.Name, out.AliasArn, out.FunctionVersion, out.RevisionId, out.Description, out.RoutingConfig), nil
}

func (l *Lambda) UpdateAlias(ctx context.Context, u shift.AliasUpdate) (shift.Alias, error) {
	in := &lambda.UpdateAliasInput{
		FunctionName:    aws.String(u.Function),
		Name:            aws.String(u.Alias),
		FunctionVersion: aws.String(u.FunctionVersion),
		// An empty map clears the routing configuration.
		RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{}},
	}
	for v, w := range u.Weights {
		in.RoutingConfig.AdditionalVersionWeights[v] = w
	}
	if u.RevisionID != "" {
		in.RevisionId = aws.String(u.RevisionID)
	}
	if u.Description != nil {
		in.Description = aws.String(*u.Description)
	}
	out, err := l.API.UpdateAlias(ctx, in)
	if err != nil {
		return shift.Alias{}, l.wrap("UpdateAlias", err)
	}
	return aliasFrom(out.Name, out.AliasArn, out.FunctionVersion, out.RevisionId, out.Description, out.RoutingConfig), nil
}

func (l *Lambda) DeleteAlias(ctx context.Context, function, alias string) error {
	_, err := l.API.DeleteAlias(ctx, &lambda.DeleteAliasInput{
		FunctionName: aws.String(function),
		Name:         aws.String(alias),
	})
	return l.wrap("DeleteAlias", err)
}

func (l *Lambda) Invoke(ctx context.Context, function string, payload []byte) (shift.InvokeResult, error) {
	var opts []func(*lambda.Options)
	if l.InvokeRetryer != nil {
		opts = append(opts, func(o *lambda.Options) { o.Retryer = l.InvokeRetryer })
	}
	out, err := l.API.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	}, opts...)
	if err != nil {
		return shift.InvokeResult{}, l.wrap("Invoke", err)
	}
	return shift.InvokeResult{
		FunctionError: aws.ToString(out.FunctionError),
		Payload:       out.Payload,
	}, nil
}

// VersionConsumers reads which of versions an event source mapping or a
// provisioned-concurrency configuration uses: ListProvisionedConcurrencyConfigs for the
// function, and ListEventSourceMappings over the region, kept to mappings whose function
// ARN is one of the versions (a qualified ARN). Listing without a FunctionName filter
// does not depend on how Lambda matches a filter against qualifiers, and costs one
// paginated scan rather than a call per version.
func (l *Lambda) VersionConsumers(ctx context.Context, function string, versions []string) (map[string][]string, error) {
	fn, err := l.GetFunction(ctx, function)
	if err != nil {
		return nil, err
	}
	wanted := map[string]bool{}
	for _, v := range versions {
		wanted[v] = true
	}
	uses := map[string][]string{}
	pc := lambda.NewListProvisionedConcurrencyConfigsPaginator(l.API, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(fn.Name)})
	for pc.HasMorePages() {
		page, err := pc.NextPage(ctx)
		if err != nil {
			return nil, l.wrap("ListProvisionedConcurrencyConfigs", err)
		}
		for _, c := range page.ProvisionedConcurrencyConfigs {
			if q := qualifier(aws.ToString(c.FunctionArn)); wanted[q] {
				uses[q] = append(uses[q], fmt.Sprintf("provisioned concurrency (%d requested)", aws.ToInt32(c.RequestedProvisionedConcurrentExecutions)))
			}
		}
	}
	esm := lambda.NewListEventSourceMappingsPaginator(l.API, &lambda.ListEventSourceMappingsInput{})
	for esm.HasMorePages() {
		page, err := esm.NextPage(ctx)
		if err != nil {
			return nil, l.wrap("ListEventSourceMappings", err)
		}
		for _, m := range page.EventSourceMappings {
			arn := aws.ToString(m.FunctionArn)
			q := qualifier(arn)
			if unqualified(arn) != fn.ARN || !wanted[q] {
				continue
			}
			source := aws.ToString(m.EventSourceArn)
			if source == "" {
				source = "a self-managed event source"
			}
			uses[q] = append(uses[q], fmt.Sprintf("event source mapping %s from %s", aws.ToString(m.UUID), source))
		}
	}
	for v := range uses {
		slices.Sort(uses[v])
	}
	return uses, nil
}

// versionFields are the parts of a function configuration a shift.Version holds; the
// SDK has three types for them (GetFunctionConfiguration, PublishVersion, list items).
type versionFields struct {
	version, arn, sha, description, role *string
	state                                types.State
	lastUpdate                           types.LastUpdateStatus
	dlq                                  *types.DeadLetterConfig
	config                               configFields
}

func versionFrom(f versionFields) shift.Version {
	v := shift.Version{
		Version:          aws.ToString(f.version),
		ARN:              aws.ToString(f.arn),
		CodeSha256:       aws.ToString(f.sha),
		Description:      aws.ToString(f.description),
		State:            string(f.state),
		LastUpdateStatus: string(f.lastUpdate),
		Role:             aws.ToString(f.role),
		Configuration:    f.config.configuration(),
	}
	if f.dlq != nil {
		v.DeadLetterTarget = aws.ToString(f.dlq.TargetArn)
	}
	return v
}

func aliasFrom(name, arn, version, revision, description *string, rc *types.AliasRoutingConfiguration) shift.Alias {
	a := shift.Alias{
		Name:            aws.ToString(name),
		ARN:             aws.ToString(arn),
		FunctionVersion: aws.ToString(version),
		RevisionID:      aws.ToString(revision),
		Description:     aws.ToString(description),
	}
	if rc != nil && len(rc.AdditionalVersionWeights) > 0 {
		a.Weights = make(map[string]float64, len(rc.AdditionalVersionWeights))
		for v, w := range rc.AdditionalVersionWeights {
			a.Weights[v] = w
		}
	}
	return a
}

// unqualified strips a version or alias qualifier from a function ARN
// (arn:aws:lambda:region:acct:function:name[:qualifier]); anything that does not parse
// as an ARN is returned as it is.
func unqualified(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return s
	}
	parts := strings.SplitN(a.Resource, ":", 3) // function:name[:qualifier]
	a.Resource = strings.Join(parts[:min(2, len(parts))], ":")
	return a.String()
}

// qualifier is the version or alias a function ARN names ("" when unqualified).
func qualifier(s string) string {
	a, err := arn.Parse(s)
	if err != nil {
		return ""
	}
	parts := strings.Split(a.Resource, ":") // function:name[:qualifier]
	if len(parts) == 3 {
		return parts[2]
	}
	return ""
}
