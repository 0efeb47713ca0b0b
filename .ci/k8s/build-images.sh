#!/usr/bin/env bash
# build-images.sh pause|coredns: the test cluster's own images, as OCI archives for `ctr images import` (no
# registry, no engine): `pause`, the pod sandbox (images/pause.c, static, gcc), and `coredns`, the binary of
# build-coredns.sh. Each is one static binary in an otherwise empty image, run as an unprivileged user. Cached
# under ~/.cache/ostack/k8s/images by content (pause) or version (CoreDNS). The LAST stdout line is the archive.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$ostack_root/.ci/k8s"
out="$ostack_cache/k8s/images"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/rootfs"
case "${1:-}" in
  pause)
    tag="$(cat "$here/images/pause.c" "$here/images/oci-archive.sh" | sha256sum | cut -c1-12)"
    tar="$out/pause-$tag.tar"
    if [ ! -f "$tar" ]; then
      if ! command -v gcc >/dev/null || [ ! -f /usr/lib/x86_64-linux-gnu/libc.a ]; then apt_install gcc libc6-dev; fi
      gcc -static -O2 -s -Wall -Wextra -Werror -o "$work/rootfs/pause" "$here/images/pause.c"
      bash "$here/images/oci-archive.sh" "docker.io/ostack/k8s-pause:$tag" "$work/rootfs" "$tar" \
        '{"Entrypoint":["/pause"],"User":"65535:65535"}'
    fi
    ;;
  coredns)
    ver="$(env_val COREDNS_VERSION "$here/versions.env")"
    tar="$out/coredns-$ver.tar"
    if [ ! -f "$tar" ]; then
      cp "$(bash "$here/build-coredns.sh" | tail -n1)" "$work/rootfs/coredns"
      bash "$here/images/oci-archive.sh" "docker.io/ostack/k8s-coredns:$ver" "$work/rootfs" "$tar" \
        '{"Entrypoint":["/coredns"],"User":"65532:65532","ExposedPorts":{"1053/udp":{},"1053/tcp":{}}}'
    fi
    ;;
  *) echo "usage: $0 pause|coredns" >&2; exit 2 ;;
esac
echo "$tar"
