#!/usr/bin/env bash
# make testacc-matrix: a named subset of the acceptance suite under each CLI users run —
# the terraform on PATH, Terraform 1.14.9 and OpenTofu 1.11.7 (built by build-clis.sh
# into its cache folder; a warm cache makes that step instant). The subset covers a
# release, a rollback, an interruption, import (of a split alias too), identity, query and the rollback action;
# tests of features a CLI lacks (identity import, query, actions) skip with one line.
#
#   scripts/testacc-matrix.sh                   all three CLIs
#   MATRIX_CLIS="tofu" scripts/testacc-matrix.sh one of: path terraform tofu
#   MATRIX_RUN='TestAccDeployment_canary$' ...  another subset (go test -run)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/preflight.sh

MATRIX_CLIS=${MATRIX_CLIS:-path terraform tofu}
MATRIX_RUN=${MATRIX_RUN:-'^(TestAccDeployment_canary|TestAccDeployment_alarmTripsDuringHold|TestInterrupt_sigintDuringHold|TestAccDeployment_driftImportDestroy|TestAccDeployment_identity|TestAccDeployment_identityOtherRegionRefused|TestAccDeploymentList_query|TestAccDeploymentList_generatedConfigPlansEmpty|TestAccRollbackAction_invokedByTheCLI|TestAccRollbackAction_missingVersion|TestAccRollbackAction_returnsToWhatServedBefore|TestAccDeploymentList_generatedConfigOverASplitAlias|TestAccDeployment_importSplitByIdentity)$'}
MATRIX_PKGS=${MATRIX_PKGS:-./internal/provider/ ./internal/reliability/}

# The image may point TF_CLI_CONFIG_FILE at a file that does not exist; every CLI
# warns about that on each command. The tests write their own where they need one.
if [ -z "${TF_CLI_CONFIG_FILE:-}" ] || [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  TF_CLI_CONFIG_FILE=$(mktemp -t safelambda-matrix-XXXXXX.tfrc)
  trap 'rm -f "$TF_CLI_CONFIG_FILE"' EXIT
  export TF_CLI_CONFIG_FILE
fi

logdir=$(mktemp -d -t safelambda-matrix-XXXXXX)
summary=()
failed=0
for which in $MATRIX_CLIS; do
  env=()
  case "$which" in
    path) bin=$(command -v terraform) ;;
    terraform) bin=$(./scripts/build-clis.sh terraform | tail -1) ;;
    tofu)
      bin=$(./scripts/build-clis.sh tofu | tail -1)
      # OpenTofu resolves "safelambda" on its own registry: the test provider must be
      # served under that host.
      env=(TF_ACC_PROVIDER_HOST=registry.opentofu.org TF_ACC_PROVIDER_NAMESPACE=hashicorp)
      ;;
    *) echo "unknown CLI '$which' in MATRIX_CLIS (path, terraform, tofu)" >&2; exit 2 ;;
  esac
  version=$("$bin" version | sed -n 1p) # not head: under pipefail its early close can fail the pipe (SIGPIPE)
  log="$logdir/$which.log"
  echo "== $version ($bin)"
  start=$(date +%s)
  rc=0
  env "${env[@]}" TF_ACC=1 TF_ACC_TERRAFORM_PATH="$bin" \
    go test -count=1 -timeout 20m -v -run "$MATRIX_RUN" $MATRIX_PKGS >"$log" 2>&1 || rc=$?
  secs=$(( $(date +%s) - start ))
  pass=$(grep -c -- '^--- PASS' "$log" || true)
  skip=$(grep -c -- '^--- SKIP' "$log" || true)
  fail=$(grep -c -- '^--- FAIL' "$log" || true)
  # One line per test; a skip shows its reason (go test -v prints it just before).
  awk '/^    [^ ]*_test\.go:[0-9]+: / { why = $0; sub(/^ +[^ ]+: /, "", why) }
       /^--- (PASS|FAIL)/ { print "   " $0 }
       /^--- SKIP/ { print "   " $0 ": " why }' "$log"
  if [ "$rc" -ne 0 ]; then
    failed=1
    echo "   go test exited $rc; the log follows" >&2
    grep -v -E '^=== (RUN|PAUSE|CONT)' "$log" | tail -80 >&2
  fi
  summary+=("$(printf '%-22s %3d passed %3d skipped %3d failed %5ss' "$version" "$pass" "$skip" "$fail" "$secs")")
done

echo
echo "== matrix"
printf '  %s\n' "${summary[@]}"
echo "  logs: $logdir"
exit "$failed"
