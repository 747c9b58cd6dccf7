#!/usr/bin/env bash
# One-time setup for keyless deployments: creates the GitHub OIDC provider and the deploy role
# (the ci-access unit) with the AWS credentials of your own shell, then stores the role ARN as the
# repository variable AWS_ROLE_ARN (with the GitHub CLI, when it is installed and logged in).
# After that the workflows assume the role through OIDC and no access keys are stored in GitHub.
#
# Usage: GITHUB_REPOSITORY=owner/name [AWS_REGION=eu-west-1] bash .github/scripts/bootstrap-oidc.sh
# Needs: terraform >= 1.11, terragrunt 1.x, and credentials allowed to create IAM roles.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
: "${GITHUB_REPOSITORY:?set GITHUB_REPOSITORY=owner/name (the repository whose workflows may deploy)}"
export GITHUB_REPOSITORY
export AWS_REGION=${AWS_REGION:-eu-west-1}
unit=infrastructure/live/dev/ci-access

echo "bootstrap-oidc: deploy role for $GITHUB_REPOSITORY in $AWS_REGION (deployment ${TG_DEPLOYMENT:-infinity-pool-dev})"
terragrunt run --non-interactive --backend-bootstrap --working-dir "$unit" -- apply -auto-approve -input=false
role_arn=$(terragrunt run --non-interactive --working-dir "$unit" -- output -raw deploy_role_arn 2>/dev/null)
echo "bootstrap-oidc: deploy role $role_arn"

# The pipeline re-applies this unit, so it must make the same choice about the OIDC provider.
reuse_provider=false
if [[ ${TG_CREATE_GITHUB_OIDC_PROVIDER:-true} == false ]]; then reuse_provider=true; fi

if command -v gh >/dev/null && gh auth status >/dev/null 2>&1; then
  gh variable set AWS_ROLE_ARN --repo "$GITHUB_REPOSITORY" --body "$role_arn"
  echo "bootstrap-oidc: repository variable AWS_ROLE_ARN is set"
  if [[ $reuse_provider == true ]]; then
    gh variable set TG_CREATE_GITHUB_OIDC_PROVIDER --repo "$GITHUB_REPOSITORY" --body false
    echo "bootstrap-oidc: repository variable TG_CREATE_GITHUB_OIDC_PROVIDER=false is set"
  fi
else
  echo "bootstrap-oidc: now set the repository variable AWS_ROLE_ARN to the ARN above"
  if [[ $reuse_provider == true ]]; then
    echo "  and the repository variable TG_CREATE_GITHUB_OIDC_PROVIDER to false"
  fi
  echo "  (Settings > Secrets and variables > Actions > Variables > New repository variable)"
fi
