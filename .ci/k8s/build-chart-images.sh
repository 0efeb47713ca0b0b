#!/usr/bin/env bash
# Every image the chart runs in CI's Kubernetes lane, built on the engine DOCKER_HOST names (CI's private dockerd,
# after the compose lane's .ci/offline-docker/provision.sh) under the names and tags the chart uses, since no
# registry can be reached; import-images.sh then copies them into the cluster. Each build is cached (a warm run takes
# seconds): the compose images again (Collector with load_balancing, Jaeger, Prometheus with DNS SD, postgres),
# the OpenSearch STAND-IN, Jaeger's es-index-cleaner, the services' images. Never Loki or Grafana (AGPL): the test
# values run the Loki stand-in and no Grafana. Needs root. Timings to stderr. Then, into the cluster:
#   bash .ci/k8s/import-images.sh $(bash .ci/k8s/chart-images.sh)
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$ostack_root/.ci/k8s"
offline="$ostack_root/.ci/offline-docker"
step() { # name command...
  local t=$SECONDS name=$1; shift
  "$@" >/dev/null
  echo "k8s images: $name $((SECONDS - t))s" >&2
}

busybox="$(bash "$offline/build-base-images.sh" | tail -n1)"
step "compose backend images" bash "$offline/build-backend-images.sh"
step "postgres" bash "$offline/build-postgres-image.sh"
step "opensearch (stand-in)" bash "$offline/build-opensearch-image.sh"

es_index_cleaner() { # the release layout on the busybox base, a binary built from the approved Jaeger module
  local bin ver ctx
  bin="$(bash "$here/build-es-index-cleaner.sh" | tail -n1)"
  ver="$(env_val JAEGER_GO_VERSION "$ostack_root/stack/jaeger/build.env")"
  ctx="$(mktemp -d)"
  cp "$offline/images/jaeger-es-index-cleaner/Dockerfile" "$ctx/" && cp "$bin" "$ctx/es-index-cleaner-linux"
  docker build -q -t "jaegertracing/jaeger-es-index-cleaner:${ver#v}" --build-arg "BASE=$busybox" \
    --build-arg "VERSION=${ver#v}" "$ctx"
  rm -rf "$ctx"
}
step "jaeger-es-index-cleaner" es_index_cleaner
step "services" bash "$here/build-service-images.sh"
