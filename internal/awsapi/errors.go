package awsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// wrapErr turns an SDK error into one that says which service and call failed and, for
// the common cases, what to do. It wraps shift's sentinel errors so the engine can tell
// AWS's answers apart, and keeps AWS's own words (error code and message).
//
// Lambda's error shapes, from the Lambda API reference (each operation's "Errors") and
// terraform-provider-aws internal/service/lambda:
//   - 404 ResourceNotFoundException: no such function, version or alias;
//   - 412 PreconditionFailedException: the RevisionId no longer matches;
//   - 409 ResourceConflictException "Alias already exists: <arn>" (CreateAlias), or
//     "The operation cannot be performed at this time. An update is in progress for
//     resource: <arn>" while LastUpdateStatus is InProgress (PublishVersion, UpdateAlias);
//   - 400 InvalidParameterValueException: a CodeSha256 that differs from $LATEST's, or
//     routing weights Lambda cannot apply (different role or DLQ, $LATEST);
//   - 429 TooManyRequestsException: throttled; the request did not run.
func wrapErr(service, op, endpoint string, err error) error {
	if err == nil {
		return nil
	}
	var (
		notFound    *lambdatypes.ResourceNotFoundException
		precond     *lambdatypes.PreconditionFailedException
		conflict    *lambdatypes.ResourceConflictException
		invalid     *lambdatypes.InvalidParameterValueException
		tooMany     *lambdatypes.TooManyRequestsException
		maxAttempts *retry.MaxAttemptsError
		apiErr      smithy.APIError
		respErr     *smithyhttp.ResponseError
	)
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("%s %s: %w: %s", service, op, shift.ErrNotFound, notFound.ErrorMessage())
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ResourceNotFound" || apiErr.ErrorCode() == "ResourceNotFoundException"):
		return fmt.Errorf("%s %s: %w: %s", service, op, shift.ErrNotFound, apiErr.ErrorMessage())
	case errors.As(err, &precond):
		return fmt.Errorf("%s %s: %w (PreconditionFailedException: %s)", service, op, shift.ErrConflict, precond.ErrorMessage())
	case errors.As(err, &conflict):
		msg := conflict.ErrorMessage()
		switch {
		case strings.Contains(msg, "already exists"):
			return fmt.Errorf("%s %s: %w (ResourceConflictException: %s)", service, op, shift.ErrAlreadyExists, msg)
		case strings.Contains(msg, "update is in progress"), strings.Contains(msg, "currently in the following state"):
			return fmt.Errorf("%s %s: %w (ResourceConflictException: %s)", service, op, shift.ErrUpdateInProgress, msg)
		}
		return fmt.Errorf("%s %s: ResourceConflictException: %s", service, op, msg)
	case errors.As(err, &invalid):
		return fmt.Errorf("%s %s: %w (InvalidParameterValueException: %s)", service, op, shift.ErrInvalidParameter, invalid.ErrorMessage())
	case errors.As(err, &tooMany) || (errors.As(err, &apiErr) && isThrottle(apiErr.ErrorCode())):
		return fmt.Errorf("%s %s: %w by AWS even after retries (raise max_retries, or lower -parallelism): %v", service, op, shift.ErrThrottled, err)
	}

	if errors.As(err, &respErr) && respErr.HTTPStatusCode() == 404 && !errors.As(err, &apiErr) {
		// A 404 that is no AWS error (moto answers an operation it lacks, such as
		// ListProvisionedConcurrencyConfigs, with an HTML page): the endpoint does not
		// implement the call. AWS answers a missing resource with ResourceNotFoundException.
		return fmt.Errorf("%s %s: %w: the endpoint answered HTTP 404 without an AWS error, as an emulator that lacks this operation does", service, op, errors.ErrUnsupported)
	}
	var attempts string
	if errors.As(err, &maxAttempts) {
		attempts = fmt.Sprintf(" after %d attempts", maxAttempts.Attempt)
	}
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() >= 500 {
		// AWS may have done what was asked before failing to answer.
		return fmt.Errorf("%s %s: %w: AWS answered HTTP %d%s: %w", service, op, shift.ErrOutcomeUnknown, respErr.HTTPStatusCode(), attempts, err)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || !isNetworkError(err) {
		return fmt.Errorf("%s %s: %w", service, op, err)
	}
	// The failing call may be a credential provider's (STS AssumeRole), not ours.
	if inner := innermostOperation(err); inner != nil && inner.ServiceID != service {
		return fmt.Errorf("%s %s: getting credentials failed: cannot reach AWS %s (%s) to authenticate%s: %v. Check the assume_role block, the endpoints block's sts, AWS_ENDPOINT_URL and the network",
			service, op, inner.ServiceID, inner.OperationName, attempts, rootCause(err))
	}
	where := endpoint
	if where == "" {
		where = "its default endpoint"
	}
	if neverSent(err) {
		return fmt.Errorf("%s %s: cannot reach AWS %s at %s%s: %v. Check the provider's endpoints block, AWS_ENDPOINT_URL, the region and the network", service, op, service, where, attempts, rootCause(err))
	}
	return fmt.Errorf("%s %s: %w: the answer from AWS %s at %s was lost%s (%v), so the request may have taken effect. Check the provider's endpoints block, AWS_ENDPOINT_URL and the network: %w",
		service, op, shift.ErrOutcomeUnknown, service, where, attempts, rootCause(err), err)
}

// isNetworkError reports whether err is a transport failure rather than an answer.
func isNetworkError(err error) bool {
	var (
		netErr *net.OpError
		dnsErr *net.DNSError
	)
	return errors.As(err, &netErr) || errors.As(err, &dnsErr) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
}

// neverSent reports whether a transport failure happened before the request left: a
// failed name lookup or a refused or failed dial. Anything later (a reset, a timeout
// waiting for the answer) may have reached AWS.
func neverSent(err error) bool {
	var (
		netErr *net.OpError
		dnsErr *net.DNSError
	)
	if errors.As(err, &dnsErr) {
		return true
	}
	return errors.As(err, &netErr) && netErr.Op == "dial"
}

// innermostOperation is the deepest SDK operation in err's chain: a credential
// provider's call nests inside the operation that needed the credentials.
func innermostOperation(err error) *smithy.OperationError {
	var found *smithy.OperationError
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*smithy.OperationError); ok {
			found = op
		}
	}
	return found
}

func isThrottle(code string) bool {
	_, ok := retry.DefaultThrottleErrorCodes[code]
	return ok
}

func rootCause(err error) string {
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return strings.TrimSpace(netErr.Error())
	}
	return err.Error()
}
