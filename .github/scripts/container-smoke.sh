#!/usr/bin/env bash
# Container smoke test: builds both images and proves, with a real container engine, that they run
# the way the Helm chart runs them (uid 1000, read-only root filesystem, a tmpfs only at /tmp, no
# capabilities), that the migration command works, that the gateway answers the greeting from
# the backend, and that each container exits 0 on SIGTERM (graceful shutdown, not a SIGKILL).
#
# Works with podman (this sandbox; see ../shared/README.md for the stand-in base image) and docker
# (GitHub runners). Uses host networking so the gateway reaches the backend on localhost.
#
# Env: CONTAINER_ENGINE (podman|docker, default: whichever is installed), SMOKE_GATEWAY_PORT
# (8080), SMOKE_BACKEND_PORT (50051), SKIP_BUILD=1 to reuse images tagged :smoke,
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
backend_port=${SMOKE_BACKEND_PORT:-50051}
backend_image=localhost/infinity-pool/backend:smoke
gateway_image=localhost/infinity-pool/gateway:smoke
backend_name=infinity-pool-smoke-backend
gateway_name=infinity-pool-smoke-gateway
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)

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

step "start backend on :$backend_port and gateway on :$gateway_port"
"$engine" run -d --name "$backend_name" "${run_flags[@]}" \
  -e "BACKEND_PORT=$backend_port" -e "WRITE_TOKENS=smoke-test-token" "$backend_image" >/dev/null
"$engine" run -d --name "$gateway_name" "${run_flags[@]}" \
  -e "GATEWAY_PORT=$gateway_port" -e "BACKEND_ADDRESS=dns:///127.0.0.1:$backend_port" \
  -e "WRITE_TOKENS=smoke-test-token" "$gateway_image" >/dev/null

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

# /readyz turns 200 only once the gateway reaches the backend, so it also waits for the backend.
ready=0
for _ in $(seq 1 60); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gateway_port/readyz") == 200 ]]; then
    ready=1
    break
  fi
  sleep 1
done
((ready)) || fail "gateway /readyz did not turn 200 within 60s"
echo "gateway /readyz: 200"

step "GET / through the gateway"
SMOKE_INTERVAL_SECONDS=1 bash .github/scripts/smoke-test.sh "http://127.0.0.1:$gateway_port/" 30

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
    "$engine" run -d --name "$name" "${run_flags[@]}" \
      -e "BACKEND_PORT=$backend_port" -e "GATEWAY_PORT=$gateway_port" \
      -e "BACKEND_ADDRESS=dns:///127.0.0.1:$backend_port" "localhost/infinity-pool/$service:smoke" >/dev/null
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
