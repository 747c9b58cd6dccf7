#!/usr/bin/env bash
# Downloads the Amazon RDS global CA bundle into backend/certs/ for the backend image build, and
# checks that it holds PEM certificates before the build bakes it in. The build itself cannot
# download it (and should not: a build must be reproducible from its inputs).
#
# Usage: fetch-rds-ca.sh [OUTPUT_FILE]   (default backend/certs/rds-global-bundle.pem)
set -euo pipefail

url=${RDS_CA_BUNDLE_URL:-https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem}
out=${1:-"$(dirname "${BASH_SOURCE[0]}")/../../backend/certs/rds-global-bundle.pem"}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
curl --fail --silent --show-error --location --retry 5 --retry-all-errors --max-time 60 \
  --proto '=https' --tlsv1.2 --output "$tmp" "$url"

count=$(grep -c -- '-----BEGIN CERTIFICATE-----' "$tmp" || true)
if ((count < 1)); then
  echo "fetch-rds-ca: $url returned no PEM certificates" >&2
  exit 1
fi
mkdir -p "$(dirname "$out")"
mv "$tmp" "$out"
chmod 0644 "$out"
echo "fetch-rds-ca: $count certificates, sha256 $(sha256sum "$out" | cut -d' ' -f1), saved to $out"
