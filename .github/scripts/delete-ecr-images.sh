#!/usr/bin/env bash
# Deletes every image from the given ECR repositories, so the repositories can be destroyed even
# where force_delete is off. Multi-arch images are an index plus per-platform manifests, and ECR
# refuses to delete a manifest an index still references, so it deletes in passes until empty.
#
# Usage: delete-ecr-images.sh REPOSITORY_NAME_OR_URL...
set -euo pipefail

for repo in "$@"; do
  [[ -n $repo ]] || continue
  name=${repo#*/} # a repository URL is <registry>/<name>
  if ! aws ecr describe-repositories --repository-names "$name" >/dev/null 2>&1; then
    echo "delete-ecr-images: $name does not exist; nothing to delete"
    continue
  fi
  for pass in 1 2 3 4 5; do
    mapfile -t digests < <(aws ecr list-images --repository-name "$name" \
      --query 'imageIds[].imageDigest' --output text | tr '\t' '\n' | sed '/^$/d' | sort -u)
    if ((${#digests[@]} == 0)); then
      echo "delete-ecr-images: $name is empty"
      continue 2
    fi
    echo "delete-ecr-images: pass $pass, ${#digests[@]} image manifest(s) in $name"
    for ((i = 0; i < ${#digests[@]}; i += 100)); do
      ids=()
      for d in "${digests[@]:i:100}"; do ids+=("imageDigest=$d"); done
      # Failures for manifests still referenced by an index are expected; the next pass retries.
      aws ecr batch-delete-image --repository-name "$name" --image-ids "${ids[@]}" \
        --query 'length(imageIds)' --output text >/dev/null
    done
  done
  echo "::error::images are still left in $name after 5 passes" >&2
  exit 1
done
