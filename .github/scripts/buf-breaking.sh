#!/usr/bin/env bash
# Runs `buf breaking` against the right baseline for the event: a pull request is compared with
# its base branch, a push with the commit before it. Needs the full history (fetch-depth: 0).
#
# Env: GITHUB_EVENT_NAME, GITHUB_BASE_REF (pull requests), BUF_BASELINE (a commit or ref; wins).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

baseline=${BUF_BASELINE:-}
if [[ -z $baseline ]]; then
  case ${GITHUB_EVENT_NAME:-} in
    pull_request) baseline="origin/${GITHUB_BASE_REF:?}" ;;
    *) baseline=main ;;
  esac
fi

# An all-zero "before" (a new branch) or a rewritten history has nothing to compare with.
if [[ $baseline =~ ^0+$ ]] || ! commit=$(git rev-parse --verify --quiet "${baseline}^{commit}"); then
  echo "buf-breaking: baseline '$baseline' is not in this clone's history; nothing to compare"
  exit 0
fi

# buf reads a local repository by branch, so point a scratch branch at the baseline commit.
git update-ref refs/heads/buf-breaking-baseline "$commit"
trap 'git update-ref -d refs/heads/buf-breaking-baseline' EXIT
echo "buf-breaking: comparing with $baseline ($commit)"
npx --no-install buf breaking --against '.git#branch=buf-breaking-baseline'
