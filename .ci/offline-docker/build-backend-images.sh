#!/usr/bin/env bash
# Builds the backend images of docker-compose.yml here, under the exact names and tags .env pins, since no registry
# can be reached: otel/opentelemetry-collector-contrib, jaegertracing/jaeger and prom/prometheus, each from static
# binaries built from the Go module proxy (stack/scripts/build-*.sh, cached) in the layout of the official image.
# Loki and Grafana are not built (AGPL): CI's compose run uses stand-ins (OSTACK_STANDINS=1, stack/compose/).
# Prints build seconds to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
root=$ostack_root
images="$root/.ci/offline-docker/images"
busybox="$(bash "$root/.ci/offline-docker/build-base-images.sh" | tail -n1)"

ctx() { local d; d=$(mktemp -d); cp "$images/$1/Dockerfile" "$d/"; echo "$d"; }
build() { # name tag context [build args...]
  local name=$1 tag=$2 dir=$3 t; shift 3; t=$(date +%s)
  docker build -q -t "$tag" "$@" "$dir" >/dev/null
  rm -rf "$dir"
  echo "image $name ($tag): $(( $(date +%s) - t ))s" >&2
}

t=$(date +%s); collector=$(bash "$root/stack/scripts/build-collector.sh" | tail -n1); echo "binary otelcol: $(( $(date +%s) - t ))s" >&2
d=$(ctx otelcol-contrib); cp "$collector" "$d/otelcol-contrib"; cp "$root/config_volumes/otel-collector/config.yaml" "$d/"
build otelcol-contrib "otel/opentelemetry-collector-contrib:$(env_val OTELCOL_VERSION)" "$d" --build-arg "VERSION=$(env_val OTELCOL_VERSION)"

t=$(date +%s); jaeger=$(bash "$root/stack/scripts/build-jaeger.sh" | tail -n1); echo "binary jaeger: $(( $(date +%s) - t ))s" >&2
d=$(ctx jaeger); cp "$jaeger" "$d/jaeger-linux"
build jaeger "jaegertracing/jaeger:$(env_val JAEGER_VERSION)" "$d" --build-arg "BASE=$busybox" --build-arg "VERSION=$(env_val JAEGER_VERSION)"

t=$(date +%s); prom=$(bash "$root/stack/scripts/build-prometheus.sh" | tail -n1); echo "binary prometheus: $(( $(date +%s) - t ))s" >&2
d=$(ctx prometheus); cp "$prom/prometheus" "$prom/promtool" "$d/"; cp "$root/config_volumes/prometheus/prometheus.yml" "$d/"
build prometheus "prom/prometheus:$(env_val PROMETHEUS_VERSION)" "$d" --build-arg "BASE=$busybox" --build-arg "VERSION=$(env_val PROMETHEUS_VERSION)"
