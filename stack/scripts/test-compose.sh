#!/usr/bin/env bash
# `npm run test:compose`: the shipped docker-compose.yml and .env, run for real on a private Docker Engine, with
# every image built here (no registry) and the Loki stand-in of stack/compose/test-run.yaml. Installs and starts
# what it needs (Debian's docker.io, the compose and buildx plugins, a dockerd of its own), runs the stack suites,
# the checkout-ownership suite and prints figures; stops everything it started, whatever happens.
#
# Two lanes run side by side, each a compose project with its own data and host address:
#   main    project `ostack` on 127.0.0.1, as users run it: stack, links, sampling, containers; then the figures.
#   alerts  project `ostack-alerts` on 127.0.0.2: the alerts suite, which mostly waits out the rules' windows and
#           for: durations (on a fresh stack its pages fire within minutes); then the ownership suite; then the
#           PostgreSQL variant: project `ostack-postgres` on 127.0.0.3 with docker-compose.postgres.yml, its suite.
# With arguments (vitest filters, e.g. `sampling.test.ts`), only the main lane runs, with those arguments (only the
# PostgreSQL variant when they name postgres.test.ts).
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
# added for the PostgreSQL variant: the users' override, and its data moved like the others'
postgres_files="docker-compose.postgres.yml:stack/compose/test-data-postgres.yaml"
postgres_only=; [[ " $* " == *postgres.test* ]] && postgres_only=1
projects=(ostack ostack-alerts ostack-ownership ostack-postgres)
alerts_pid=
kill_tree() { local c; for c in $(ps -o pid= --ppid "$1"); do kill_tree "$c"; done; kill "$1" 2>/dev/null || true; }
cleanup() {
  status=$?
  [ -n "$alerts_pid" ] && kill -0 "$alerts_pid" 2>/dev/null && kill_tree "$alerts_pid"
  for p in "${projects[@]}"; do
    # the files name these folders; `down` only needs them to parse
    COMPOSE_FILE="$COMPOSE_FILE:$postgres_files" OSTACK_TEST_DATA="$run" OSTACK_LOKI_STANDIN_DIR="$run" \
      docker compose -p "$p" --profile load down --remove-orphans >/dev/null 2>&1 || true
  done
  bash stack/docker/dockerd.sh stop || true
  exit "$status"
}
trap cleanup EXIT

t=$SECONDS; bash stack/docker/build-backend-images.sh 2> >(tee -a "$figures" >&2); fig "backend images: $((SECONDS - t))s"
t=$SECONDS; bash stack/docker/build-postgres-image.sh >/dev/null 2> >(tee -a "$figures" >&2)
fig "postgres image: $((SECONDS - t))s"
uid="$(sed -n 's/^OSTACK_UID=//p' .env)"; gid="$(sed -n 's/^OSTACK_GID=//p' .env)"
# lane NAME PROJECT ADDRESS: this shell's compose project, host address and fresh data folders (see test-data.yaml)
lane() {
  export COMPOSE_PROJECT_NAME=$2 OSTACK_BIND_ADDRESS=$3
  export OSTACK_LOKI_STANDIN_DIR="$run/$1/loki-standin" OSTACK_TEST_DATA="$run/$1/data"
  rm -rf "${run:?}/$1"; mkdir -p "$OSTACK_TEST_DATA"
  install -d -o "${OSTACK_UID:-$uid}" -g "${OSTACK_GID:-$gid}" "$OSTACK_LOKI_STANDIN_DIR"
}
up() { local t=$SECONDS; docker compose up -d --wait --wait-timeout 180; fig "up --wait ($COMPOSE_PROJECT_NAME): $((SECONDS - t))s"; }
stack_suite() { npx vitest run --config stack/vitest.stack.config.mts "$@"; }
# The PostgreSQL variant's project, address and files (docker-compose.postgres.yml on top of the shipped file).
postgres_lane_env() { lane postgres ostack-postgres 127.0.0.3; export COMPOSE_FILE="$COMPOSE_FILE:$postgres_files"; }

# The services' images of each lane's project (the second one from the first one's build cache).
t=$SECONDS
(lane main ostack 127.0.0.1; docker compose --profile load build --quiet)
[ $# -gt 0 ] || (lane alerts ostack-alerts 127.0.0.2; docker compose build --quiet)
if [ $# -eq 0 ] || [ -n "$postgres_only" ]; then (postgres_lane_env; docker compose build --quiet); fi
fig "service images (compose build): $((SECONDS - t))s"

postgres_lane() (
  postgres_lane_env; t=$SECONDS
  up
  status=0; stack_suite "${@:-postgres.test.ts}" || status=$?
  docker compose down --remove-orphans >/dev/null
  fig "lane postgres: $((SECONDS - t))s"
  exit "$status"
)

main_lane() (
  lane main ostack 127.0.0.1; t=$SECONDS; up
  sleep 20; bash stack/scripts/compose-figures.sh memory idle >>"$figures" || true
  status=0
  if [ $# -gt 0 ]; then stack_suite "$@" || status=$?
  else stack_suite stack.test.ts links.test.ts sampling.test.ts containers.test.ts || status=$?; fi
  bash stack/scripts/compose-figures.sh >>"$figures" || true
  docker compose --profile load down --remove-orphans >/dev/null
  fig "lane main: $((SECONDS - t))s"
  exit "$status"
)

alerts_lane() (
  lane alerts ostack-alerts 127.0.0.2; t=$SECONDS
  up
  status=0; stack_suite alerts.test.ts || status=$?
  docker compose --profile load down --remove-orphans >/dev/null
  # Checkouts owned by root and by another uid than OSTACK_UID: each brings its own copy up, then down.
  export COMPOSE_PROJECT_NAME=ostack-ownership
  [ "$status" = 0 ] && { npx vitest run --config stack/vitest.ownership.config.mts || status=$?; }
  fig "lane alerts: $((SECONDS - t))s"
  postgres_lane || status=$?
  exit "$status"
)

status=0
if [ -n "$postgres_only" ]; then
  postgres_lane "$@" || status=$?
elif [ $# -gt 0 ]; then
  main_lane "$@" || status=$?
else
  alerts_log="$run/alerts-lane.log"
  alerts_lane >"$alerts_log" 2>&1 & alerts_pid=$!
  echo "alerts lane started (pid $alerts_pid), its output in $alerts_log, printed at the end" >&2
  main_lane || status=$?
  wait "$alerts_pid" || status=$?; alerts_pid=
  echo; echo "== alerts lane (alerts, ownership and PostgreSQL suites), from $alerts_log:"; cat "$alerts_log"
fi

fig "total: $((SECONDS - t0))s"
echo; echo "compose run figures:"; cat "$figures"
exit "$status"
