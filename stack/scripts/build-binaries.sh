#!/usr/bin/env bash
# Every Go build of the compose run, each cached: Prometheus and promtool (npm test's promtool checks need them
# first), the Docker Engine package and CLI plugins, the Collector, Jaeger. .ci/run starts this in the background
# as soon as Node is there, so cold builds and their module downloads overlap npm's steps; each script holds a lock
# while it builds, so the later foreground call waits for it and finds the cache. Warm: a second or two.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
for script in stack/scripts/build-prometheus.sh stack/docker/install-docker-tools.sh stack/scripts/build-collector.sh \
  stack/scripts/build-jaeger.sh; do
  t=$(date +%s)
  bash "$root/$script" >/dev/null
  echo "$script: $(( $(date +%s) - t ))s" >&2
done
