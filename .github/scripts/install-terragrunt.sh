#!/usr/bin/env bash
# Installs a pinned Terragrunt release after checking it against the release's SHA256SUMS.
# There is no official setup action for Terragrunt, so this is the small, verifiable equivalent.
#
# Usage: install-terragrunt.sh [VERSION]   (default $TERRAGRUNT_VERSION, else the pin below)
# Env:   INSTALL_DIR (default /usr/local/bin; uses sudo when it is not writable)
set -euo pipefail

version=${1:-${TERRAGRUNT_VERSION:-1.1.1}}
version=${version#v}
install_dir=${INSTALL_DIR:-/usr/local/bin}

case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *)
    echo "install-terragrunt: unsupported architecture $(uname -m)" >&2
    exit 1
    ;;
esac
asset="terragrunt_linux_${arch}"
base="https://github.com/gruntwork-io/terragrunt/releases/download/v${version}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fetch() { curl --fail --silent --show-error --location --retry 5 --retry-all-errors --output "$2" "$1"; }
fetch "$base/$asset" "$work/$asset"
fetch "$base/SHA256SUMS" "$work/SHA256SUMS"

expected=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
actual=$(sha256sum "$work/$asset" | cut -d' ' -f1)
if [[ -z $expected || $expected != "$actual" ]]; then
  echo "install-terragrunt: checksum mismatch for $asset v$version (expected '${expected}', got $actual)" >&2
  exit 1
fi

chmod 0755 "$work/$asset"
if [[ -w $install_dir ]]; then
  mv "$work/$asset" "$install_dir/terragrunt"
else
  sudo mv "$work/$asset" "$install_dir/terragrunt"
fi
echo "install-terragrunt: $("$install_dir/terragrunt" --version) (sha256 $actual)"
