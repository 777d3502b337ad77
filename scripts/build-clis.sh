#!/usr/bin/env bash
# Builds the Terraform and OpenTofu CLIs the acceptance matrix runs under, from Go module
# source (the only way onto an offline machine that reaches the Go module proxy), into a
# cache folder. Idempotent: a CLI already built at the wanted version is left alone, so a
# second run takes well under a second.
#
#   scripts/build-clis.sh            builds both; prints the folder that holds them
#   CLI_CACHE=/some/dir scripts/build-clis.sh
#
# Recipe (measured on a 2-core machine: ~16 minutes with a cold module cache, mostly
# downloads; seconds once built):
#   - `go install` of either module fails on their replace directives, so each module is
#     downloaded, copied somewhere writable and built there;
#   - only exact versions resolve through the proxy;
#   - OpenTofu's module has no checksum-database entry: GONOSUMDB for it;
#   - Terraform's go.mod replaces nine remote-state backends and internal/legacy with
#     folders the module zip does not hold (nested modules), so those backends are dropped
#     from internal/backend/init/init.go and their require/replace lines from go.mod;
#   - version.dev=no, so the binaries report plain versions (1.14.9, not 1.14.9-dev).
set -euo pipefail

TERRAFORM_VERSION=${TERRAFORM_VERSION:-1.14.9}
TOFU_VERSION=${TOFU_VERSION:-1.11.7}
CLI_CACHE=${CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/safelambda-clis}
mkdir -p "$CLI_CACHE"

have() { # have BINARY VERSION: the binary exists and reports that version
  # Read the whole output first: under pipefail, `version | head -1` can fail when the
  # CLI is still writing as head exits (SIGPIPE), which would rebuild a good binary.
  local out
  [ -x "$1" ] && out=$(CHECKPOINT_DISABLE=1 "$1" version 2>/dev/null) || return 1
  [[ "${out%%$'\n'*}" == *" v$2" ]]
}

module_dir() { # module_dir PATH@VERSION: downloads the module, prints its (read-only) folder
  go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'
}

writable_copy() { # writable_copy SRC DEST
  rm -rf "$2"
  mkdir -p "$(dirname "$2")"
  cp -r "$1" "$2"
  chmod -R u+w "$2"
}

build_terraform() {
  local out="$CLI_CACHE/terraform-$TERRAFORM_VERSION/terraform"
  if have "$out" "$TERRAFORM_VERSION"; then echo "$out"; return; fi
  echo "building Terraform $TERRAFORM_VERSION from module source ..." >&2
  local src work="$CLI_CACHE/src/terraform-$TERRAFORM_VERSION"
  src=$(module_dir "github.com/hashicorp/terraform@v$TERRAFORM_VERSION")
  writable_copy "$src" "$work"
  local gone="azure consul cos gcs kubernetes oci oss pg s3"
  local init="$work/internal/backend/init/init.go"
  for b in $gone; do
    # the import line and the map entry of each backend whose folder the zip lacks
    sed -i -E "/internal\/backend\/remote-state\/$b\"/d" "$init"
  done
  sed -i -E '/^[[:space:]]*"(azurerm|consul|cos|gcs|kubernetes|oss|pg|s3|oci)":[[:space:]]+func\(\)/d' "$init"
  sed -i -E '/github.com\/hashicorp\/terraform\/internal\/(backend\/remote-state\/(azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3)|legacy)( |$)/d' "$work/go.mod"
  (cd "$work" && go mod download >/dev/null 2>&1 || true)
  (cd "$work" && CGO_ENABLED=0 go build -mod=mod -trimpath \
    -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$out" .)
  have "$out" "$TERRAFORM_VERSION" || { echo "built $out but it does not report v$TERRAFORM_VERSION" >&2; exit 1; }
  echo "$out"
}

build_tofu() {
  local out="$CLI_CACHE/tofu-$TOFU_VERSION/tofu"
  if have "$out" "$TOFU_VERSION"; then echo "$out"; return; fi
  echo "building OpenTofu $TOFU_VERSION from module source ..." >&2
  local src work="$CLI_CACHE/src/opentofu-$TOFU_VERSION"
  src=$(GONOSUMDB=github.com/opentofu/opentofu module_dir "github.com/opentofu/opentofu@v$TOFU_VERSION")
  writable_copy "$src" "$work"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" -o "$out" ./cmd/tofu)
  have "$out" "$TOFU_VERSION" || { echo "built $out but it does not report v$TOFU_VERSION" >&2; exit 1; }
  echo "$out"
}

case "${1:-all}" in
  terraform) build_terraform ;;
  tofu) build_tofu ;;
  all) build_terraform; build_tofu ;;
  *) echo "usage: $0 [terraform|tofu|all]" >&2; exit 2 ;;
esac
