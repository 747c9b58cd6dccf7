#!/usr/bin/env bash
# What readable logs cost: wrk against GET / with the services started by `npm start`'s launcher in
# a terminal (pino-pretty, tools/start) and started directly in a terminal (JSON lines), in
# alternating rounds. Both run under `script`, so each writes to a real pseudo-terminal, as on a
# developer's screen. Prints requests/s and latency per round, then medians and spread.
#
# Usage: bash tools/start/bench.sh [rounds=5] [seconds=10] [connections=16]
# Needs wrk and script (Debian: wrk, util-linux). Uses ports 28080/25051; PGlite in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
seconds=${2:-10}
connections=${3:-16}
node=$(npm exec --offline -- node -p process.execPath)
export GATEWAY_PORT=${BENCH_GATEWAY_PORT:-28080} BACKEND_PORT=${BENCH_BACKEND_PORT:-25051}
export GATEWAY_ADMIN_PORT=${BENCH_ADMIN_PORT:-29090} LOG_LEVEL=info
results=$(mktemp)
trap 'rm -f "$results"' EXIT

run() { # variant, command
  local variant=$1 command=$2 data pid
  data=$(mktemp -d)
  PGLITE_DATA_DIR=$data script -qfec "$command" /dev/null >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 1 240); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GATEWAY_PORT/") == 200 ]] && break
    sleep 0.5
  done
  wrk -t2 -c"$connections" -d2s "http://127.0.0.1:$GATEWAY_PORT/" >/dev/null # warm-up
  local out rps p50 p99
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "http://127.0.0.1:$GATEWAY_PORT/")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  printf '%-7s %10s req/s  p50 %8s  p99 %8s\n' "$variant" "$rps" "$p50" "$p99"
  echo "$variant $rps" >>"$results"
  # script runs the command as a session leader; Ctrl-C goes to that process group.
  local session
  session=$(pgrep -P "$pid" | head -n 1 || true)
  if [[ -n $session ]]; then kill -INT -- "-$session" 2>/dev/null || true; fi
  wait "$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do
    curl -s -o /dev/null "http://127.0.0.1:$GATEWAY_PORT/" 2>/dev/null || break
    sleep 0.25
  done
  rm -rf "$data"
}

echo "wrk -c$connections -d${seconds}s GET /, $rounds alternating rounds, node $("$node" -v), $(nproc) cores"
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  run direct "$node backend/src/main.ts & exec $node gateway/src/main.ts"
  run pretty "exec $node tools/start/main.ts"
done

summary() {
  sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "median %.0f req/s (min %.0f, max %.0f, n=%d)", m, a[1], a[NR], NR}'
}
direct=$(awk '$1=="direct" {print $2}' "$results" | summary)
pretty=$(awk '$1=="pretty" {print $2}' "$results" | summary)
echo "direct (JSON lines to the terminal):   $direct"
echo "npm start (pino-pretty in a terminal): $pretty"
