// Package iamtest proves that the IAM guide's policy (examples/iam/policy.json) is the
// one the provider needs: it runs releases through the provider, against a moto server
// of its own with IAM enforcement switched on, as a user holding exactly that policy.
//
// moto checks IAM only after the first INITIAL_NO_AUTH_ACTION_COUNT calls, for the whole
// server, so this package cannot share a server with the others.
package iamtest

import (
	"os"
	"strconv"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// bootstrapCalls is how many unauthenticated calls moto allows: exactly the ones that
// create the admin user (CreateUser, PutUserPolicy, CreateAccessKey). Every later call is
// checked against the caller's IAM policies.
const bootstrapCalls = 3

func TestMain(m *testing.M) {
	// moto_server inherits this process's environment. A shared server named by
	// SAFELAMBDA_MOTO_ENDPOINT would not enforce IAM (and enforcing it there would break
	// everyone else), so this package always starts its own.
	os.Unsetenv("SAFELAMBDA_MOTO_ENDPOINT")
	os.Setenv("INITIAL_NO_AUTH_ACTION_COUNT", strconv.Itoa(bootstrapCalls))
	acctest.Main(m)
}
