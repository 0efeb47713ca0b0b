#!/usr/bin/env bash
# Docker for a machine that reaches no container registry (CI's): what a user's machine has and `npm run
# test:compose` expects, provisioned here, so that CI runs the user's very command against it. Needs root.
#   1. install-tools.sh: Debian's docker.io and debootstrap; compose and buildx CLI plugins built from the Go proxy
#   2. dockerd.sh start: a private dockerd (own socket, data root and address pool); `dockerd.sh stop` ends it
#   3. build-backend-images.sh: the images docker-compose.yml names, under .env's names and tags, built here from Go
#      modules, Debian and npm packages (the Node base, Collector, Jaeger, Prometheus, postgres); never Loki or Grafana
# Prints on stdout the environment of that engine (progress and timings on stderr):
#   eval "$(bash .ci/offline-docker/provision.sh)" && npm run test:compose; bash .ci/offline-docker/dockerd.sh stop
# OSTACK_STANDINS=1: no Loki or Grafana image here, so the compose run uses the Loki stand-in and leaves Grafana
# out; OSTACK_PULL=never: nothing is pulled, a missing image fails the run; OSTACK_LOCAL_IMAGES=1: the suites check
# that the backends run these builds.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$ostack_root/.ci/offline-docker"
[ "$(id -u)" = 0 ] || { echo "provision.sh needs root (apt, dockerd)" >&2; exit 1; }

t=$SECONDS
bash "$here/install-tools.sh"
echo "docker tools: $((SECONDS - t))s" >&2
export DOCKER_CONFIG="$ostack_cache/docker-config" # holds the plugins; ~/.docker is left alone
eval "$(bash "$here/dockerd.sh" start)"
t=$SECONDS
bash "$here/build-backend-images.sh"
echo "backend images: $((SECONDS - t))s" >&2
t=$SECONDS
bash "$here/build-postgres-image.sh" >/dev/null
echo "postgres image: $((SECONDS - t))s" >&2

echo "export DOCKER_HOST=$DOCKER_HOST DOCKER_CONFIG=$DOCKER_CONFIG"
echo "export OSTACK_STANDINS=1 OSTACK_PULL=never OSTACK_LOCAL_IMAGES=1"
