#!/usr/bin/env bash
# Checks the tools `make test` needs and says how to get each one that is missing.
set -euo pipefail
missing=0
need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "missing: $1 — $2" >&2
    missing=1
  fi
}
need go "install Go 1.25 or newer from https://go.dev/dl/"
need terraform "install Terraform 1.5 or newer (https://developer.hashicorp.com/terraform/install) and put it on PATH"
need moto_server "install moto's server: pip install 'moto[server]==5.2.1'"
if [ "$missing" -ne 0 ]; then
  echo "make test cannot run until the tools above are installed." >&2
  exit 1
fi
