#!/usr/bin/env bash
# Reads the Terragrunt outputs that the deployment needs and publishes them as step outputs
# ($GITHUB_OUTPUT, or stdout when run by hand). None of them is secret: endpoints, names, ARNs.
#
# Usage: read-outputs.sh [LIVE_DIR]   (default infrastructure/live/dev)
#   --allow-missing  publish empty values for units that have no state (used while destroying)
set -euo pipefail

allow_missing=0
if [[ ${1:-} == --allow-missing ]]; then
  allow_missing=1
  shift
fi
live_dir=${1:-infrastructure/live/dev}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

unit_outputs() {
  local json
  if json=$(terragrunt run --non-interactive --working-dir "$live_dir/$1" -- output -json 2>"$log") &&
    [[ -n $json ]] && jq -e 'type == "object"' >/dev/null 2>&1 <<<"$json"; then
    printf '%s' "$json"
  elif ((allow_missing)); then
    echo "read-outputs: no outputs for unit $1 (not applied or already destroyed)" >&2
    printf '{}'
  else
    echo "read-outputs: could not read the outputs of unit $1:" >&2
    tail -n 20 "$log" >&2
    return 1
  fi
}

# emit NAME JSON FILTER: publishes the filter's value, failing when it is missing (unless allowed).
# Strings are published raw, lists and maps as compact JSON (for helm --set-json).
emit() {
  local value
  if ! value=$(jq -er "($3) // empty | if type == \"string\" then . else tojson end" <<<"$2" 2>/dev/null); then
    if ((allow_missing)); then
      value=""
    else
      echo "read-outputs: output $1 ($3) is missing" >&2
      return 1
    fi
  fi
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then
    printf '%s=%s\n' "$1" "$value" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$1" "$value"
  fi
}

network=$(unit_outputs network)
cluster=$(unit_outputs cluster)
registry=$(unit_outputs registry)
database=$(unit_outputs database)
workload=$(unit_outputs workload-access)

emit vpc_cidr_block "$network" '.vpc_cidr_block.value'
emit database_subnet_cidr_blocks "$network" '.database_subnet_cidr_blocks.value'
emit cluster_name "$cluster" '.cluster_name.value'
emit gateway_repository "$registry" '.repository_urls.value.gateway'
emit backend_repository "$registry" '.repository_urls.value.backend'
emit db_host "$database" '.endpoint.value'
emit db_port "$database" '.port.value'
emit db_name "$database" '.database_name.value'
emit db_secret_arn "$database" '.master_secret_arn.value'
# The EKS Pod Identity association: the chart refuses to render a backend it would not cover.
emit pod_identity_namespace "$workload" '.namespace.value'
emit pod_identity_service_account "$workload" '.service_account.value'
