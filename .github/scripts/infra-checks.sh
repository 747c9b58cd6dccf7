#!/usr/bin/env bash
# Static infrastructure checks with the real tools: terraform fmt, init (no backend) + validate for
# every module, tflint, and terragrunt's HCL formatter on the live tree. No AWS credentials needed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
status=0
step() { printf '\n== %s\n' "$*"; }

step "terraform fmt -check -recursive infrastructure"
terraform fmt -check -recursive -diff infrastructure || status=1

for module in infrastructure/modules/*/; do
  module=${module%/}
  step "terraform validate $module"
  if terraform -chdir="$module" init -backend=false -input=false -no-color >/dev/null; then
    terraform -chdir="$module" validate -no-color || status=1
  else
    terraform -chdir="$module" init -backend=false -input=false -no-color || true
    status=1
  fi
done

# Provider-free modules (trust policy, zone choice, access entries, settings) carry their own tests.
for module in infrastructure/modules/*/; do
  module=${module%/}
  [[ -d $module/tests ]] || continue
  step "terraform test $module"
  terraform -chdir="$module" test -no-color || status=1
done

step "tflint"
tflint_args=(--recursive --chdir=infrastructure/modules --format=compact)
if [[ -f infrastructure/.tflint.hcl ]]; then
  tflint_args+=(--config="$PWD/infrastructure/.tflint.hcl")
  tflint --init --config="$PWD/infrastructure/.tflint.hcl"
fi
tflint "${tflint_args[@]}" || status=1

step "terragrunt hcl fmt --check"
terragrunt hcl fmt --check --diff --working-dir infrastructure/live || status=1

if ((status)); then
  echo "infra-checks: FAILED" >&2
else
  echo "infra-checks: all passed"
fi
exit "$status"
