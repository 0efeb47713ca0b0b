#!/usr/bin/env bash
# A private Docker Engine for CI's compose run (provision.sh): its own data root, exec root, socket and address
# pool, so it touches no other engine on the machine. Needs root. `start` prints the DOCKER_HOST to use; `stop`
# ends it by its pid.   eval "$(bash .ci/offline-docker/dockerd.sh start)" ... bash .ci/offline-docker/dockerd.sh stop
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
base="$ostack_cache/dockerd"
sock="$base/docker.sock"
pidfile="$base/dockerd.pid"
# Containers' networks: a fixed private range of our own (the default bridge's 172.17/16 may be taken).
pool="${OSTACK_DOCKER_POOL:-10.213.0.0/16}"
bip="${OSTACK_DOCKER_BIP:-10.212.0.1/24}"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  start)
    mkdir -p "$base/data" /run/ostack-docker
    if ! running; then
      # containerd is started and stopped by dockerd itself (its own state under exec-root).
      nohup dockerd --data-root "$base/data" --exec-root /run/ostack-docker -H "unix://$sock" --pidfile "$pidfile" \
        --bip "$bip" --default-address-pool "base=$pool,size=24" --storage-driver overlay2 \
        >"$base/dockerd.log" 2>&1 &
      for _ in $(seq 1 60); do
        DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1 && break
        sleep 1
      done
      DOCKER_HOST="unix://$sock" docker version >/dev/null 2>&1 || { tail -20 "$base/dockerd.log" >&2; exit 1; }
    fi
    echo "export DOCKER_HOST=unix://$sock"
    ;;
  stop)
    if running; then
      pid=$(cat "$pidfile")
      kill "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
