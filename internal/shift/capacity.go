package shift

import (
	"context"
	"errors"
)

// This file declares what the engine knows of provisioned concurrency (issue 20): plain
// values and the interface internal/awsapi satisfies. No release behaviour uses it yet.
// What Lambda does with provisioned concurrency, with sources, is in the guide
// templates/guides/aws-behaviours.md.tmpl, "Provisioned concurrency".

// CapacityStatus is where the allocation of a provisioned-concurrency configuration
// stands, in Lambda's words.
type CapacityStatus string

const (
	// CapacityInProgress: Lambda is allocating (after a Put, an alias moved to another
	// version, new weights on the alias).
	CapacityInProgress CapacityStatus = "IN_PROGRESS"
	// CapacityReady: everything requested is allocated.
	CapacityReady CapacityStatus = "READY"
	// CapacityFailed: the allocation failed; Capacity.StatusReason says why (e.g.
	// FUNCTION_ERROR_INIT_FAILURE when the version cannot initialise).
	CapacityFailed CapacityStatus = "FAILED"
)

// Capacity is one provisioned-concurrency configuration, on an alias or a published
// version, as Lambda reports it (GetProvisionedConcurrencyConfig).
type Capacity struct {
	Function  string
	Qualifier string // the alias or version the configuration is on
	// Requested is what was asked for; Allocated what Lambda has set up, which on an alias
	// with weights is split between its two versions and fluctuates while the weights
	// move; Available what is free to serve now.
	Requested, Allocated, Available int
	Status                          CapacityStatus
	StatusReason                    string // why a FAILED allocation failed
	LastModified                    string // ISO 8601, as Lambda gives it
}

// Capacities reads and writes provisioned-concurrency configurations.
type Capacities interface {
	// GetCapacity returns the configuration on function:qualifier, or an error wrapping
	// ErrNoCapacity when there is none (ErrNotFound when the alias or version is missing).
	GetCapacity(ctx context.Context, function, qualifier string) (Capacity, error)
	// PutCapacity asks for executions on function:qualifier; the answer is usually
	// IN_PROGRESS. Refusals wrap ErrCapacityOnWeightedAlias, ErrCapacityTaken,
	// ErrAccountConcurrency or ErrInvalidParameter.
	PutCapacity(ctx context.Context, function, qualifier string, executions int) (Capacity, error)
	// DeleteCapacity removes the configuration; removing one that is not there succeeds.
	DeleteCapacity(ctx context.Context, function, qualifier string) error
	// ListCapacities returns every configuration of the function.
	ListCapacities(ctx context.Context, function string) ([]Capacity, error)
}

// ErrNoCapacity is returned (wrapped) by GetCapacity when the alias or version has no
// provisioned concurrency (Lambda: 404 ProvisionedConcurrencyConfigNotFoundException).
// A configuration on an alias is not found on the version the alias points to.
var ErrNoCapacity = errors.New("no provisioned concurrency")

// ErrCapacityOnWeightedAlias is returned (wrapped, with ErrInvalidParameter) when Lambda
// refuses to change provisioned concurrency on an alias that has routing weights (400
// InvalidParameterValueException "Alias with weights can not be used with Provisioned
// Concurrency"): wait for the weights to clear, or clear them.
var ErrCapacityOnWeightedAlias = errors.New("alias has routing weights")

// ErrCapacityTaken is returned (wrapped) when the version already has provisioned
// concurrency through another configuration: its own, or an alias pointing to it (409
// ResourceConflictException). A version has at most one.
var ErrCapacityTaken = errors.New("version already provisioned")

// ErrAccountConcurrency is returned (wrapped, with ErrInvalidParameter) when the account
// has not enough unreserved concurrency left for the request (400
// InvalidParameterValueException "… decreases account's UnreservedConcurrentExecution
// below its minimum value …").
var ErrAccountConcurrency = errors.New("not enough unreserved account concurrency")
