#!/usr/bin/env bash
# Checks every deployment setting before anything is created, with the rules AWS and GitHub apply
# (infrastructure/modules/settings, a provider-free Terraform module, so this runs offline in a
# second). A bad value stops here with a message that names the setting, instead of failing an
# apply halfway through.
#
# Reads the same environment as the Terragrunt tree and the workflows: TG_DEPLOYMENT, AWS_REGION,
# GITHUB_REPOSITORY, GITHUB_REPOSITORY_ID, GITHUB_REPOSITORY_OWNER_ID, TG_DEPLOY_BRANCHES,
# TG_DEPLOY_ENVIRONMENTS, TG_CREATE_GITHUB_OIDC_PROVIDER, TG_CLUSTER_ADMIN_ARNS,
# TG_API_ALLOWED_CIDRS, INGRESS_SCHEME, ACM_CERTIFICATE_ARN (empty or unset = the default).
# Needs: terraform >= 1.11.1. Prints the settings in effect; exits 1 on any invalid one.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
module=$root/infrastructure/modules/settings
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export TF_DATA_DIR=$work/data TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export TF_VAR_tg_deployment=${TG_DEPLOYMENT:-}
export TF_VAR_aws_region=${AWS_REGION:-}
export TF_VAR_github_repository=${GITHUB_REPOSITORY:-}
export TF_VAR_github_repository_id=${GITHUB_REPOSITORY_ID:-}
export TF_VAR_github_repository_owner_id=${GITHUB_REPOSITORY_OWNER_ID:-}
export TF_VAR_tg_deploy_branches=${TG_DEPLOY_BRANCHES:-}
export TF_VAR_tg_deploy_environments=${TG_DEPLOY_ENVIRONMENTS:-}
export TF_VAR_tg_create_github_oidc_provider=${TG_CREATE_GITHUB_OIDC_PROVIDER:-}
export TF_VAR_tg_cluster_admin_arns=${TG_CLUSTER_ADMIN_ARNS:-}
export TF_VAR_tg_api_allowed_cidrs=${TG_API_ALLOWED_CIDRS:-}
export TF_VAR_ingress_scheme=${INGRESS_SCHEME:-}
export TF_VAR_acm_certificate_arn=${ACM_CERTIFICATE_ARN:-}

if ! terraform -chdir="$module" init -input=false -no-color -backend=false >"$work/init.log" 2>&1; then
  cat "$work/init.log" >&2
  echo "validate-settings: terraform init failed" >&2
  exit 1
fi

if ! terraform -chdir="$module" plan -input=false -no-color -lock=false -json -out="$work/plan" >"$work/plan.jsonl" 2>"$work/plan.err"; then
  # Each failed rule is one error diagnostic whose detail is the rule's message, naming the setting.
  mapfile -t messages < <(jq -Rr 'fromjson? | select(.type == "diagnostic" and .diagnostic.severity == "error")
    | (.diagnostic.detail // "" | split("\n\nThis was checked")[0]) as $detail
    | if $detail == "" then .diagnostic.summary else $detail end | gsub("\n"; " ")' "$work/plan.jsonl" | sort -u)
  if ((${#messages[@]} == 0)); then mapfile -t messages < <(cat "$work/plan.err" "$work/plan.jsonl"); fi
  for message in "${messages[@]}"; do
    if [[ -n ${GITHUB_ACTIONS:-} ]]; then
      echo "::error title=Invalid deployment setting::$message"
    else
      echo "validate-settings: $message" >&2
    fi
  done
  echo "validate-settings: invalid deployment settings; nothing was created" >&2
  exit 1
fi

terraform -chdir="$module" show -json "$work/plan" >"$work/plan.json"
jq -r '.planned_values.outputs
  | "validate-settings: deployment \(.deployment.value) in \(.region.value)",
    "  trusted OIDC subjects: \(.trusted_subjects.value | join(", "))",
    "  OIDC provider: \(if .create_github_oidc_provider.value then "created" else "existing one used" end)",
    "  cluster admins besides the deploy role: \(.cluster_admin_arns.value | if length == 0 then "none" else join(", ") end)",
    "  Kubernetes API reachable from: \(.api_allowed_cidrs.value | join(", "))",
    "  load balancer: \(.names.value.load_balancer) (\(.ingress_scheme.value))"' "$work/plan.json"
