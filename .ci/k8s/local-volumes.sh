#!/usr/bin/env bash
# Prints the test cluster's `local` PersistentVolumes, one per directory that cluster.sh up made under
# /var/lib/ostack-k8s/volumes (OSTACK_K8S_VOLUMES of them, default 16), each OSTACK_K8S_VOLUME_SIZE (default 2Gi),
# of the StorageClass ostack-local, pinned to the one node:   bash local-volumes.sh | kubectl apply -f -
set -euo pipefail
size="${OSTACK_K8S_VOLUME_SIZE:-2Gi}"
for dir in /var/lib/ostack-k8s/volumes/*/; do
  [ -d "$dir" ] || { echo "no volume directories: is the cluster up?" >&2; exit 1; }
  dir="${dir%/}"
  cat <<EOF2
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: ostack-${dir##*/}
  labels: {app.kubernetes.io/managed-by: ostack-ci}
spec:
  capacity: {storage: $size}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: ostack-local
  volumeMode: Filesystem
  local: {path: $dir}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions:
            - {key: kubernetes.io/hostname, operator: In, values: [ostack-k8s]}
EOF2
done
