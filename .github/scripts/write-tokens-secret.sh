#!/usr/bin/env bash
# Creates or updates the Kubernetes Secret holding the gateway's bearer write tokens.
#
# From WRITE_TOKENS (the GATEWAY_WRITE_TOKENS repository secret) when it is set; otherwise one
# random token is generated on the first deploy and kept. The value never reaches the log or the
# command line: kubectl reads it from a pipe, prints nothing back, and the Secret is written (both
# ways) with a server-side apply, so no kubectl.kubernetes.io/last-applied-configuration annotation (which a
# client-side apply fills with the whole object, tokens included) is ever stored. An annotation
# left by an earlier client-side apply is removed.
#
# Usage: write-tokens-secret.sh NAMESPACE SECRET_NAME [KEY]   (env WRITE_TOKENS, optional)
# The namespace must exist (release-namespace.sh creates it).
set -euo pipefail

namespace=${1:?usage: write-tokens-secret.sh NAMESPACE SECRET_NAME [KEY]}
secret=${2:?usage: write-tokens-secret.sh NAMESPACE SECRET_NAME [KEY]}
key=${3:-tokens}
manager=infinity-pool-pipeline

# The namespace comes from release-namespace.sh, which labels it. Applying it here too, under the
# same field manager and without those labels, would strip them (server-side apply semantics).
if ! kubectl get namespace "$namespace" >/dev/null 2>&1; then
  echo "write-tokens-secret: namespace $namespace does not exist; run release-namespace.sh first" >&2
  exit 1
fi

# Writes the tokens read from stdin into the Secret (created or replaced), by server-side apply:
# `kubectl create --dry-run=client` only renders the object, it never reaches the cluster.
apply_tokens() {
  kubectl create secret generic "$secret" -n "$namespace" --from-file="$key=/dev/stdin" \
    --dry-run=client -o yaml |
    kubectl apply --server-side --force-conflicts --field-manager="$manager" -f - >/dev/null
}

if [[ -n ${WRITE_TOKENS:-} ]]; then
  printf '%s' "$WRITE_TOKENS" | apply_tokens
  echo "write tokens: from the GATEWAY_WRITE_TOKENS secret"
elif ! kubectl get secret "$secret" -n "$namespace" >/dev/null 2>&1; then
  openssl rand -hex 32 | tr -d '\n' | apply_tokens
  echo "write tokens: generated one; read it with kubectl (README, Deploying to AWS)"
else
  echo "write tokens: keeping the existing Secret"
fi

kubectl annotate secret "$secret" -n "$namespace" kubectl.kubernetes.io/last-applied-configuration- >/dev/null 2>&1 || true
