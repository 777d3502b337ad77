package awsapi

import (
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// TestMain starts a local moto server when TF_ACC or SAFELAMBDA_MOTO is set, for the
// adapter tests that check what moto answers.
func TestMain(m *testing.M) { acctest.Main(m) }
