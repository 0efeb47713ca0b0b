#!/usr/bin/env bash
# oci-archive.sh NAME ROOTFS OUT CONFIG_JSON: packs the directory ROOTFS as a one-layer image named NAME (e.g.
# docker.io/ostack/k8s-pause:1) into the OCI archive OUT, which `ctr images import` reads; CONFIG_JSON is the
# image's run config ({"Entrypoint": [...], "User": "..."}). For images that are one static binary (pause,
# CoreDNS): no engine, no base image, no registry. The layer is reproducible (sorted, owned by root, mtime 0).
set -euo pipefail
name=$1 rootfs=$2 out=$3 config=$4
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
blobs="$work/blobs/sha256"
mkdir -p "$blobs"
# blob FILE: moves FILE into blobs/ under its digest; prints "DIGEST SIZE".
blob() {
  local d s
  d="$(sha256sum "$1" | cut -d' ' -f1)" s="$(stat -c %s "$1")"
  mv "$1" "$blobs/$d"
  echo "$d $s"
}
tar -C "$rootfs" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer" .
read -r layer layer_size < <(blob "$work/layer")
printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
  "$config" "$layer" >"$work/config"
read -r cfg cfg_size < <(blob "$work/config")
mt=application/vnd.oci.image
printf '{"schemaVersion":2,"mediaType":"%s","config":%s,"layers":[%s]}' "$mt.manifest.v1+json" \
  "{\"mediaType\":\"$mt.config.v1+json\",\"digest\":\"sha256:$cfg\",\"size\":$cfg_size}" \
  "{\"mediaType\":\"$mt.layer.v1.tar\",\"digest\":\"sha256:$layer\",\"size\":$layer_size}" >"$work/manifest"
read -r man man_size < <(blob "$work/manifest")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"%s",%s,%s}]}' "$mt.manifest.v1+json" \
  "\"digest\":\"sha256:$man\",\"size\":$man_size,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}" \
  "\"annotations\":{\"io.containerd.image.name\":\"$name\",\"org.opencontainers.image.ref.name\":\"${name##*:}\"}" \
  >"$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
tar -C "$work" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out.tmp.$$" oci-layout index.json blobs
mv -f "$out.tmp.$$" "$out"
