#!/usr/bin/env bash
# One-time setup for keyless deployments: creates the GitHub OIDC provider and the deploy role
# (the ci-access unit) with the AWS credentials of your own shell, then stores the role ARN and
# every setting it used as repository variables, so the pipeline re-applies exactly this
# configuration (same Region and deployment key, so the same state bucket; same branches,
# environments and OIDC provider choice). After that the workflows assume the role through OIDC
# and no access keys are stored in GitHub.
#
# Usage: GITHUB_REPOSITORY=owner/name [AWS_REGION=eu-west-1] [TG_DEPLOYMENT=...] \
#          [TG_DEPLOY_BRANCHES=main] [TG_DEPLOY_ENVIRONMENTS=...] [TG_CREATE_GITHUB_OIDC_PROVIDER=true] \
#          [TG_CLUSTER_ADMIN_ARNS=...] [TG_API_ALLOWED_CIDRS=...] bash .github/scripts/bootstrap-oidc.sh
# Needs: terraform >= 1.11.1, terragrunt 1.x, jq, credentials allowed to create IAM roles, and the
# GitHub CLI (gh, logged in) to look up the repository's ids and store the variables. Without gh,
# set GITHUB_REPOSITORY_ID and GITHUB_REPOSITORY_OWNER_ID yourself (the repository page's API:
# https://api.github.com/repos/OWNER/NAME, fields id and owner.id); the variables are then printed
# for you to add under Settings > Secrets and variables > Actions > Variables.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name (the repository whose workflows may deploy)}"
export GITHUB_REPOSITORY
unit=infrastructure/live/dev/ci-access

# Every setting infrastructure/live/dev/env.hcl reads from the environment (a test keeps this list
# equal to env.hcl and to what cicd.yaml and destroy.yaml pass).
settings=(
  AWS_REGION
  TG_DEPLOYMENT
  TG_DEPLOY_BRANCHES
  TG_DEPLOY_ENVIRONMENTS
  TG_CREATE_GITHUB_OIDC_PROVIDER
  TG_CLUSTER_ADMIN_ARNS
  TG_API_ALLOWED_CIDRS
)
# The two the workflows need before env.hcl is read are always stored; the others only when set
# (an unset variable means env.hcl's default, here and in the pipeline alike).
export AWS_REGION=${AWS_REGION:-eu-west-1}
export TG_DEPLOYMENT=${TG_DEPLOYMENT:-infinity-pool-dev}

have_gh=0
if command -v gh >/dev/null && gh auth status >/dev/null 2>&1; then have_gh=1; fi

# GitHub's OIDC subject carries the repository's immutable ids for repositories created, renamed
# or transferred since mid-2026; the trust policy lists both forms, so it needs the ids.
if [[ -z ${GITHUB_REPOSITORY_ID:-} || -z ${GITHUB_REPOSITORY_OWNER_ID:-} ]]; then
  if ((!have_gh)); then
    echo "bootstrap-oidc: set GITHUB_REPOSITORY_ID and GITHUB_REPOSITORY_OWNER_ID, or install and log in to gh" >&2
    exit 1
  fi
  GITHUB_REPOSITORY_ID=$(gh api "repos/$GITHUB_REPOSITORY" --jq .id)
  GITHUB_REPOSITORY_OWNER_ID=$(gh api "repos/$GITHUB_REPOSITORY" --jq .owner.id)
fi
export GITHUB_REPOSITORY_ID GITHUB_REPOSITORY_OWNER_ID

echo "bootstrap-oidc: deploy role for $GITHUB_REPOSITORY (ids $GITHUB_REPOSITORY_OWNER_ID/$GITHUB_REPOSITORY_ID) in $AWS_REGION, deployment $TG_DEPLOYMENT"
bash .github/scripts/validate-settings.sh

terragrunt run --non-interactive --backend-bootstrap --working-dir "$unit" -- apply -auto-approve -input=false
role_arn=$(terragrunt run --non-interactive --working-dir "$unit" -- output -raw deploy_role_arn 2>/dev/null)
echo "bootstrap-oidc: deploy role $role_arn"

store=(AWS_ROLE_ARN "$role_arn")
for name in "${settings[@]}"; do store+=("$name" "${!name:-}"); done

if ((have_gh)); then
  for ((i = 0; i < ${#store[@]}; i += 2)); do
    name=${store[i]} value=${store[i + 1]}
    if [[ -n $value ]]; then
      gh variable set "$name" --repo "$GITHUB_REPOSITORY" --body "$value"
      echo "bootstrap-oidc: repository variable $name=$value"
    elif gh variable get "$name" --repo "$GITHUB_REPOSITORY" >/dev/null 2>&1; then
      # A leftover value would make the pipeline differ from this run.
      gh variable delete "$name" --repo "$GITHUB_REPOSITORY"
      echo "bootstrap-oidc: repository variable $name deleted (the default applies)"
    fi
  done
else
  echo "bootstrap-oidc: now set these repository variables (Settings > Secrets and variables >"
  echo "  Actions > Variables), and delete any of the listed ones that are not shown with a value:"
  for ((i = 0; i < ${#store[@]}; i += 2)); do
    if [[ -n ${store[i + 1]} ]]; then echo "  ${store[i]}=${store[i + 1]}"; else echo "  ${store[i]} (leave unset)"; fi
  done
fi
