#!/usr/bin/env bash
# Every Go build of a CI run, each cached: Prometheus and promtool, then Helm (npm test's promtool checks and chart
# tests need them first), the compose and buildx CLI plugins of the offline Docker (.ci/offline-docker/install-tools.sh,
# which installs Debian's docker.io too), the Collector, Jaeger, Jaeger's es-index-cleaner (an image of the Kubernetes
# lane; same module as Jaeger, seconds after it); then the Kubernetes lane's (.ci/k8s/: Kubernetes, about 10 minutes
# cold, and CoreDNS), last so that the compose lane's are ready first. .ci/run starts this in the background as soon
# as Node is there, so cold builds and their module downloads overlap npm's steps; each script holds a lock while it
# builds, so the later foreground call waits for it and finds the cache. Warm: a second or two.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
for script in stack/scripts/build-prometheus.sh .ci/k8s/build-helm.sh .ci/offline-docker/install-tools.sh \
  stack/scripts/build-collector.sh stack/scripts/build-jaeger.sh .ci/k8s/build-es-index-cleaner.sh \
  .ci/k8s/build-kubernetes.sh .ci/k8s/build-coredns.sh; do
  t=$(date +%s)
  # Kubernetes and CoreDNS are wanted only after the compose lanes, which they would otherwise slow down when cold.
  case $script in .ci/k8s/build-kubernetes.sh | .ci/k8s/build-coredns.sh) nice=(nice -n 15) ;; *) nice=() ;; esac
  "${nice[@]}" bash "$ostack_root/$script" >/dev/null
  echo "$script: $(($(date +%s) - t))s" >&2
done
