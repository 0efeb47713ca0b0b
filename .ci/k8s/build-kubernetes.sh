#!/usr/bin/env bash
# Builds the test cluster's Kubernetes binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet,
# kube-proxy, kubectl) from the module k8s.io/kubernetes at KUBERNETES_VERSION, in ONE `go build` so the packages
# they share compile once. The module zip ships go.work, vendor/modules.txt and `replace k8s.io/X => ./staging/...`
# lines whose folders it lacks: both files go, and each replace points at the published k8s.io/X of the same
# release. Cached by version. The LAST stdout line is the directory holding the binaries.
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
build_lock kubernetes
ver="$(env_val KUBERNETES_VERSION "$ostack_root/.ci/k8s/versions.env")"
dir="$ostack_cache/bin/kubernetes-$ver"
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
missing=
for c in "${cmds[@]}"; do [ -x "$dir/$c" ] || missing=1; done
if [ -n "$missing" ]; then
  echo "building kubernetes $ver (${cmds[*]}); about 20 minutes cold on 2 cores" >&2
  src="$ostack_cache/build/kubernetes-$ver"
  if [ ! -f "$src/.prepared" ]; then
    rm -rf "$src" && mkdir -p "$src"
    modsrc="$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$ver" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    cp -r "$modsrc/." "$src/" && chmod -R u+w "$src"
    rm -f "$src/go.work" "$src/go.work.sum" "$src/vendor/modules.txt"
    # k8s.io/X => ./staging/src/k8s.io/X becomes k8s.io/X => k8s.io/X v0.<minor>.<patch>
    stage="v0.${ver#v1.}"
    sed -i -E "s#^(\s*(replace\s+)?k8s\.io/[a-z0-9-]+) => \./staging/src/k8s\.io/[a-z0-9-]+\$#\1 => \1 $stage#" "$src/go.mod"
    sed -i -E "s#=> (replace\s+)?k8s\.io#=> k8s.io#" "$src/go.mod"
    touch "$src/.prepared"
  fi
  out="$(mktemp -d)"
  pkgs=()
  for c in "${cmds[@]}"; do pkgs+=("./cmd/$c"); done
  (cd "$src" && CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$ver -X k8s.io/component-base/version.gitTreeState=clean" \
    -o "$out/" "${pkgs[@]}") >&2
  mkdir -p "$dir" && mv -f "$out"/* "$dir/" && rm -rf "$out"
else
  echo "cached: $dir" >&2
fi
echo "kubernetes ready in $(($(date +%s) - start))s" >&2
echo "$dir"
