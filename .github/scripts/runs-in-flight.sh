#!/usr/bin/env bash
# Lists the runs of another workflow of this repository that have not completed, so that deploy and
# destroy never overlap without either being dropped. GitHub's concurrency groups hold at most one
# pending run and cancel the older one, so the two workflows use separate groups and this guard:
# a deploy skips itself (and says so) while a destroy is queued or running, and a destroy waits for
# running deploys to finish.
#
# Usage: runs-in-flight.sh [--wait SECONDS] WORKFLOW_FILE
#   prints "<run id> <status> <url>" per run not yet completed (this run excluded); with --wait,
#   polls until there are none (exit 0) or the time is up (exit 1).
# Env: GITHUB_TOKEN (actions: read), GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_API_URL,
#      RUNS_POLL_SECONDS (default 20).
set -euo pipefail

wait_seconds=""
if [[ ${1:-} == --wait ]]; then
  wait_seconds=${2:?usage: runs-in-flight.sh [--wait SECONDS] WORKFLOW_FILE}
  shift 2
fi
workflow=${1:?usage: runs-in-flight.sh [--wait SECONDS] WORKFLOW_FILE}
api=${GITHUB_API_URL:-https://api.github.com}
: "${GITHUB_REPOSITORY:?}" "${GITHUB_TOKEN:?}"

in_flight() {
  curl --fail --silent --show-error --retry 3 --max-time 30 \
    -H "Authorization: Bearer $GITHUB_TOKEN" -H "Accept: application/vnd.github+json" \
    -H "X-GitHub-Api-Version: 2022-11-28" \
    "$api/repos/$GITHUB_REPOSITORY/actions/workflows/$workflow/runs?per_page=100&exclude_pull_requests=true" |
    jq -r --arg self "${GITHUB_RUN_ID:-0}" \
      '.workflow_runs[] | select(.status != "completed" and (.id | tostring) != $self)
       | "\(.id) \(.status) \(.html_url)"'
}

if [[ -z $wait_seconds ]]; then
  in_flight
  exit 0
fi

deadline=$((SECONDS + wait_seconds))
while :; do
  runs=$(in_flight)
  if [[ -z $runs ]]; then
    echo "runs-in-flight: no $workflow run in flight"
    exit 0
  fi
  if ((SECONDS >= deadline)); then
    echo "::error::$workflow runs still in flight after ${wait_seconds}s:" >&2
    echo "$runs" >&2
    exit 1
  fi
  echo "runs-in-flight: waiting for $(wc -l <<<"$runs") $workflow run(s): $(cut -d' ' -f3 <<<"$runs" | paste -sd' ')"
  sleep "${RUNS_POLL_SECONDS:-20}"
done
