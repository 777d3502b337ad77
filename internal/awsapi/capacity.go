package awsapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// CapacityAPI is the part of the Lambda client Provisioned uses. It stays apart from
// LambdaAPI until the release uses provisioned concurrency: internal/iamtest holds the
// IAM policy to exactly LambdaAPI's calls, and the policy gains these actions with the
// release that makes them.
type CapacityAPI interface {
	GetProvisionedConcurrencyConfig(context.Context, *lambda.GetProvisionedConcurrencyConfigInput, ...func(*lambda.Options)) (*lambda.GetProvisionedConcurrencyConfigOutput, error)
	PutProvisionedConcurrencyConfig(context.Context, *lambda.PutProvisionedConcurrencyConfigInput, ...func(*lambda.Options)) (*lambda.PutProvisionedConcurrencyConfigOutput, error)
	DeleteProvisionedConcurrencyConfig(context.Context, *lambda.DeleteProvisionedConcurrencyConfigInput, ...func(*lambda.Options)) (*lambda.DeleteProvisionedConcurrencyConfigOutput, error)
	ListProvisionedConcurrencyConfigs(context.Context, *lambda.ListProvisionedConcurrencyConfigsInput, ...func(*lambda.Options)) (*lambda.ListProvisionedConcurrencyConfigsOutput, error)
}

// Provisioned adapts the Lambda client to shift.Capacities.
type Provisioned struct {
	API      CapacityAPI
	Endpoint string // for error messages; "" means AWS's default
}

var _ shift.Capacities = (*Provisioned)(nil)

func (p *Provisioned) GetCapacity(ctx context.Context, function, qualifier string) (shift.Capacity, error) {
	out, err := p.API.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(function), Qualifier: aws.String(qualifier)})
	if err != nil {
		return shift.Capacity{}, p.wrap("GetProvisionedConcurrencyConfig", err)
	}
	return capacityFrom(function, qualifier, capacityFields{out.RequestedProvisionedConcurrentExecutions, out.AllocatedProvisionedConcurrentExecutions,
		out.AvailableProvisionedConcurrentExecutions, out.Status, out.StatusReason, out.LastModified}), nil
}

func (p *Provisioned) PutCapacity(ctx context.Context, function, qualifier string, executions int) (shift.Capacity, error) {
	out, err := p.API.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(function), Qualifier: aws.String(qualifier), ProvisionedConcurrentExecutions: aws.Int32(int32(executions)),
	})
	if err != nil {
		return shift.Capacity{}, p.wrap("PutProvisionedConcurrencyConfig", err)
	}
	return capacityFrom(function, qualifier, capacityFields{out.RequestedProvisionedConcurrentExecutions, out.AllocatedProvisionedConcurrentExecutions,
		out.AvailableProvisionedConcurrentExecutions, out.Status, out.StatusReason, out.LastModified}), nil
}

// DeleteCapacity treats a configuration already gone as deleted, as terraform-provider-aws
// does (resourceProvisionedConcurrencyConfigDelete).
func (p *Provisioned) DeleteCapacity(ctx context.Context, function, qualifier string) error {
	_, err := p.API.DeleteProvisionedConcurrencyConfig(ctx, &lambda.DeleteProvisionedConcurrencyConfigInput{FunctionName: aws.String(function), Qualifier: aws.String(qualifier)})
	if err == nil {
		return nil
	}
	if err := p.wrap("DeleteProvisionedConcurrencyConfig", err); !errors.Is(err, shift.ErrNoCapacity) {
		return err
	}
	return nil
}

func (p *Provisioned) ListCapacities(ctx context.Context, function string) ([]shift.Capacity, error) {
	var out []shift.Capacity
	pages := lambda.NewListProvisionedConcurrencyConfigsPaginator(p.API, &lambda.ListProvisionedConcurrencyConfigsInput{FunctionName: aws.String(function)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, p.wrap("ListProvisionedConcurrencyConfigs", err)
		}
		for _, c := range page.ProvisionedConcurrencyConfigs {
			out = append(out, capacityFrom(function, qualifier(aws.ToString(c.FunctionArn)), capacityFields{c.RequestedProvisionedConcurrentExecutions,
				c.AllocatedProvisionedConcurrentExecutions, c.AvailableProvisionedConcurrentExecutions, c.Status, c.StatusReason, c.LastModified}))
		}
	}
	return out, nil
}

// capacityFields are the parts of a configuration a shift.Capacity holds; the SDK has
// three types for them (Get, Put, list items).
type capacityFields struct {
	requested, allocated, available *int32
	status                          types.ProvisionedConcurrencyStatusEnum
	reason, lastModified            *string
}

func capacityFrom(function, qualifier string, f capacityFields) shift.Capacity {
	return shift.Capacity{
		Function: function, Qualifier: qualifier,
		Requested: int(aws.ToInt32(f.requested)), Allocated: int(aws.ToInt32(f.allocated)), Available: int(aws.ToInt32(f.available)),
		Status: shift.CapacityStatus(f.status), StatusReason: aws.ToString(f.reason), LastModified: aws.ToString(f.lastModified),
	}
}

// wrap maps Lambda's provisioned-concurrency answers to shift's sentinels, AWS's words
// kept, and everything else as wrapErr does. Sources: the API reference's errors for
// each operation; the messages in templates/guides/aws-behaviours.md.tmpl.
func (p *Provisioned) wrap(op string, err error) error {
	var (
		none     *types.ProvisionedConcurrencyConfigNotFoundException
		invalid  *types.InvalidParameterValueException
		conflict *types.ResourceConflictException
	)
	switch {
	case errors.As(err, &none):
		return fmt.Errorf("Lambda %s: %w (ProvisionedConcurrencyConfigNotFoundException: %s)", op, shift.ErrNoCapacity, none.ErrorMessage())
	case errors.As(err, &invalid) && strings.Contains(invalid.ErrorMessage(), "Alias with weights"):
		return fmt.Errorf("Lambda %s: %w: %w (InvalidParameterValueException: %s)", op, shift.ErrCapacityOnWeightedAlias, shift.ErrInvalidParameter, invalid.ErrorMessage())
	case errors.As(err, &invalid) && strings.Contains(invalid.ErrorMessage(), "UnreservedConcurrentExecution"):
		return fmt.Errorf("Lambda %s: %w: %w (InvalidParameterValueException: %s)", op, shift.ErrAccountConcurrency, shift.ErrInvalidParameter, invalid.ErrorMessage())
	case errors.As(err, &conflict) && strings.Contains(conflict.ErrorMessage(), "Provision"):
		return fmt.Errorf("Lambda %s: %w (ResourceConflictException: %s)", op, shift.ErrCapacityTaken, conflict.ErrorMessage())
	}
	return wrapErr("Lambda", op, p.Endpoint, err)
}
