// Package bench holds the benchmarks behind `make bench` (issue 7): release overhead,
// rollback latency, API economy, parallel releases and refresh cost, measured in one run
// against a local moto. They are tests guarded by SAFELAMBDA_BENCH=1, so `go test ./...`
// skips them; scripts/bench.sh runs them and writes BENCHMARKS.md.
package bench
