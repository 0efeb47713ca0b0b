#!/usr/bin/env bash
# Installs what `docker compose` needs on a machine without a container registry (CI's): Debian's Docker Engine
# (dockerd) and debootstrap (for the Node base image), and the compose and buildx CLI plugins built from the Go
# module proxy, cached by version under $OSTACK_CACHE. Needs root (apt). Idempotent: a second run only checks.
# Progress to stderr. Never part of a user's command: provision.sh runs it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cache=$ostack_cache
build_lock docker-tools
COMPOSE_VERSION=v2.40.3
BUILDX_VERSION=v0.38.2
plugins="$cache/docker-cli-plugins"

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ "${#need[@]}" -gt 0 ]; then
  echo "apt-get install ${need[*]}" >&2
  apt_install "${need[@]}"
fi

mkdir -p "$plugins"
# compose's go.mod has exclude directives, so `go install mod@version` refuses it: build it as the main module.
if [ ! -x "$plugins/docker-compose-$COMPOSE_VERSION" ]; then
  echo "building docker compose $COMPOSE_VERSION (a few minutes cold)" >&2
  dir=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d); trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
  cp -r "$dir/." "$work/"; chmod -R u+w "$work"
  (cd "$work" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
    -o "$plugins/docker-compose-$COMPOSE_VERSION.tmp" ./cmd) >&2
  mv -f "$plugins/docker-compose-$COMPOSE_VERSION.tmp" "$plugins/docker-compose-$COMPOSE_VERSION"
fi
# compose refuses an unstamped buildx ("requires buildx 0.17 or later").
if [ ! -x "$plugins/docker-buildx-$BUILDX_VERSION" ]; then
  echo "building docker buildx $BUILDX_VERSION (a few minutes cold)" >&2
  gobin=$(mktemp -d)
  CGO_ENABLED=0 GOBIN="$gobin" go install -trimpath \
    -ldflags "-s -w -X github.com/docker/buildx/version.Version=$BUILDX_VERSION" \
    "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION" >&2
  mv -f "$gobin/buildx" "$plugins/docker-buildx-$BUILDX_VERSION"; rm -rf "$gobin"
fi
# The CLI looks plugins up by their plain names in its config dir's cli-plugins/: a config dir of our own
# (DOCKER_CONFIG=$cache/docker-config), so the user's ~/.docker is left alone.
mkdir -p "$cache/docker-config/cli-plugins"
ln -sfn "$plugins/docker-compose-$COMPOSE_VERSION" "$cache/docker-config/cli-plugins/docker-compose"
ln -sfn "$plugins/docker-buildx-$BUILDX_VERSION" "$cache/docker-config/cli-plugins/docker-buildx"
echo "docker tools ready: $(dockerd --version)" >&2
