#!/usr/bin/env bash
# Creates the Helm release's namespace, or updates it, with the Pod Security Standard labels that
# make the API server refuse any pod that does not meet "restricted" (every pod of the chart, hooks
# and test Jobs included, does). The chart cannot do this itself: a Namespace in the release would
# be deleted, with everything in it, by `helm uninstall` (helm/README.md, Install).
#
# Server-side apply under the pipeline's field manager: idempotent, leaves labels and annotations
# that others own alone, and stores no kubectl.kubernetes.io/last-applied-configuration annotation.
# This is the only place the pipeline applies the Namespace: a later apply of it under the same
# field manager without these labels would remove them (server-side apply drops the fields a
# manager stops applying), so write-tokens-secret.sh and `helm --create-namespace` leave it alone.
#
# Usage: release-namespace.sh NAMESPACE
set -euo pipefail

namespace=${1:?usage: release-namespace.sh NAMESPACE}
manager=infinity-pool-pipeline

# Kubernetes docs, "Pod Security Admission": enforce=<level>, enforce-version=<k8s minor|latest>.
jq -n --arg name "$namespace" '{
  apiVersion: "v1",
  kind: "Namespace",
  metadata: {
    name: $name,
    labels: {
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest"
    }
  }
}' | kubectl apply --server-side --force-conflicts --field-manager="$manager" -f - >/dev/null

echo "namespace $namespace: Pod Security Standard \"restricted\" enforced"
