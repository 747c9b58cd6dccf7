#!/usr/bin/env bash
# Container smoke test: builds both images and proves, with a real container engine, that they run
# the way the Helm chart runs them (uid 1000, read-only root filesystem, a tmpfs only at /tmp, no
# capabilities), that the migration command works, that the gateway answers the greeting from
# the backend, serves /metrics on its admin port only, accepts a write with the token both
# containers were given (and refuses it without), and that each container exits 0 on SIGTERM
# (graceful shutdown, not a SIGKILL).
#
# Works with podman (this sandbox; see ../shared/README.md for the stand-in base image) and docker
# (GitHub runners). Uses host networking so the gateway reaches the backend on localhost.
#
# Env: CONTAINER_ENGINE (podman|docker, default: whichever is installed), SMOKE_GATEWAY_PORT
# (8080), SMOKE_ADMIN_PORT (the gateway's admin port, 9090), SMOKE_BACKEND_PORT (50051): on a
# shared host pick free ones; SMOKE_STARTUP_SECONDS (180) bounds the wait for the first greeting;
# SKIP_BUILD=1 to reuse images tagged :smoke,
# SMOKE_SKIP_STARTUP_SIGTERM=1 to skip the check that a container still starting stops on SIGTERM.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."

engine=${CONTAINER_ENGINE:-}
if [[ -z $engine ]]; then
  if command -v podman >/dev/null; then engine=podman; elif command -v docker >/dev/null; then engine=docker; else
    echo "container-smoke: neither podman nor docker is installed" >&2
    exit 1
  fi
fi
gateway_port=${SMOKE_GATEWAY_PORT:-8080}
admin_port=${SMOKE_ADMIN_PORT:-9090}
backend_port=${SMOKE_BACKEND_PORT:-50051}
# Not a secret: it exists only in these throwaway containers.
write_token=smoke-test-token
backend_image=localhost/infinity-pool/backend:smoke
gateway_image=localhost/infinity-pool/gateway:smoke
backend_name=infinity-pool-smoke-backend
gateway_name=infinity-pool-smoke-gateway
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)

# What each service is started with: every listener on a port of the caller's choosing (a
# default port may be taken on a shared host) and nothing the service does not read.
# test/service-env.test.ts checks both against the services' own configuration loaders.
backend_env=(-e "BACKEND_PORT=$backend_port")
gateway_env=(-e "GATEWAY_PORT=$gateway_port" -e "GATEWAY_ADMIN_PORT=$admin_port"
  -e "BACKEND_ADDRESS=dns:///127.0.0.1:$backend_port")

step() { printf '\n== %s\n' "$*"; }
fail() {
  echo "container-smoke: FAIL: $*" >&2
  exit 1
}

cleanup() {
  "$engine" rm -f "$gateway_name" "$backend_name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

# The runtime flags the chart's securityContext implies. Podman mounts tmpfs on /run, /tmp and
# /var/tmp under --read-only by default; turning that off leaves /tmp as the only writable path,
# exactly like the chart's single emptyDir.
run_flags=(--network host --read-only --tmpfs "/tmp:rw,size=256m,mode=1777" --cap-drop ALL
  --security-opt no-new-privileges --user 1000:1000)
build_flags=()
if [[ $engine == podman ]]; then
  run_flags+=(--read-only-tmpfs=false)
  export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
  # BuildKit sets TARGETARCH itself; podman 4 does not.
  case "$(uname -m)" in
    x86_64) build_flags+=(--build-arg TARGETARCH=amd64) ;;
    aarch64) build_flags+=(--build-arg TARGETARCH=arm64) ;;
  esac
fi

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
  for service in backend gateway; do
    step "build $service image ($engine)"
    start=$SECONDS
    "$engine" build --quiet -f "$service/Dockerfile" -t "localhost/infinity-pool/$service:smoke" \
      "${build_flags[@]}" --build-arg "REVISION=$revision" --build-arg "SOURCE_URL=local" . >/dev/null
    echo "built localhost/infinity-pool/$service:smoke in $((SECONDS - start))s"
  done
fi

for image in "$backend_image" "$gateway_image"; do
  user=$("$engine" image inspect --format '{{.Config.User}}' "$image")
  [[ $user == 1000:1000 ]] || fail "$image runs as '$user', expected 1000:1000"
  revision_label=$("$engine" image inspect --format '{{index .Config.Labels "org.opencontainers.image.revision"}}' "$image")
  if [[ ${SKIP_BUILD:-0} != 1 && $revision_label != "$revision" ]]; then
    fail "$image revision label is '$revision_label', expected $revision"
  fi
done
echo "both images: USER 1000:1000, org.opencontainers.image.revision=$revision_label"

# Development-only packages stay out of the images: the Node.js that npm scripts run on in
# development (tools/node-runtime), the test tools and browsers' drivers.
for image in "$backend_image" "$gateway_image"; do
  dev=$("$engine" run --rm "${run_flags[@]}" "$image" node -e '
    const fs = require("node:fs");
    const names = fs.readdirSync("node_modules").filter((n) =>
      /^node-(bin-)?(linux|darwin|win)-|^(playwright-core|vitest|typescript|@biomejs)$/.test(n));
    if (fs.existsSync("node_modules/.bin/node")) names.push(".bin/node");
    console.log(names.join(" "));')
  [[ -z $dev ]] || fail "$image holds development-only packages: $dev"
done
echo "no development-only packages in either image"

step "migration command (node backend/src/migrate.ts) under a read-only root"
"$engine" run --rm "${run_flags[@]}" "$backend_image" node backend/src/migrate.ts ||
  fail "the migration command exited non-zero"

step "start backend on :$backend_port and gateway on :$gateway_port (admin :$admin_port)"
# Both get the write token: the gateway checks it, the backend checks it again on every write.
"$engine" run -d --name "$backend_name" "${run_flags[@]}" "${backend_env[@]}" \
  -e "WRITE_TOKENS=$write_token" "$backend_image" >/dev/null
"$engine" run -d --name "$gateway_name" "${run_flags[@]}" "${gateway_env[@]}" \
  -e "WRITE_TOKENS=$write_token" "$gateway_image" >/dev/null

sleep 2
for name in "$backend_name" "$gateway_name"; do
  if [[ $("$engine" inspect --format '{{.State.Running}}' "$name") != true ]]; then
    "$engine" logs "$name" 2>&1 | tail -n 20 >&2
    fail "$name is not running"
  fi
  pid1=$("$engine" exec "$name" cat /proc/1/cmdline | tr '\0' ' ')
  [[ $pid1 == node\ * ]] || fail "$name: PID 1 is '$pid1', expected node"
  echo "$name: PID 1 is '$pid1' as uid $("$engine" exec "$name" id -u)"
  if "$engine" exec "$name" touch /home/node/write-probe 2>/dev/null; then
    fail "$name could write to its home directory: the root filesystem is not read-only"
  fi
done
echo "root filesystems are read-only (uid 1000 cannot write even its own home directory); the backend keeps PGlite in /tmp"

# The gateway's /readyz does not depend on the backend (it is 200 unless draining), so waiting
# for the backend means waiting for GET /, which goes through it; smoke-test.sh retries.
step "GET / through the gateway"
SMOKE_INTERVAL_SECONDS=1 bash .github/scripts/smoke-test.sh "http://127.0.0.1:$gateway_port/" \
  "${SMOKE_STARTUP_SECONDS:-180}"

status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" || true; }

step "operational endpoints: probes on both ports, /metrics on the admin port only"
for url in "http://127.0.0.1:$gateway_port/readyz" "http://127.0.0.1:$admin_port/readyz" \
  "http://127.0.0.1:$admin_port/healthz"; do
  code=$(status_of "$url")
  [[ $code == 200 ]] || fail "$url answered $code, expected 200"
done
metrics=$(curl -sf "http://127.0.0.1:$admin_port/metrics") ||
  fail "/metrics on the admin port (GATEWAY_ADMIN_PORT=$admin_port) did not answer 200"
grep -q '^gateway_http_requests_total{' <<<"$metrics" ||
  fail "/metrics on the admin port has no gateway_http_requests_total sample"
code=$(status_of "http://127.0.0.1:$gateway_port/metrics")
[[ $code == 404 ]] || fail "/metrics on the public port answered $code, expected 404"
echo "/readyz 200 on :$gateway_port and :$admin_port; /metrics 200 on :$admin_port, 404 on :$gateway_port"

step "writes: refused without the token, accepted with it, through both containers"
body_file=$(mktemp)
trap 'rm -f "$body_file"; cleanup' EXIT
# post URL TOKEN [CURL ARGS...]: prints the HTTP status (TOKEN may be empty: no Authorization
# header); the answer is left in $body_file.
post() {
  local url=$1 token=$2 auth=()
  shift 2
  if [[ -n $token ]]; then auth=(-H "authorization: Bearer $token"); fi
  curl -s -o "$body_file" -w '%{http_code}' -X POST "$url" "${auth[@]}" "$@" \
    -H 'content-type: application/json' -d '{"text":"Hallo from the container smoke test"}' || true
}
create="http://127.0.0.1:$gateway_port/v1/greetings"
code=$(post "$create" "")
[[ $code == 401 ]] || fail "a write without a token got $code, expected 401"
code=$(post "$create" "not-the-token")
[[ $code == 401 ]] || fail "a write with a wrong token got $code, expected 401"
# The backend refuses on its own too: a Connect call straight to it, without and with the token.
rpc="http://127.0.0.1:$backend_port/infinitypool.v1.GreetingService/CreateGreeting"
code=$(post "$rpc" "" --http2-prior-knowledge)
[[ $code == 401 ]] || fail "the backend accepted a write without a token (HTTP $code, expected 401)"
code=$(post "$create" "$write_token")
[[ $code == 200 ]] || fail "a write with the token got $code, expected 200: $(head -c 300 "$body_file")"
id=$(grep -o '"id":"[0-9]*"' "$body_file" | head -n 1 | tr -dc '0-9')
[[ -n $id ]] || fail "the created greeting has no id: $(head -c 300 "$body_file")"
read_back=$(curl -sf "http://127.0.0.1:$gateway_port/v1/greetings/$id") ||
  fail "GET /v1/greetings/$id did not answer 200"
grep -q 'Hallo from the container smoke test' <<<"$read_back" ||
  fail "GET /v1/greetings/$id does not hold the text written"
echo "no token / wrong token: 401 (gateway), no token: 401 (backend); with the token: 200, greeting $id reads back"

# Stop the gateway first, as a rolling update would, then the backend. A process that ignored
# SIGTERM would be SIGKILLed after the 10 s grace period and exit 137.
for name in "$gateway_name" "$backend_name"; do
  step "podman/docker stop -t 10 $name"
  start=$SECONDS
  "$engine" stop -t 10 "$name" >/dev/null
  code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
  echo "$name exited with code $code after $((SECONDS - start))s"
  echo "-- last log lines of $name:"
  "$engine" logs "$name" 2>&1 | tail -n 6
  [[ $code == 0 ]] || fail "$name exited with $code on SIGTERM, expected 0"
done

# Kubernetes may stop a pod that is still starting (a rollout replaced it, a node drains). Node as
# PID 1 ignores SIGTERM until the service installs its handler, so a handler installed only after
# startup work (database, migrations) leaves such a pod hanging until the grace period ends in
# SIGKILL (exit 137). The signal is sent once module loading is over but, with the embedded
# database, while the backend is still opening and migrating it.
if [[ ${SMOKE_SKIP_STARTUP_SIGTERM:-0} != 1 ]]; then
  for service in backend gateway; do
    step "SIGTERM while $service is still starting"
    name="infinity-pool-smoke-$service"
    "$engine" rm -f "$name" >/dev/null 2>&1 || true
    if [[ $service == backend ]]; then
      "$engine" run -d --name "$name" "${run_flags[@]}" "${backend_env[@]}" "$backend_image" >/dev/null
    else
      "$engine" run -d --name "$name" "${run_flags[@]}" "${gateway_env[@]}" "$gateway_image" >/dev/null
    fi
    sleep "${SMOKE_STARTUP_SIGTERM_DELAY:-2.5}"
    start=$SECONDS
    "$engine" stop -t 10 "$name" >/dev/null 2>&1
    code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
    echo "$name exited with code $code after $((SECONDS - start))s"
    [[ $code == 0 || $code == 143 ]] ||
      fail "$service ignored SIGTERM during startup (exit $code): install the signal handler before startup work"
  done
fi

step "container smoke test passed"
