#!/usr/bin/env bash
# The OpenSearch image the Helm chart runs (charts/ostack), built here since no registry can be reached: a STAND-IN
# tagged `opensearchproject/opensearch:$OPENSEARCH_VERSION` (.ci/k8s/versions.env), labelled
# `org.opencontainers.image.vendor=ostack-local-build`. Maven Central's distribution
# (org.opensearch.distribution.integ-test-zip:opensearch:<version>:zip, fetched with mvn, checksums enforced,
# cached under $OSTACK_CACHE/opensearch/) on Debian bookworm (debootstrap, as the other base images) with Debian's
# OpenJDK 17, in the official image's layout; images/opensearch/ holds the recipe and what the stand-in lacks
# (the entrypoint's header). The host's Debian gcc builds the open-files shim (nofile-floor.c; Debian bookworm too).
# The image is rebuilt only when its inputs change (distribution, recipe, base: a label holds their hash).
# Needs root, debootstrap, mvn and DOCKER_HOST pointing at an engine. Prints the image name.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
build_lock opensearch-image
ver="$(env_val OPENSEARCH_VERSION "$ostack_root/.ci/k8s/versions.env")"
[ -n "$ver" ] || { echo "OPENSEARCH_VERSION missing from .ci/k8s/versions.env" >&2; exit 1; }
image="opensearchproject/opensearch:$ver"
recipe="$ostack_root/.ci/offline-docker/images/opensearch"
suite=bookworm # the Debian release that has openjdk-17 (trixie has 21 and 25 only)
base="ostack-local/debian:$suite-minbase"
mirror="${OSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
label=org.ostack.inputs
cache="$ostack_cache/opensearch"
zip="$cache/opensearch-$ver.zip"
t=$(date +%s)

command -v unzip >/dev/null || apt_install unzip
if ! command -v gcc >/dev/null || [ ! -f /usr/include/dlfcn.h ]; then apt_install gcc libc6-dev; fi
if [ ! -s "$zip" ]; then
  echo "fetching org.opensearch.distribution.integ-test-zip:opensearch:$ver:zip from Maven Central" >&2
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/fetch.XXXXXX")
  mvn -B -q -C dependency:copy "-Dartifact=org.opensearch.distribution.integ-test-zip:opensearch:$ver:zip" \
    "-DoutputDirectory=$tmp" >&2
  mv -f "$tmp/opensearch-$ver.zip" "$zip" && rm -rf "$tmp"
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "building $base (debootstrap --variant=minbase $suite)" >&2
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  debootstrap --variant=minbase "$suite" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # security updates too (the JDK gets them there)
  cat >"$work/rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SOURCES
  rm -rf "$work"/rootfs/var/cache/apt/archives/*.deb "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/log/*
  tar -C "$work/rootfs" -c . | docker import --change 'LABEL org.opencontainers.image.vendor=ostack-local-build' \
    --change 'CMD ["bash"]' - "$base" >/dev/null
  rm -rf "$work"; trap - EXIT
fi

inputs="$({ sha256sum "$zip" | cut -d' ' -f1; cat "$recipe"/*; docker image inspect -f '{{.Id}}' "$base"; } |
  sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f "{{index .Config.Labels \"$label\"}}" "$image" 2>/dev/null)" = "$inputs" ]; then
  echo "cached: $image ($label=$inputs)" >&2
  echo "$image"
  exit 0
fi
echo "building $image (STAND-IN: integ-test-zip distribution on Debian's JDK 17)" >&2
ctx=$(mktemp -d); trap 'rm -rf "$ctx"' EXIT
unzip -q "$zip" -d "$ctx"
mv "$ctx/opensearch-$ver" "$ctx/opensearch"
cp "$recipe"/* "$ctx/"
# the shim for machines whose open-files limit is below OpenSearch's bootstrap check (images/opensearch/nofile-floor.c)
gcc -shared -fPIC -O2 -Wall -Wextra -Werror -s -o "$ctx/nofile-floor.so" "$recipe/nofile-floor.c"
docker build -q -t "$image" --label "$label=$inputs" --build-arg "BASE=$base" --build-arg "VERSION=$ver" "$ctx" \
  >/dev/null
echo "$image built in $(($(date +%s) - t))s" >&2
echo "$image"
