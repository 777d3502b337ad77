#!/usr/bin/env bash
# make bench: measures release overhead, rollback latency, API economy, parallel releases
# and refresh cost (issue 7) in one run against a local moto_server, which the benchmark
# starts on a free loopback port and stops itself. Prints the table and writes
# BENCHMARKS.md. Benchmarks measure; they never fail on a missed target.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/preflight.sh

out=$(mktemp -t safelambda-bench-XXXXXX.md)
log=$(mktemp -t safelambda-bench-XXXXXX.log)
trap 'rm -f "$out" "$log"' EXIT

started=$(date -u +"%Y-%m-%d %H:%M UTC")
t0=$(date +%s)
# Run only this package's TestBench; -v streams progress. A failure here is a broken
# benchmark (a setup step or an unexpected outcome), not a missed target.
if ! SAFELAMBDA_BENCH=1 SAFELAMBDA_BENCH_OUT="$out" \
  go test -count=1 -run '^TestBench$' -v -timeout 20m ./internal/bench/ 2>&1 | tee "$log"; then
  echo "bench: the benchmark run failed; see the output above" >&2
  exit 1
fi
elapsed=$(( $(date +%s) - t0 ))

cpu_model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
moto_version=$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo unknown)

{
  echo "# Benchmarks"
  echo
  echo "Measured by \`make bench\` (\`scripts/bench.sh\`, tests in \`internal/bench\`), issue 7. One run, one local"
  echo "moto_server on loopback started and stopped by the benchmark. *engine* rows run"
  echo "\`internal/shift\` with the \`internal/awsapi\` clients against moto through a counting proxy"
  echo "(\`acctest.Proxy\`); *terraform* rows run the real Terraform CLI with the provider built from"
  echo "this tree (dev_overrides), its endpoints pointed at the same proxy. Benchmarks measure; they do"
  echo "not gate CI."
  echo
  echo "- command: \`make bench\`, i.e. \`SAFELAMBDA_BENCH=1 go test -count=1 -run '^TestBench$' -v -timeout 20m ./internal/bench/\`"
  echo "- date: ${started}; run time ${elapsed} s"
  echo "- go: \`$(go version)\`"
  echo "- terraform: \`$(terraform version 2>/dev/null | sed -n 1p)\`, hashicorp/aws 5.100.0 from the filesystem mirror"
  echo "- moto: ${moto_version}"
  echo "- CPU: $(nproc) × ${cpu_model:-unknown}"
  echo
  echo "Steps are the weighted traffic steps (holds) before the promotion to 100 %: a canary has 1,"
  echo "linear 10 % has 9 (10, 20, … 90 %, then 100 %)."
  echo
  cat "$out"
} > BENCHMARKS.md

echo
echo "=== make bench: ${elapsed} s ==="
sed -n '/^| measure/,/^$/p' BENCHMARKS.md
echo "Written to BENCHMARKS.md"
