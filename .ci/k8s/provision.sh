#!/usr/bin/env bash
# The Kubernetes lane's cluster, from nothing (CI's provisioning; needs root): builds Kubernetes, CoreDNS and Helm
# (cached by version), starts the single-node cluster (cluster.sh up), imports the CoreDNS image, applies CoreDNS
# and the storage (StorageClass ostack-local, local PersistentVolumes), waits until the node and CoreDNS are Ready.
# Prints on stdout the environment to use it (progress and timings on stderr):
#   eval "$(bash .ci/k8s/provision.sh)" && npm run test:k8s; bash .ci/k8s/cluster.sh down
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$ostack_root/.ci/k8s"
[ "$(id -u)" = 0 ] || { echo "provision.sh needs root (apt, namespaces, containerd)" >&2; exit 1; }
start=$SECONDS
for part in kubernetes coredns helm; do
  t=$SECONDS
  bash "$here/build-$part.sh" >/dev/null
  echo "provision: $part build $((SECONDS - t))s" >&2
done
t=$SECONDS
cluster_env="$(bash "$here/cluster.sh" up)"
eval "$cluster_env"
echo "provision: cluster up, node Ready, in $((SECONDS - t))s" >&2
t=$SECONDS
archive="$(bash "$here/build-images.sh" coredns | tail -n1)"
image="$(tar -xOf "$archive" index.json | sed -n 's/.*"io.containerd.image.name":"\([^"]*\)".*/\1/p')"
ctr -a /run/ostack-k8s/containerd.sock -n k8s.io images import "$archive" >/dev/null
sed "s#image: IMAGE#image: $image#" "$here/manifests/coredns.yaml" | kubectl apply -f - >/dev/null
kubectl apply -f "$here/manifests/storage-class.yaml" >/dev/null
bash "$here/local-volumes.sh" | kubectl apply -f - >/dev/null
kubectl -n kube-system rollout status deployment/coredns --timeout=180s >&2
echo "provision: CoreDNS Ready in $((SECONDS - t))s; cluster provisioned in $((SECONDS - start))s" >&2
echo "$cluster_env"
