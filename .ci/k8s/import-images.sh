#!/usr/bin/env bash
# import-images.sh IMAGE...: copies images from the Docker engine that DOCKER_HOST names (CI's private dockerd,
# where .ci/offline-docker built them) into the test cluster's containerd (namespace k8s.io, which the kubelet
# uses): `docker save` piped to `ctr images import`, no registry. An image already there with the same id (a label
# set at import) is skipped. Prints the time taken on stderr.
set -euo pipefail
sock=/run/ostack-k8s/containerd.sock
[ -S "$sock" ] || { echo "no cluster containerd at $sock: run cluster.sh up first" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: $0 IMAGE..." >&2; exit 2; }
start=$SECONDS
ctr=(ctr -a "$sock" -n k8s.io)

# ref IMAGE: the name containerd (and so the kubelet) gives IMAGE, e.g. postgres:15 -> docker.io/library/postgres:15.
ref() {
  local name=$1 first=${1%%/*}
  if [[ $name != */* ]]; then
    name="docker.io/library/$name"
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    name="docker.io/$name"
  fi
  [[ ${name##*/} == *[:@]* ]] || name="$name:latest"
  echo "$name"
}

todo=() ids=() refs=()
for image in "$@"; do
  id="$(docker image inspect -f '{{.Id}}' "$image")"
  r="$(ref "$image")"
  if "${ctr[@]}" images ls | awk -v r="$r" '$1 == r { print $NF }' | grep -q "ostack.image-id=$id"; then
    echo "present: $image" >&2
    continue
  fi
  todo+=("$image") ids+=("$id") refs+=("$r")
done
if [ ${#todo[@]} -gt 0 ]; then
  echo "importing ${todo[*]}" >&2
  docker save "${todo[@]}" | "${ctr[@]}" images import - >/dev/null
  for i in "${!todo[@]}"; do "${ctr[@]}" images label "${refs[i]}" "ostack.image-id=${ids[i]}" >/dev/null; done
fi
echo "images: ${#todo[@]} imported, $(($# - ${#todo[@]})) present, in $((SECONDS - start))s" >&2
