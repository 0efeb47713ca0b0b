#!/usr/bin/env bash
# Gives each compose host of the stack a network of its own, so the shipped configs (which bind 0.0.0.0 and
# name hosts like otel-collector, jaeger, prometheus) run unmodified, as in compose:
#   - one network namespace per program host (ostack-<host>), each with its own IP on a bridge;
#   - the test client (the test process itself) is an address of the bridge in the root namespace;
#   - the compose names resolve through a marked block in /etc/hosts.
# Addresses are in 10.213.0.0/24, private to this machine: nothing leaves it. Needs root and iproute2.
#   netns.sh up | down | exec <host> <command...>
set -euo pipefail
BRIDGE=ostack-br0
SUBNET_PREFIX=10.213.0
# host -> last octet. Namespaced hosts run a program; root-ns hosts are the test process's own addresses.
NAMESPACED=(order-service:10 inventory-service:11 otel-collector:12 jaeger:13 loki:14 prometheus:15)
ROOT_NS=(test-client:1)
MARK="# ostack native stack (stack/scripts/netns.sh)"

hosts_block() {
  for entry in "${NAMESPACED[@]}" "${ROOT_NS[@]}"; do echo "$SUBNET_PREFIX.${entry#*:} ${entry%%:*} $MARK"; done
}

down() {
  for entry in "${NAMESPACED[@]}"; do
    ns="ostack-${entry%%:*}"
    if ip netns list | grep -qw "$ns"; then
      # End whatever still runs inside before the namespace goes.
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
  ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
  if grep -q "$MARK" /etc/hosts; then
    # /etc/hosts may be a bind mount: rewrite it in place rather than replace the file.
    grep -v "$MARK" /etc/hosts > /tmp/ostack-hosts.$$ && cat /tmp/ostack-hosts.$$ > /etc/hosts && rm -f /tmp/ostack-hosts.$$
  fi
}

up() {
  down
  ip link add "$BRIDGE" type bridge
  ip link set "$BRIDGE" up
  for entry in "${ROOT_NS[@]}"; do ip addr add "$SUBNET_PREFIX.${entry#*:}/24" dev "$BRIDGE"; done
  for entry in "${NAMESPACED[@]}"; do
    host=${entry%%:*}; octet=${entry#*:}; ns="ostack-$host"
    ip netns add "$ns"
    ip link add "ostk-v$octet" type veth peer name eth0 netns "$ns"
    ip link set "ostk-v$octet" master "$BRIDGE" up
    ip -n "$ns" addr add "$SUBNET_PREFIX.$octet/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  done
  hosts_block >> /etc/hosts
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  exec) shift; host=$1; shift; exec ip netns exec "ostack-$host" "$@" ;;
  *) echo "usage: $0 up|down|exec <host> <command...>" >&2; exit 2 ;;
esac
