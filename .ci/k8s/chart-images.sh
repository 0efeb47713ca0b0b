#!/usr/bin/env bash
# chart-images.sh [VALUES_FILE...]: every image the chart (charts/ostack) runs with those values (default: CI's,
# stack/k8s/test-values.yaml + stack/k8s/standins-values.yaml), one a line, read from `helm template` itself so the
# list cannot drift from the chart: what import-images.sh copies into the test cluster,
#   bash .ci/k8s/import-images.sh $(bash .ci/k8s/chart-images.sh)
# Uses helm from PATH, else the one .ci/k8s/build-helm.sh caches.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ostack_root"
if [ $# -eq 0 ]; then set -- stack/k8s/test-values.yaml stack/k8s/standins-values.yaml; fi
values=()
for f in "$@"; do values+=(--values "$f"); done
helm=helm
command -v helm >/dev/null || helm="$(bash .ci/k8s/build-helm.sh | tail -n1)/helm"
"$helm" template ostack charts/ostack "${values[@]}" |
  sed -n -E 's/^[[:space:]]*(- )?image:[[:space:]]*"?([^"[:space:]]+)"?[[:space:]]*$/\2/p' | sort -u
