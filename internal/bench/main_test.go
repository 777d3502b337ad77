package bench

import (
	"os"
	"testing"

	"github.com/safelambda/terraform-provider-safelambda/internal/acctest"
)

// envBench switches the benchmarks on; without it the package's tests skip and no moto
// server is started, whatever TF_ACC says.
const envBench = "SAFELAMBDA_BENCH"

// envOut is where the benchmark writes its report (Markdown); scripts/bench.sh sets it.
const envOut = "SAFELAMBDA_BENCH_OUT"

func TestMain(m *testing.M) {
	if os.Getenv(envBench) != "1" {
		os.Exit(m.Run())
	}
	// acctest.Main starts moto_server on a free loopback port (SAFELAMBDA_MOTO=1) and
	// stops it with its whole process group when the run ends.
	os.Setenv("SAFELAMBDA_MOTO", "1")
	acctest.Main(m)
}

func requireBench(t *testing.T) {
	t.Helper()
	if os.Getenv(envBench) != "1" {
		t.Skipf("benchmarks run with %s=1 (make bench)", envBench)
	}
	acctest.PreCheck(t)
}
