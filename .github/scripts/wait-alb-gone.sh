#!/usr/bin/env bash
# Waits until no load balancer and no target group of the cluster is left. The EKS Auto Mode
# load balancer controller deletes the ALB asynchronously after its Ingress is gone; destroying
# the VPC before that fails on the ALB's network interfaces and security groups.
#
# Usage: wait-alb-gone.sh CLUSTER_NAME [TIMEOUT_SECONDS]   (default 900)
set -euo pipefail

cluster=${1:?usage: wait-alb-gone.sh CLUSTER_NAME [TIMEOUT_SECONDS]}
timeout=${2:-900}
interval=${WAIT_INTERVAL_SECONDS:-15}

# Prints the ARNs among "$@" that carry the controller's cluster tag for this cluster.
# describe-tags takes at most 20 ARNs per call.
tagged_with_cluster() {
  local -a arns=("$@")
  local i
  for ((i = 0; i < ${#arns[@]}; i += 20)); do
    aws elbv2 describe-tags --resource-arns "${arns[@]:i:20}" --output json |
      jq -r --arg c "$cluster" '.TagDescriptions[]
        | select(any(.Tags[]; (.Key == "elbv2.k8s.aws/cluster" or .Key == "eks:eks-cluster-name") and .Value == $c))
        | .ResourceArn'
  done
}

remaining() {
  local -a lbs tgs
  mapfile -t lbs < <(aws elbv2 describe-load-balancers --query 'LoadBalancers[].LoadBalancerArn' --output text | tr '\t' '\n' | sed '/^$/d')
  mapfile -t tgs < <(aws elbv2 describe-target-groups --query 'TargetGroups[].TargetGroupArn' --output text | tr '\t' '\n' | sed '/^$/d')
  if ((${#lbs[@]})); then tagged_with_cluster "${lbs[@]}"; fi
  if ((${#tgs[@]})); then tagged_with_cluster "${tgs[@]}"; fi
}

deadline=$((SECONDS + timeout))
while :; do
  left=$(remaining)
  if [[ -z $left ]]; then
    echo "wait-alb-gone: no load balancer or target group of $cluster is left"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "::error::load balancer resources of $cluster still exist after ${timeout}s:" >&2
    echo "$left" >&2
    exit 1
  fi
  echo "wait-alb-gone: $(wc -l <<<"$left") load balancer resource(s) of $cluster still exist; waiting"
  sleep "$interval"
done
