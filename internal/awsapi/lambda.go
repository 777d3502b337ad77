package awsapi

import (
	"context"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
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
}

// Lambda adapts the Lambda client to shift.Functions, shift.Aliases and shift.Invoker.
type Lambda struct {
	API      LambdaAPI
	Endpoint string // for error messages; "" means AWS's default
}

var (
	_ shift.Functions = (*Lambda)(nil)
	_ shift.Aliases   = (*Lambda)(nil)
	_ shift.Invoker   = (*Lambda)(nil)
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
		Name: aws.ToString(out.FunctionName),
		ARN:  unqualified(aws.ToString(out.FunctionArn)),
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
	return versionFrom(out.Version, out.FunctionArn, out.CodeSha256, out.Description, out.State), nil
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
			versions = append(versions, versionFrom(c.Version, c.FunctionArn, c.CodeSha256, c.Description, c.State))
		}
	}
	sort.SliceStable(versions, func(i, j int) bool {
		a, _ := strconv.Atoi(versions[i].Version)
		b, _ := strconv.Atoi(versions[j].Version)
		return a < b
	})
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
	return versionFrom(out.Version, out.FunctionArn, out.CodeSha256, out.Description, out.State), nil
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
	return aliasFrom(out.Name, out.AliasArn, out.FunctionVersion, out.RevisionId, out.RoutingConfig), nil
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
			aliases = append(aliases, aliasFrom(a.Name, a.AliasArn, a.FunctionVersion, a.RevisionId, a.RoutingConfig))
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
	return aliasFrom(out.Name, out.AliasArn, out.FunctionVersion, out.RevisionId, out.RoutingConfig), nil
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
	out, err := l.API.UpdateAlias(ctx, in)
	if err != nil {
		return shift.Alias{}, l.wrap("UpdateAlias", err)
	}
	return aliasFrom(out.Name, out.AliasArn, out.FunctionVersion, out.RevisionId, out.RoutingConfig), nil
}

func (l *Lambda) DeleteAlias(ctx context.Context, function, alias string) error {
	_, err := l.API.DeleteAlias(ctx, &lambda.DeleteAliasInput{
		FunctionName: aws.String(function),
		Name:         aws.String(alias),
	})
	return l.wrap("DeleteAlias", err)
}

func (l *Lambda) Invoke(ctx context.Context, function string, payload []byte) (shift.InvokeResult, error) {
	out, err := l.API.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(function),
		InvocationType: types.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return shift.InvokeResult{}, l.wrap("Invoke", err)
	}
	return shift.InvokeResult{
		FunctionError: aws.ToString(out.FunctionError),
		Payload:       out.Payload,
	}, nil
}

func versionFrom(version, arn, sha, description *string, state types.State) shift.Version {
	return shift.Version{
		Version:     aws.ToString(version),
		ARN:         aws.ToString(arn),
		CodeSha256:  aws.ToString(sha),
		Description: aws.ToString(description),
		State:       string(state),
	}
}

func aliasFrom(name, arn, version, revision *string, rc *types.AliasRoutingConfiguration) shift.Alias {
	a := shift.Alias{
		Name:            aws.ToString(name),
		ARN:             aws.ToString(arn),
		FunctionVersion: aws.ToString(version),
		RevisionID:      aws.ToString(revision),
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
// (arn:aws:lambda:region:acct:function:name[:qualifier]).
func unqualified(arn string) string {
	n := 0
	for i := 0; i < len(arn); i++ {
		if arn[i] == ':' {
			n++
			if n == 7 {
				return arn[:i]
			}
		}
	}
	return arn
}
