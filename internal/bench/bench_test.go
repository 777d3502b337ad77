package bench

import (
	"os"
	"testing"
	"time"
)

func getenv(k string) string { return os.Getenv(k) }

// TestBench runs every measurement of issue 7 in one go against one moto, in order, and
// writes the table (and the details behind it) to $SAFELAMBDA_BENCH_OUT.
func TestBench(t *testing.T) {
	requireBench(t)
	start := time.Now()
	parts := []struct {
		name string
		fn   func(*testing.T)
	}{
		{"overhead", benchOverhead},
		{"rollback", benchRollback},
		{"economy", benchEconomy},
		{"parallel", benchParallel},
		{"refresh", benchRefresh},
		{"group", benchGroup},
	}
	for _, p := range parts {
		if !only(p.name) {
			continue
		}
		began := time.Now()
		t.Run(p.name, p.fn)
		t.Logf("%s took %s", p.name, time.Since(began).Round(time.Second))
	}
	results.detail("Benchmark run time: %s.", time.Since(start).Round(time.Second))
	if err := results.write(); err != nil {
		t.Fatalf("write the report: %v", err)
	}
}
