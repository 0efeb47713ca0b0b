#!/usr/bin/env bash
# CI's single-node Kubernetes cluster (the `npm run test:k8s` lane), all of it inside the network namespace
# `ostack-k8s`, so every address, route and iptables rule of the cluster stays there:
#   host 10.220.0.1/30 <-veth-> node 10.220.0.2/30 (apiserver :6443, kubelet :10250); pods 10.221.0.0/16 on the
#   bridge cni0; Services 10.222.0.0/16 (kube-proxy, iptables mode); cluster DNS 10.222.0.10 (provision.sh).
# Debian's containerd (own socket, root and state: never the private dockerd's), runc, CNI plugins and etcd; the
# Kubernetes binaries of build-kubernetes.sh. Needs root. Usage:
#   cluster.sh up     starts it (reuses a running one), prints `export KUBECONFIG=... PATH=...` on stdout
#   cluster.sh down   stops every process by pid and undoes what the cluster changed on the host; safe to repeat
#   cluster.sh env    prints the env of a running cluster
# The kubelet sets host-wide sysctls (vm.overcommit_memory, kernel.panic...): `up` saves them first, `down` puts
# them back, and removes what the kubelet and CNI create outside our directories (/var/log/pods,
# /var/log/containers, /var/lib/cni, /var/lib/kubelet) unless they were there before. Nothing here touches the
# private dockerd or its containerd. Progress and logs: stderr and ~/.cache/ostack/k8s/logs/.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
here="$ostack_root/.ci/k8s"
ns=ostack-k8s node=ostack-k8s
host_if=ostk8s-host node_if=ostk8s-node host_ip=10.220.0.1 node_ip=10.220.0.2
pod_cidr=10.221.0.0/16 service_cidr=10.222.0.0/16 api_ip=10.222.0.1 dns_ip=10.222.0.10
run=/run/ostack-k8s data=/var/lib/ostack-k8s
home="$ostack_cache/k8s" # survives `down`: kubeconfig, certificates, logs, the host's saved state
pki="$home/pki" logs="$home/logs" saved="$home/host-state"
sock="$run/containerd.sock"
server="https://$node_ip:6443"
# What the kubelet changes host-wide (pkg/kubelet/cm: setupKernelTunables).
sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes)
# Every daemon, and so containerd's shims, in a cgroup of their own: `down` finds what a crash left by its pids.
own_cgroup="$([ -d /sys/fs/cgroup/pids ] && echo /sys/fs/cgroup/pids || echo /sys/fs/cgroup)/ostack-k8s"
# Started in this order, stopped in the reverse one.
daemons=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

log() { echo "cluster: $*" >&2; }
in_ns() { nsenter --net="/run/netns/$ns" -- "$@"; }

# alive NAME: the pid in NAME's pidfile runs the program NAME (a pid left by a crash may have been reused).
alive() {
  local pid
  pid="$(cat "$run/$1.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q "$1"
}

# gone PID: no such process, or a zombie (our daemons' parent is init, which may reap them late).
gone() {
  local state
  state="$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null)"
  [ -z "$state" ] || [ "$state" = Z ]
}

# stop_pid NAME PID [SECONDS]: TERM, then KILL after SECONDS (default 10).
stop_pid() {
  local name=$1 pid=$2 i t=$SECONDS
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < ${3:-10} * 10; i++)); do
    gone "$pid" && { log "stopped $name ($((SECONDS - t))s)"; return 0; }
    sleep 0.1
  done
  log "killing $name (pid $pid): still there after ${3:-10}s"
  kill -9 "$pid" 2>/dev/null || true
}

# start NAME ARG...: runs ARG... in the namespace and $own_cgroup, detached; log in $logs/NAME.log, pid in
# $run/NAME.pid (setsid, sh and nsenter each exec in place: $! is the daemon's own pid).
start() {
  local name=$1
  shift
  mkdir -p "$own_cgroup"
  # shellcheck disable=SC2016 # expanded by that sh
  setsid sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$own_cgroup" \
    nsenter --net="/run/netns/$ns" -- "$@" >"$logs/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds; on timeout, the tail of WHAT's log.
wait_for() {
  local what=$1 secs=$2 i
  shift 2
  for ((i = 0; i < secs * 5; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  log "$what not ready after ${secs}s"
  tail -n 30 "$logs/$what.log" >&2 2>/dev/null || true
  return 1
}

print_env() {
  echo "export KUBECONFIG=$home/kubeconfig PATH=$(cat "$run/path"):\$PATH"
}

install_packages() {
  local missing=() p ours=
  for p in containerd runc containernetworking-plugins etcd-server iproute2 iptables openssl util-linux curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing ${missing[*]}"
  # Debian's etcd and containerd start their own daemons on install: refuse service starts meanwhile.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && ours=1
  fi
  apt_install "${missing[@]}" || { [ -z "$ours" ] || rm -f /usr/sbin/policy-rc.d; return 1; }
  [ -z "$ours" ] || rm -f /usr/sbin/policy-rc.d
}

# cert NAME CN [O] [SANS]: an EC key and a certificate signed by the cluster CA, for client and server use.
cert() {
  local subj="/CN=$2" ext
  [ -z "${3:-}" ] || subj="/O=$3$subj"
  ext="extendedKeyUsage=serverAuth,clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  [ -z "${4:-}" ] || ext="$ext
subjectAltName=$4"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$pki/$1.key" -subj "$subj" \
    2>/dev/null | openssl x509 -req -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 3650 \
    -extfile <(echo "$ext") -out "$pki/$1.crt" 2>/dev/null
}

# kubeconfig FILE CERT: a kubeconfig for the apiserver with the client certificate CERT, data embedded.
kubeconfig() {
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: $ns
    cluster:
      server: $server
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: $2
    user:
      client-certificate-data: $(base64 -w0 "$pki/$2.crt")
      client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
  - name: $ns
    context: {cluster: $ns, user: $2}
current-context: $ns
EOF
  chmod 600 "$1"
}

make_pki() {
  rm -rf "$pki" && mkdir -p "$pki" && chmod 700 "$pki"
  openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 -subj "/CN=$ns-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,\
DNS:kubernetes.default.svc.cluster.local,IP:$api_ip,IP:$node_ip,IP:127.0.0.1"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert admin ostack-admin system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kube-proxy system:kube-proxy
  cert kubelet "system:node:$node" system:nodes "DNS:$node,IP:$node_ip"
  openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$pki/sa.key"
  openssl ec -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  kubeconfig "$home/kubeconfig" admin
  local c
  for c in controller-manager scheduler kube-proxy kubelet; do kubeconfig "$pki/$c.kubeconfig" "$c"; done
}

write_configs() {
  mkdir -p "$data/cni/net.d" "$data/config"
  cat >"$data/config/containerd.toml" <<EOF
version = 2
root = "$data/containerd"
state = "$run/containerd-state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$data/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$(cat "$run/pause-image")"
  # No CAP_SYS_RESOURCE in this sandbox: runc may only raise a container's oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  stream_server_address = "127.0.0.1"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "$run/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$data/cni/net.d"
EOF
  # One node, so the whole pod CIDR is its range.
  cat >"$data/cni/net.d/10-$ns.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$ns",
  "plugins": [
    {
      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$data/cni/networks",
        "ranges": [[{ "subnet": "$pod_cidr", "gateway": "${pod_cidr%.0/16}.1" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
  # Pods with dnsPolicy Default (CoreDNS itself) get this; the cluster has no way out, so no upstream resolver.
  echo "nameserver $dns_ip" >"$data/config/resolv.conf"
  cat >"$data/config/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# The host is on cgroup v1 and its own cgroups are plain directories: cgroupfs, as containerd's runc.
failCgroupV1: false
cgroupDriver: cgroupfs
failSwapOn: false
containerRuntimeEndpoint: unix://$sock
address: $node_ip
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
clusterDNS: [$dns_ip]
clusterDomain: cluster.local
resolvConf: $data/config/resolv.conf
# A shared CI machine: evict only near the floor, and never garbage-collect images (none can be pulled again).
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, nodefs.inodesFree: 1%, imagefs.available: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
  cat >"$data/config/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
hostnameOverride: $node
clusterCIDR: $pod_cidr
clientConnection: {kubeconfig: $pki/kube-proxy.kubeconfig}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
iptables: {localhostNodePorts: false}
# 0: leave the conntrack table size and timeouts alone (host-wide or not ours to set).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

save_host_state() {
  [ ! -f "$saved" ] || return 0 # a crashed run's file holds the values from before it: keep them
  local s d
  {
    for s in "${sysctls[@]}"; do echo "sysctl $s $(sysctl -n "$s")"; done
    # The kubelet's device-plugin socket is always under /var/lib/kubelet, whatever its root dir.
    for d in /var/log/pods /var/log/containers /var/lib/cni /var/lib/kubelet; do [ -e "$d" ] || echo "created $d"; done
    mountpoint -q /run/netns || echo "mounted /run/netns" # `ip netns add` makes it a mount point
  } >"$saved.tmp"
  mv "$saved.tmp" "$saved"
}

network_up() {
  ip netns add "$ns"
  ip link add "$host_if" type veth peer name "$node_if"
  ip link set "$node_if" netns "$ns"
  ip addr add "$host_ip/30" dev "$host_if"
  ip link set "$host_if" up
  in_ns ip link set lo up
  in_ns ip addr add "$node_ip/30" dev "$node_if"
  in_ns ip link set "$node_if" up
  in_ns ip route add default via "$host_ip"
  # Per-namespace settings: routing between pods, Services and the node; bridged traffic through iptables.
  in_ns sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1
}

up() {
  if alive kube-apiserver && [ -f "$run/path" ]; then
    log "already up: reusing it"
    print_env
    return 0
  fi
  if [ -d "$run" ] || ip netns list | grep -qw "$ns"; then
    log "leftovers of an earlier run: cleaning up first"
    down
  fi
  local t0=$SECONDS kdir hdir
  install_packages
  kdir="$(bash "$here/build-kubernetes.sh" | tail -n1)"
  hdir="$(bash "$here/build-helm.sh" | tail -n1)"
  mkdir -p "$run" "$data" "$home" "$logs"
  echo "$kdir:$hdir" >"$run/path"
  trap 'log "up failed: tearing down"; down' EXIT
  save_host_state
  bash "$here/build-images.sh" pause >"$run/pause-archive"
  sed -n 's/.*"io.containerd.image.name":"\([^"]*\)".*/\1/p' <(tar -xOf "$(cat "$run/pause-archive")" index.json) \
    >"$run/pause-image"
  make_pki
  write_configs
  network_up
  log "network namespace $ns: node $node_ip, host $host_ip ($((SECONDS - t0))s)"

  start containerd containerd --config "$data/config/containerd.toml"
  wait_for containerd 30 ctr -a "$sock" version
  ctr -a "$sock" -n k8s.io images import "$(cat "$run/pause-archive")" >/dev/null
  start etcd etcd --name "$node" --data-dir "$data/etcd" --listen-client-urls http://127.0.0.1:2379 \
    --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster "$node=http://127.0.0.1:2380"
  wait_for etcd 30 in_ns curl -fsS http://127.0.0.1:2379/health
  start kube-apiserver "$kdir/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 --advertise-address="$node_ip" \
    --bind-address=0.0.0.0 --secure-port=6443 --service-cluster-ip-range="$service_cidr" \
    --authorization-mode=Node,RBAC --allow-privileged=true --client-ca-file="$pki/ca.crt" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$pki/apiserver-kubelet-client.key" --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" --profiling=false
  wait_for kube-apiserver 120 "$kdir/kubectl" --kubeconfig "$home/kubeconfig" get --raw /readyz
  log "apiserver ready ($((SECONDS - t0))s)"
  start kube-controller-manager "$kdir/kube-controller-manager" --kubeconfig="$pki/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$pki/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$pki/controller-manager.kubeconfig" --bind-address=127.0.0.1 --leader-elect=false \
    --use-service-account-credentials=true --service-account-private-key-file="$pki/sa.key" \
    --root-ca-file="$pki/ca.crt" --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
    --allocate-node-cidrs=true --cluster-cidr="$pod_cidr" --node-cidr-mask-size=16 \
    --service-cluster-ip-range="$service_cidr" --profiling=false
  start kube-scheduler "$kdir/kube-scheduler" --kubeconfig="$pki/scheduler.kubeconfig" \
    --authentication-kubeconfig="$pki/scheduler.kubeconfig" --authorization-kubeconfig="$pki/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false
  start kubelet "$kdir/kubelet" --config="$data/config/kubelet.yaml" --kubeconfig="$pki/kubelet.kubeconfig" \
    --root-dir="$data/kubelet" --hostname-override="$node" --node-ip="$node_ip"
  start kube-proxy "$kdir/kube-proxy" --config="$data/config/kube-proxy.yaml"
  wait_for kubelet 120 "$kdir/kubectl" --kubeconfig "$home/kubeconfig" wait --for=condition=Ready "node/$node" \
    --timeout=1s
  # Pods can be created once the default namespace has its ServiceAccount.
  wait_for kube-controller-manager 60 "$kdir/kubectl" --kubeconfig "$home/kubeconfig" get serviceaccount default
  local i
  mkdir -p "$data/volumes"
  for i in $(seq -w 1 "${OSTACK_K8S_VOLUMES:-16}"); do mkdir -p "$data/volumes/local-$i"; done
  trap - EXIT
  log "node $node Ready in $((SECONDS - t0))s"
  print_env
}

# unmount_under DIR: every mount at or below DIR, deepest first.
unmount_under() {
  local m
  findmnt -rn -o TARGET | grep -E "^$1(/|\$)" | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
}

# kill_cgroup DIR: KILLs every process in the cgroup DIR and those below it, by pid; waits until they are gone.
kill_cgroup() {
  local i pids
  for ((i = 0; i < 50; i++)); do
    pids="$(find "$1" -name cgroup.procs -exec cat {} + 2>/dev/null)"
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # one pid per word
    kill -9 $pids 2>/dev/null
    sleep 0.1
  done
  log "processes left in $1: $pids"
}

down() {
  trap - EXIT
  set +e # whatever fails, undo the rest
  local t0=$SECONDS i d
  # The kubelet first, so that it restarts nothing; then every container through containerd, while it runs.
  alive kubelet && stop_pid kubelet "$(cat "$run/kubelet.pid")" 20
  if alive containerd; then
    local ctr=(ctr -a "$sock" -n k8s.io)
    for i in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -s SIGKILL "$i" 2>/dev/null || true; done
    for i in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$i" >/dev/null 2>&1 || true; done
  fi
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    d=${daemons[i]}
    alive "$d" && stop_pid "$d" "$(cat "$run/$d.pid")" 20
    rm -f "$run/$d.pid"
  done
  # What a crash left behind: shims (in our cgroup), containers (in the kubepods cgroups), shims' sockets.
  kill_cgroup "$own_cgroup"
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do [ ! -d "$d" ] || kill_cgroup "$d"; done
  for d in "$run"/containerd-state/io.containerd.runtime.v2.task/*/*/address; do
    [ ! -f "$d" ] || rm -f "$(sed -n 's#^unix://##p' "$d")"
  done
  unmount_under "$data"
  unmount_under "$run"
  if ip netns list | grep -qw "$ns"; then ip netns del "$ns"; fi
  ip link del "$host_if" 2>/dev/null || true
  # A mount left there could be a bind of a host directory (a subPath): never delete through one.
  for d in "$run" "$data"; do
    if findmnt -rn -o TARGET | grep -qE "^$d(/|\$)"; then
      log "mounts left under $d: not removing it"
    else
      rm -rf "$d"
    fi
  done
  # The kubepods cgroups and ours, deepest first (a cgroup directory goes with rmdir, its files with it).
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods "$own_cgroup"; do
    [ ! -d "$d" ] || find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  if [ -f "$saved" ]; then
    while read -r what name value; do
      case $what in
        sysctl) sysctl -qw "$name=$value" ;;
        created) rm -rf "$name" ;;
        mounted) [ -n "$(ls -A "$name" 2>/dev/null)" ] || umount "$name" 2>/dev/null ;;
      esac
    done <"$saved"
    rm -f "$saved"
  fi
  for d in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods "$own_cgroup"; do [ ! -d "$d" ] || log "left: $d"; done
  log "down in $((SECONDS - t0))s"
  set -e
}

[ "$(id -u)" = 0 ] || { echo "cluster.sh needs root" >&2; exit 1; }
case "${1:-}" in
  up) up ;;
  down) down ;;
  env)
    alive kube-apiserver || { log "not running"; exit 1; }
    print_env
    ;;
  *) echo "usage: $0 up|down|env" >&2; exit 2 ;;
esac
