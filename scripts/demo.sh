#!/usr/bin/env bash
# make demo: a release story against a local AWS (moto), with the real Terraform CLI.
#
#   v1  first release: the alias is created on version 1
#   v2  a 10% canary, watched live, promoted to 100%
#   v3  a canary whose error alarm fires mid-hold: rolled back by itself
#
# Everything it makes lives in .demo/ (provider build, moto log, Terraform state); the
# moto server it starts is stopped on exit, whatever happens. Exit 0 means the story
# went as told.
#
# TF picks the CLI: TF=tofu make demo runs the same story with OpenTofu (a name on PATH
# or a path). OpenTofu looks providers up on registry.opentofu.org, so the provider and
# the hashicorp/aws mirror are offered under both registry hosts.
set -euo pipefail
TF=${TF:-terraform}
here=$(cd "$(dirname "$0")/.." && pwd)
demo="$here/.demo"
work="$demo/work"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf '\ndemo failed: %s\n' "$*" >&2; exit 1; }

if [ "$TF" = tofu ] && ! command -v tofu >/dev/null; then
  # the OpenTofu that make clis (scripts/build-clis.sh) builds, when none is installed
  cached=$(ls -d "${CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/safelambda-clis}"/tofu-*/tofu 2>/dev/null | tail -1 || true)
  [ -n "$cached" ] && TF=$cached
fi
for tool in go "$TF" moto_server python3; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH (see README.md, Prerequisites)"
done
python3 -c 'import boto3' 2>/dev/null || die "python3 needs boto3 (pip install boto3)"

rm -rf "$demo"
plugins="$demo/plugins"
demo_version=0.0.1
os_arch="$(go env GOOS)_$(go env GOARCH)"
hosts="registry.terraform.io registry.opentofu.org"
mkdir -p "$work/build"

moto_pid=""
watch_pid=""
cleanup() {
  [ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null || true
  if [ -n "$moto_pid" ]; then
    kill -- -"$moto_pid" 2>/dev/null || kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "Building the provider"
binary="terraform-provider-safelambda_v$demo_version"
(cd "$here" && go build -ldflags "-X main.version=$demo_version" -o "$demo/$binary" .)
for host in $hosts; do
  mkdir -p "$plugins/$host/safelambda/safelambda/$demo_version/$os_arch"
  ln "$demo/$binary" "$plugins/$host/safelambda/safelambda/$demo_version/$os_arch/$binary"
done
echo "built $demo/$binary (offered as safelambda/safelambda $demo_version on $(echo $hosts | sed 's/ / and /'))"

bold "Starting a local AWS (moto) on loopback"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid moto_server -H 127.0.0.1 -p "$port" >"$demo/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 100); do
  curl -sf "$endpoint/moto-api/config" >/dev/null 2>&1 && break
  kill -0 "$moto_pid" 2>/dev/null || die "moto_server exited; see $demo/moto.log"
  sleep 0.1
done
curl -sf "$endpoint/moto-api/config" >/dev/null || die "moto_server did not answer on $endpoint"
# Docker-free Lambda: invocations answer without running containers.
curl -sf -X POST "$endpoint/moto-api/config" -d '{"lambda":{"use_docker":false}}' >/dev/null
echo "moto_server listening on $endpoint (pid $moto_pid)"

export AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# Our own CLI config: the provider from this build (a local filesystem mirror), and
# hashicorp/aws from a filesystem mirror when the machine has one (offline), else from
# the registry.
mirror=""
for d in "${SAFELAMBDA_TF_MIRROR:-}" /opt/tf-plugins "$HOME/.terraform.d/plugins" /usr/share/terraform/plugins; do
  if [ -n "$d" ] && [ -d "$d/registry.terraform.io/hashicorp/aws" ]; then mirror=$d; break; fi
done
# A mirror keyed to registry.terraform.io only is offered under registry.opentofu.org
# too, linked at the platform directories (the only depth both CLIs follow symlinks at).
if [ -n "$mirror" ] && [ ! -d "$mirror/registry.opentofu.org/hashicorp" ]; then
  both="$demo/aws-mirror"
  for platform in "$mirror"/registry.terraform.io/hashicorp/*/*/*; do
    rel=${platform#"$mirror"/registry.terraform.io/}
    for host in $hosts; do
      mkdir -p "$both/$host/$(dirname "$rel")"
      ln -s "$platform" "$both/$host/$rel"
    done
  done
  mirror=$both
fi
export TF_CLI_CONFIG_FILE="$demo/terraform.rc"
{
  echo 'provider_installation {'
  echo "  filesystem_mirror { path = \"$plugins\"  include = [\"registry.terraform.io/safelambda/*\", \"registry.opentofu.org/safelambda/*\"] }"
  if [ -n "$mirror" ]; then
    echo "  filesystem_mirror { path = \"$mirror\"  include = [\"registry.terraform.io/hashicorp/*\", \"registry.opentofu.org/hashicorp/*\"] }"
    echo '  direct { exclude = ["registry.terraform.io/hashicorp/*", "registry.opentofu.org/hashicorp/*", "registry.terraform.io/safelambda/*", "registry.opentofu.org/safelambda/*"] }'
  else
    echo '  direct { exclude = ["registry.terraform.io/safelambda/*", "registry.opentofu.org/safelambda/*"] }'
  fi
  echo '}'
} >"$TF_CLI_CONFIG_FILE"
export TF_IN_AUTOMATION=1 TF_DATA_DIR="$work/.terraform" TF_PLUGIN_CACHE_DIR=""
[ -n "$mirror" ] && echo "hashicorp/aws from the filesystem mirror $mirror" || echo "hashicorp/aws from the registry"

cp -R "$here/examples/complete/." "$work/"
(cd "$work" && for f in src/app.py hooks/pre_traffic.py hooks/post_traffic.py; do
  python3 -m zipfile -c "build/$(basename "$f" .py).zip" "$f"
done)

tf() { "$TF" -chdir="$work" "$@"; }
vars=(-var canary_interval=6s -var alarm_poll_interval=1s)

cli=$("$TF" version 2>/dev/null | sed -n 1p)
tfname=$(basename "$TF")
bold "$tfname init ($cli)"
tf init -input=false -no-color >"$demo/init.log" 2>&1 || { cat "$demo/init.log"; die "$tfname init failed"; }
echo "ok (log: $demo/init.log)"

# apply RELEASE: terraform apply, showing the release's own lines.
apply() {
  local release=$1 log="$demo/apply-$1.log" rc=0
  tf apply -input=false -auto-approve -no-color "${vars[@]}" -var "release=$release" >"$log" 2>&1 || rc=$?
  grep -E '^safelambda_deployment|^Apply complete|^Plan:' "$log" | sed 's/^/  /' || true
  return $rc
}

watch() { python3 "$here/scripts/demo_watch.py" "$@" & watch_pid=$!; }
stop_watch() { [ -n "$watch_pid" ] && { kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null || true; watch_pid=""; }; }
out() { tf output -raw "$1"; }
routing() { python3 "$here/scripts/demo_watch.py" --once orders-api live; }

bold "Release v1: the first release creates the alias"
apply v1 || { cat "$demo/apply-v1.log"; die "release v1 failed"; }
echo "  plan: $(out schedule)"
[ "$(out live_version)" = 1 ] || die "after v1 the alias should serve version 1"
echo "  live alias: $(routing)"

bold "Release v2: 10% canary for 6s, watching the alias as traffic shifts"
watch orders-api live
apply v2 || { stop_watch; cat "$demo/apply-v2.log"; die "release v2 failed"; }
stop_watch
[ "$(out live_version)" = 2 ] || die "after v2 the alias should serve version 2"
grep -q 'canary seen' "$demo/watch.flag" 2>/dev/null || die "the watcher never saw the canary split"
rm -f "$demo/watch.flag"
echo "  live alias: $(routing)"

bold "Release v3: the error alarm fires mid-canary"
watch orders-api live --trip orders-api-live-errors
if apply v3; then stop_watch; die "release v3 should have been rolled back"; fi
stop_watch
grep -q 'canary seen' "$demo/watch.flag" 2>/dev/null || die "the watcher never saw the v3 canary"
echo
echo "  $tfname's error, as the user sees it:"
sed -n '/^Error: /,$p' "$demo/apply-v3.log" | sed 's/^/  | /'
[ "$(routing)" = "100% → version 2" ] || die "after the rollback the alias should serve version 2 alone, serves: $(routing)"
echo
echo "  live alias: $(routing)"
tf plan -input=false -no-color -detailed-exitcode "${vars[@]}" -var release=v3 >"$demo/plan-after.log" 2>&1 && plan_rc=0 || plan_rc=$?
[ "$plan_rc" = 2 ] || { cat "$demo/plan-after.log"; die "the next plan should show v3 as pending (exit 2), got $plan_rc"; }
echo "  next $tfname plan: v3 still pending ($(grep "^Plan:" "$demo/plan-after.log")), ready to retry once fixed"

bold "Summary"
cat <<EOS
  v1  created alias live on version 1
  v2  10% canary for 6s, then 100%: alias live serves version 2
  v3  alarm orders-api-live-errors fired at 10%: rolled back to version 2, no weights
  everything ran in $demo with $cli; moto is being stopped now.
EOS
