#!/usr/bin/env bash
# Fails when committed generated code no longer matches its sources: protobuf-es code under
# proto/gen (from proto/**/*.proto) and SQL migrations under backend/drizzle (from the Drizzle schema).
set -euo pipefail
cd "$(dirname "$0")/.."

npx buf lint
npm run --silent generate >/dev/null
npx --workspace backend drizzle-kit generate >/dev/null

stale=$(git status --porcelain -- proto/gen backend/drizzle)
if [[ -n $stale ]]; then
  echo "Generated code is stale. Run 'npm run generate' (protos) or 'npm run db:generate -w backend'"
  echo "(schema) and commit the result. Differences:"
  echo "$stale"
  exit 1
fi
echo "generated code is up to date"
