#!/usr/bin/env bash
# The `postgres` image of docker-compose.postgres.yml, built here since no registry can be reached: Debian bookworm
# (debootstrap) with Debian's postgresql-15, in the official image's layout (user postgres 999, PGDATA
# /var/lib/postgresql/data, postgres binaries on PATH, /docker-entrypoint-initdb.d, listen_addresses '*') and our own
# entrypoint (images/postgres/docker-entrypoint.sh), tagged `postgres:$POSTGRES_IMAGE_TAG` as .env pins it and
# labelled `org.opencontainers.image.vendor=ostack-local-build`. Skipped when that image exists.
# Needs root, debootstrap and DOCKER_HOST pointing at an engine. Prints the image name.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
val() { sed -n "s/^$1=//p" "$root/.env" | tr -d ' "\r'; }
tag="$(val POSTGRES_IMAGE_TAG)"                        # e.g. 15.20-bookworm
image="postgres:$tag"
major="${tag%%.*}"                                     # 15
suite="${tag##*-}"                                     # bookworm
mirror="${OSTACK_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi
echo "building $image from debootstrap $suite + Debian's postgresql-$major" >&2
t=$(date +%s)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -20 "$work/debootstrap.log" >&2; exit 1; }
# Security updates too: the point release of bookworm-security is the one a fresh official image carries.
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
SOURCES
# No service starts inside the chroot; Debian's postinst would otherwise create and start a `main` cluster.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"; chmod 0755 "$rootfs/usr/sbin/policy-rc.d"
chroot "$rootfs" /bin/sh -euc "
  export DEBIAN_FRONTEND=noninteractive
  # the official image's user and group ids
  groupadd -r -g 999 postgres
  useradd -r -u 999 -g postgres -d /var/lib/postgresql -s /bin/bash postgres
  mkdir -p /var/lib/postgresql && chown postgres:postgres /var/lib/postgresql
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql-common >/dev/null
  sed -ri 's/#?\s*create_main_cluster\s*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf
  apt-get install -y -qq --no-install-recommends postgresql-$major libnss-wrapper >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/log/* /tmp/*
"
rm -f "$rootfs/usr/sbin/policy-rc.d"
# shellcheck disable=SC2016 # dpkg-query's own format
version="$(chroot "$rootfs" dpkg-query -W -f '${Version}' "postgresql-$major")"   # e.g. 15.20-0+deb12u1
upstream="${version%%-*}"
[ "$upstream" = "${tag%%-*}" ] ||
  echo "WARNING: Debian's postgresql-$major is $upstream, .env pins $image: the image carries $upstream" >&2
# As the official image: listen on every address (its Dockerfile edits the sample the same way), socket dir for
# any uid, an empty init folder.
sed -ri "s!^#?(listen_addresses)\s*=\s*\S+.*!\1 = '*'!" "$rootfs/usr/share/postgresql/$major/postgresql.conf.sample"
grep -q "^listen_addresses = '\*'" "$rootfs/usr/share/postgresql/$major/postgresql.conf.sample"
# Inside the chroot: the rootfs' /var/run is an absolute symlink to /run, which from outside is the host's.
chroot "$rootfs" /bin/sh -euc '
  mkdir -p /var/run/postgresql /docker-entrypoint-initdb.d /var/lib/postgresql/data
  chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data
  chmod 3777 /var/run/postgresql && chmod 1777 /var/lib/postgresql/data
'
# The rootfs as a base image of its own, then the official image's metadata from a Dockerfile (docker import's
# --change knows no STOPSIGNAL).
base="ostack-local/postgres-rootfs:$tag"
tar -C "$rootfs" -c . | docker import --change 'LABEL org.opencontainers.image.vendor=ostack-local-build' - "$base" >/dev/null
ctx="$work/context"; mkdir -p "$ctx"
cp "$root/.ci/offline-docker/images/postgres/Dockerfile" "$root/.ci/offline-docker/images/postgres/docker-entrypoint.sh" "$ctx/"
chmod 0755 "$ctx/docker-entrypoint.sh"
docker build -q -t "$image" --build-arg "BASE=$base" --build-arg "PG_MAJOR=$major" --build-arg "PG_VERSION=$version" \
  --build-arg "VERSION=$upstream" "$ctx" >/dev/null
echo "$image built in $(( $(date +%s) - t ))s (postgresql-$major $version)" >&2
echo "$image"
