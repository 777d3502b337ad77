package awsapi

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/safelambda/terraform-provider-safelambda/internal/shift"
)

// wrapErr turns an SDK error into one that says which service and call failed and, for
// the common cases, what to do; it wraps shift's sentinel errors so the engine can tell
// not-found, conflict and throttling apart.
func wrapErr(service, op, endpoint string, err error) error {
	if err == nil {
		return nil
	}
	var (
		notFound    *lambdatypes.ResourceNotFoundException
		precond     *lambdatypes.PreconditionFailedException
		tooMany     *lambdatypes.TooManyRequestsException
		netErr      *net.OpError
		dnsErr      *net.DNSError
		maxAttempts *retry.MaxAttemptsError
		apiErr      smithy.APIError
	)
	switch {
	case errors.As(err, &notFound):
		return fmt.Errorf("%s %s: %w: %s", service, op, shift.ErrNotFound, notFound.ErrorMessage())
	case errors.As(err, &apiErr) && (apiErr.ErrorCode() == "ResourceNotFound" || apiErr.ErrorCode() == "ResourceNotFoundException"):
		return fmt.Errorf("%s %s: %w: %s", service, op, shift.ErrNotFound, apiErr.ErrorMessage())
	case errors.As(err, &precond):
		return fmt.Errorf("%s %s: %w: %s", service, op, shift.ErrConflict, precond.ErrorMessage())
	case errors.As(err, &tooMany) || (errors.As(err, &apiErr) && isThrottle(apiErr.ErrorCode())):
		return fmt.Errorf("%s %s: %w by AWS even after retries (raise max_retries, or lower -parallelism): %v", service, op, shift.ErrThrottled, err)
	case errors.As(err, &netErr) || errors.As(err, &dnsErr):
		var attempts string
		if errors.As(err, &maxAttempts) {
			attempts = fmt.Sprintf(" after %d attempts", maxAttempts.Attempt)
		}
		// The failing call may be a credential provider's (STS AssumeRole), not ours.
		if inner := innermostOperation(err); inner != nil && inner.ServiceID != service {
			return fmt.Errorf("%s %s: getting credentials failed: cannot reach AWS %s (%s) to %s%s: %v. Check the assume_role block, the endpoints block's sts, AWS_ENDPOINT_URL and the network",
				service, op, inner.ServiceID, inner.OperationName, "authenticate", attempts, rootCause(err))
		}
		where := endpoint
		if where == "" {
			where = "its default endpoint"
		}
		return fmt.Errorf("%s %s: cannot reach AWS %s at %s%s: %v. Check the provider's endpoints block, AWS_ENDPOINT_URL, the region and the network", service, op, service, where, attempts, rootCause(err))
	}
	return fmt.Errorf("%s %s: %w", service, op, err)
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
	switch code {
	case "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
		"TooManyRequestsException", "RequestLimitExceeded", "SlowDown":
		return true
	}
	return false
}

func rootCause(err error) string {
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return strings.TrimSpace(netErr.Error())
	}
	return err.Error()
}
