#!/usr/bin/env bash
# `npm run test:compose`: the proof that starts its OWN copy of the shipped stack (docker-compose.yml and .env as
# they are, the data in .stack-run/ instead of data_volumes/), runs the stack suites against it, and takes it down,
# whatever happens. It uses the Docker you have: `docker` and `docker compose` v2 on PATH, DOCKER_HOST as set, and
# the images compose pulls or builds. It installs nothing, starts no daemon and builds no backend; root is needed
# only by the ownership suite (skipped otherwise). Against a stack you started yourself: npm run test:running-stack.
#
# Two lanes run side by side, each a compose project with its own data and host address:
#   main    project `ostack-test` on 127.0.0.1: stack, links, sampling, containers suites; then the figures.
#   alerts  project `ostack-test-alerts` on 127.0.0.2: the alerts suite, which mostly waits out the rules' windows
#           and for: durations (on a fresh stack its pages fire within minutes); then the ownership suite; then the
#           PostgreSQL variant: project `ostack-test-postgres` on 127.0.0.3 with docker-compose.postgres.yml, its suite.
# With arguments (vitest filters, e.g. `sampling.test.ts`), only the main lane runs, with those arguments (only the
# PostgreSQL variant when they name postgres.test.ts).
#   OSTACK_STANDINS=1  the Loki stand-in of stack/compose/standins.yaml, and no Grafana (CI: neither image can be had)
#   OSTACK_PULL=never  compose's pull policy for `up` (default: missing); CI's: a missing image fails the run
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ostack_root"
standins="${OSTACK_STANDINS:-0}"
pull="${OSTACK_PULL:-missing}"

# What this needs from the machine, said plainly before anything starts.
missing() {
  printf 'npm run test:compose: %s\nIt runs on the Docker you have and installs nothing (stack/README.md).\n' "$1" >&2
  exit 1
}
command -v docker >/dev/null || missing "docker is not on PATH: install Docker Engine (or Docker Desktop)."
compose_version="$(docker compose version --short 2>/dev/null)" ||
  missing "\`docker compose\` (v2) not found: install Docker's compose plugin (docker-compose-plugin)."
compose_version="${compose_version#v}"
# `!override` and `!reset` in the compose overrides: compose 2.24.4 or later.
[ "$(printf '%s\n' 2.24.4 "$compose_version" | sort -V | head -n1)" = 2.24.4 ] ||
  missing "docker compose $compose_version is too old: 2.24.4 or later is needed."
docker info >/dev/null 2>&1 ||
  missing "no Docker engine answers at ${DOCKER_HOST:-the default socket}: $(docker info 2>&1 | tail -n1)"

npm run build # the suites' helpers load the workspaces' dist/
run="$ostack_root/.stack-run"
mkdir -p "$run"
figures="$run/figures.txt"
: >"$figures"
fig() { echo "$*" | tee -a "$figures" >&2; }
t0=$SECONDS

export COMPOSE_FILE="docker-compose.yml:stack/compose/test-data.yaml"
[ "$standins" = 1 ] && COMPOSE_FILE+=":stack/compose/standins.yaml"
# the PostgreSQL variant: the users' override, and its data moved like the others'
postgres_files="docker-compose.postgres.yml:stack/compose/test-data-postgres.yaml"
postgres_only=
if [[ " $* " == *postgres.test* ]]; then postgres_only=1; fi
projects=(ostack-test ostack-test-alerts ostack-test-ownership ostack-test-postgres)
# `down` of a project whatever state it is in (the overrides' variables must be set for compose to read them).
down() {
  COMPOSE_FILE="$COMPOSE_FILE:$postgres_files" OSTACK_TEST_DATA="$run" OSTACK_LOKI_STANDIN_DIR="$run" \
    docker compose -p "$1" --profile load down --remove-orphans
}
alerts_pid=
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
  local status=$? p
  [ -n "$alerts_pid" ] && kill -0 "$alerts_pid" 2>/dev/null && kill_tree "$alerts_pid"
  for p in "${projects[@]}"; do down "$p" >/dev/null 2>&1 || true; done
  exit "$status"
}
trap cleanup EXIT
for p in "${projects[@]}"; do down "$p" >/dev/null 2>&1 || true; done # what an interrupted run left behind

# The host ports of docker-compose.yml must be free on the lanes' addresses (your own stack may hold them).
ports="$(grep -oE '\{OSTACK_BIND_ADDRESS:-127\.0\.0\.1\}:[0-9]+' docker-compose.yml | cut -d: -f3 | sort -un)"
addresses=(127.0.0.1)
if [ $# -eq 0 ]; then addresses+=(127.0.0.2 127.0.0.3); fi
if [ -n "$postgres_only" ]; then addresses=(127.0.0.3); fi
for address in "${addresses[@]}"; do
  for port in $ports; do
    if (: <"/dev/tcp/$address/$port") 2>/dev/null; then
      missing "$address:$port is taken (your own stack? \`docker compose down\` first, or run the suites against it: npm run test:running-stack)."
    fi
  done
done

# fresh_dir DIR: an empty DIR. What the containers wrote there belongs to OSTACK_UID: where we may not remove it,
# a throwaway container of the Node base image does.
fresh_dir() {
  rm -rf "$1" 2>/dev/null ||
    docker run --rm --pull never --network none --user 0:0 -v "$1:/d" --entrypoint sh \
      "node:$(env_val NODE_IMAGE_TAG)" -c 'rm -rf /d/* /d/.[!.]*'
  rm -rf "$1"
  mkdir -p "$1"
}
# lane NAME PROJECT ADDRESS: this shell's compose project, host address and fresh data folder (test-data.yaml).
# data-init hands the folder's subfolders to OSTACK_UID, the stand-in's records folder (loki/) included.
lane() {
  export COMPOSE_PROJECT_NAME=$2 OSTACK_BIND_ADDRESS=$3 OSTACK_TEST_DATA="$run/$1/data"
  fresh_dir "$run/$1"
  mkdir -p "$OSTACK_TEST_DATA/loki"
  if [ "$standins" = 1 ]; then export OSTACK_LOKI_STANDIN_DIR="$OSTACK_TEST_DATA/loki"; fi
}
up() {
  local t=$SECONDS
  docker compose up -d --wait --wait-timeout 180 --pull "$pull"
  fig "up --wait ($COMPOSE_PROJECT_NAME): $((SECONDS - t))s"
}
stack_suite() { npx vitest run --config stack/vitest.stack.config.mts "$@"; }
# The PostgreSQL variant's project, address and files (docker-compose.postgres.yml on top of the shipped file).
postgres_lane_env() {
  lane postgres ostack-test-postgres 127.0.0.3
  export COMPOSE_FILE="$COMPOSE_FILE:$postgres_files"
}

# The services' images of each lane's project (the second one from the first one's build cache).
t=$SECONDS
(lane main ostack-test 127.0.0.1 && docker compose --profile load build --quiet)
[ $# -gt 0 ] || (lane alerts ostack-test-alerts 127.0.0.2 && docker compose build --quiet)
if [ $# -eq 0 ] || [ -n "$postgres_only" ]; then (postgres_lane_env && docker compose build --quiet); fi
fig "service images (compose build): $((SECONDS - t))s"

postgres_lane() (
  postgres_lane_env
  t=$SECONDS
  up
  status=0
  stack_suite "${@:-postgres.test.ts}" || status=$?
  docker compose down --remove-orphans >/dev/null
  fig "lane postgres: $((SECONDS - t))s"
  exit "$status"
)

main_lane() (
  lane main ostack-test 127.0.0.1
  t=$SECONDS
  up
  sleep 20
  bash stack/scripts/compose-figures.sh memory idle >>"$figures" || true
  status=0
  if [ $# -gt 0 ]; then
    stack_suite "$@" || status=$?
  else
    stack_suite stack.test.ts links.test.ts sampling.test.ts containers.test.ts || status=$?
  fi
  bash stack/scripts/compose-figures.sh >>"$figures" || true
  docker compose --profile load down --remove-orphans >/dev/null
  fig "lane main: $((SECONDS - t))s"
  exit "$status"
)

alerts_lane() (
  lane alerts ostack-test-alerts 127.0.0.2
  t=$SECONDS
  up
  status=0
  stack_suite alerts.test.ts || status=$?
  docker compose --profile load down --remove-orphans >/dev/null
  # Copies of the checkout owned by root and by another uid than OSTACK_UID: each brings its own copy up, then down.
  if [ "$(id -u)" != 0 ]; then
    echo "ownership suite skipped: it chowns copies of the checkout to root and uid 1001, which needs root (CI runs it)"
  elif [ "$status" = 0 ]; then
    COMPOSE_PROJECT_NAME=ostack-test-ownership npx vitest run --config stack/vitest.ownership.config.mts || status=$?
  fi
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
  alerts_lane >"$alerts_log" 2>&1 &
  alerts_pid=$!
  echo "alerts lane started (pid $alerts_pid), its output in $alerts_log, printed at the end" >&2
  main_lane || status=$?
  wait "$alerts_pid" || status=$?
  alerts_pid=
  printf '\n== alerts lane (alerts, ownership and PostgreSQL suites), from %s:\n' "$alerts_log"
  cat "$alerts_log"
fi

fig "total: $((SECONDS - t0))s"
printf '\ncompose run figures:\n'
cat "$figures"
exit "$status"
