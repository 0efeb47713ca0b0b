#!/usr/bin/env bash
# `npm run test:stack`: the native proof of the compose stack. Builds (or reuses from the cache) the Collector
# and Jaeger at the versions .env pins, installs Debian's Prometheus, gives each compose host a network
# namespace, runs stack/test/stack with the shipped config_volumes/, and cleans up every process and namespace it
# made.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
t0=$SECONDS
[ "$(id -u)" = 0 ] || { echo "the native stack needs root (network namespaces, /etc/hosts)" >&2; exit 1; }

t=$SECONDS; collector=$(bash stack/scripts/build-collector.sh | tail -n1); collector_s=$((SECONDS - t))
t=$SECONDS; jaeger=$(bash stack/scripts/build-jaeger.sh | tail -n1); jaeger_s=$((SECONDS - t))
t=$SECONDS; bash stack/scripts/install-prometheus.sh >&2; prometheus_s=$((SECONDS - t))

bash stack/scripts/netns.sh up
trap 'bash stack/scripts/netns.sh down' EXIT
t=$SECONDS
status=0
OSTACK_COLLECTOR_BIN="$collector" OSTACK_JAEGER_BIN="$jaeger" \
  npx vitest run --config stack/vitest.stack.config.mts "$@" || status=$?
run_s=$((SECONDS - t))

printf '\nstack figures: collector build %ss, jaeger build %ss, prometheus install %ss, run %ss, total %ss\n' \
  "$collector_s" "$jaeger_s" "$prometheus_s" "$run_s" "$((SECONDS - t0))"
[ "$status" = 0 ] || echo "program logs: $root/.stack-run/logs/" >&2
exit "$status"
