#!/usr/bin/env bash
# `npm run test:compose`: the shipped docker-compose.yml and .env, run for real on a private Docker Engine, with
# every image built here (no registry) and the Loki stand-in of stack/compose/test-run.yaml. Installs and starts
# what it needs (Debian's docker.io, the compose and buildx plugins, a dockerd of its own), runs the stack suite,
# the checkout-ownership suite and prints figures; stops everything it started, whatever happens.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
[ "$(id -u)" = 0 ] || { echo "the compose run needs root (it starts its own dockerd)" >&2; exit 1; }
cache="${OSTACK_CACHE:-$HOME/.cache/ostack}"
run="$root/.stack-run"; mkdir -p "$run"
figures="$run/figures.txt"; : > "$figures"
fig() { echo "$*" | tee -a "$figures" >&2; }
t0=$SECONDS

t=$SECONDS; bash stack/docker/install-docker-tools.sh; fig "docker tools: $((SECONDS - t))s"
export DOCKER_CONFIG="$cache/docker-config"
eval "$(bash stack/docker/dockerd.sh start)"
export COMPOSE_FILE="docker-compose.yml:stack/compose/test-run.yaml:stack/compose/test-data.yaml"
export OSTACK_LOKI_STANDIN_DIR="$run/loki-standin"
export OSTACK_TEST_DATA="$run/data"
cleanup() {
  status=$?
  docker compose --profile load down --remove-orphans >/dev/null 2>&1 || true
  bash stack/docker/dockerd.sh stop || true
  exit "$status"
}
trap cleanup EXIT

t=$SECONDS; bash stack/docker/build-backend-images.sh 2> >(tee -a "$figures" >&2); fig "backend images: $((SECONDS - t))s"

uid="$(sed -n 's/^OSTACK_UID=//p' .env)"; gid="$(sed -n 's/^OSTACK_GID=//p' .env)"
rm -rf "$OSTACK_LOKI_STANDIN_DIR" "$OSTACK_TEST_DATA"; mkdir -p "$OSTACK_TEST_DATA"; install -d -o "${OSTACK_UID:-$uid}" -g "${OSTACK_GID:-$gid}" "$OSTACK_LOKI_STANDIN_DIR"

t=$SECONDS; docker compose --profile load build --quiet; fig "service images (compose build): $((SECONDS - t))s"
t=$SECONDS; docker compose up -d --wait --wait-timeout 180; fig "up --wait: $((SECONDS - t))s"
sleep 20; bash stack/scripts/compose-figures.sh memory idle >>"$figures" || true

status=0
npx vitest run --config stack/vitest.stack.config.mts "$@" || status=$?

bash stack/scripts/compose-figures.sh >>"$figures" || true
docker compose --profile load down --remove-orphans >/dev/null

# Checkouts owned by root and by another uid than OSTACK_UID: each brings its own stack up, then down.
[ "$status" = 0 ] && { npx vitest run --config stack/vitest.ownership.config.mts || status=$?; }

fig "total: $((SECONDS - t0))s"
echo; echo "compose run figures:"; cat "$figures"
exit "$status"
