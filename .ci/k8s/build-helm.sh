#!/usr/bin/env bash
# Builds the Helm CLI (helm.sh/helm/v4 at HELM_VERSION, ./cmd/helm) that installs the chart in CI's Kubernetes lane,
# stamped with its version as the release build does. The module has no replace directives: `go install` does.
# Cached by version. The LAST stdout line is the directory holding `helm` (it goes on PATH).
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
build_lock helm
ver="$(env_val HELM_VERSION "$ostack_root/.ci/k8s/versions.env")"
dir="$ostack_cache/bin/helm-$ver"
if [ ! -x "$dir/helm" ]; then
  echo "building helm $ver; a few minutes cold on 2 cores" >&2
  vpkg=helm.sh/helm/v4/internal/version
  go_install_static "helm.sh/helm/v4/cmd/helm@$ver" "-s -w -X $vpkg.version=$ver -X $vpkg.gitTreeState=clean" "$dir/helm"
else
  echo "cached: $dir" >&2
fi
echo "helm ready in $(($(date +%s) - start))s" >&2
echo "$dir"
