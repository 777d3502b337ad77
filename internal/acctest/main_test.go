package acctest

import "testing"

func TestMain(m *testing.M) { Main(m) }

// requireMoto is PreCheck plus a skip on real AWS, for tests of moto-only behaviour.
func requireMoto(t *testing.T) {
	t.Helper()
	if RealAWS() {
		t.Skip("tests the moto harness itself")
	}
	PreCheck(t)
}
