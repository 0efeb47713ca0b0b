#!/usr/bin/env bash
# Checks that the test cluster does what the chart needs, with images of CI's private Docker engine (DOCKER_HOST):
# a 2-replica Deployment (postgres of .env) behind a ClusterIP and a headless Service; from another pod (node of
# .env, as uid 1000 with fsGroup 1000): both names resolve through CoreDNS (the headless one to both pods), TCP
# reaches the Service and each pod, the apiserver answers through the `kubernetes` Service with the pod's
# service-account token, and a PersistentVolumeClaim of the default StorageClass binds and is writable. Cleans up
# after itself (namespace ostack-smoke; the PV it used is made anew). Needs KUBECONFIG and PATH of provision.sh.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
start=$SECONDS
ns=ostack-smoke
server="postgres:$(env_val POSTGRES_IMAGE_TAG)" client="node:$(env_val NODE_IMAGE_TAG)"
bash "$ostack_root/.ci/k8s/import-images.sh" "$server" "$client"
pv=
cleanup() {
  kubectl delete namespace "$ns" --wait=true --timeout=120s >/dev/null 2>&1 || true
  if [ -n "$pv" ]; then # Retain: the PV is Released now; wipe its directory and offer it again
    dir="$(kubectl get pv "$pv" -o jsonpath='{.spec.local.path}')"
    kubectl delete pv "$pv" --wait=true >/dev/null
    find "$dir" -mindepth 1 -delete
    bash "$ostack_root/.ci/k8s/local-volumes.sh" | kubectl apply -f - >/dev/null
  fi
}
trap cleanup EXIT
kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: db}
spec:
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: postgres
          image: $server
          env: [{name: POSTGRES_PASSWORD, value: smoke}]
          readinessProbe:
            exec: {command: [pg_isready, -U, postgres, -h, 127.0.0.1]}
            periodSeconds: 2
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: db-headless}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1 # sleep, as PID 1, ignores SIGTERM
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true}
  containers:
    - name: node
      image: $client
      command: [sleep, infinity]
      env: [{name: NODE_EXTRA_CA_CERTS, value: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt}]
      volumeMounts: [{name: data, mountPath: /data}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: data}}]
EOF
kubectl -n "$ns" rollout status deployment/db --timeout=180s >/dev/null
kubectl -n "$ns" wait --for=condition=Ready pod/client --timeout=120s >/dev/null
echo "smoke: pods Ready in $((SECONDS - start))s" >&2
pv="$(kubectl -n "$ns" get pvc data -o jsonpath='{.spec.volumeName}')"
echo "smoke: PVC data $(kubectl -n "$ns" get pvc data -o jsonpath='{.status.phase}') to $pv" >&2
pod_ips="$(kubectl -n "$ns" get pods -l app=db -o jsonpath='{.items[*].status.podIP}')"
service_ip="$(kubectl -n "$ns" get service db -o jsonpath='{.spec.clusterIP}')"
# shellcheck disable=SC2016 # the script is JavaScript, run in the client pod
kubectl -n "$ns" exec client -- node -e '
const dns = require("node:dns/promises"), net = require("node:net"), fs = require("node:fs");
const [serviceIp, podIps] = [process.argv[1], process.argv[2].split(" ").sort()];
const check = (what, ok, got) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}: ${got}`);
  if (!ok) process.exitCode = 1;
};
const connect = (host) => new Promise((resolve) => {
  const s = net.connect(5432, host, () => { s.destroy(); resolve("connected"); });
  s.on("error", (e) => resolve(e.message)).setTimeout(5000, () => { s.destroy(); resolve("timeout"); });
});
(async () => {
  const svc = (await dns.lookup("db")).address;
  check("db resolves to the ClusterIP", svc === serviceIp, svc);
  const fqdn = (await dns.lookup("db.ostack-smoke.svc.cluster.local")).address;
  check("db.ostack-smoke.svc.cluster.local resolves", fqdn === serviceIp, fqdn);
  let headless = []; // CoreDNS learns of new endpoints by a watch, and caches answers for their TTL (5 s)
  for (let i = 0; i < 20 && headless.join(" ") !== podIps.join(" "); i++) {
    if (i) await new Promise((r) => setTimeout(r, 500));
    headless = (await dns.resolve4("db-headless.ostack-smoke.svc.cluster.local")).sort();
  }
  check("db-headless resolves to both pods", headless.join(" ") === podIps.join(" "), headless.join(" "));
  for (const host of ["db", ...podIps]) {
    const got = await connect(host);
    check(`TCP ${host}:5432`, got === "connected", got);
  }
  const token = fs.readFileSync("/var/run/secrets/kubernetes.io/serviceaccount/token", "utf8");
  const res = await fetch("https://kubernetes.default.svc/version", { headers: { authorization: `Bearer ${token}` } });
  const version = (await res.json()).gitVersion;
  check("apiserver through the kubernetes Service (TLS, token)", res.ok && /^v1\./.test(version), version);
  fs.writeFileSync("/data/written-by-uid-1000", "ok\n");
  const st = fs.statSync("/data/written-by-uid-1000"), dir = fs.statSync("/data");
  check("PVC writable as uid 1000, fsGroup 1000 on the volume", st.uid === 1000 && dir.gid === 1000,
    `file uid ${st.uid} gid ${st.gid}, dir gid ${dir.gid} mode ${(dir.mode & 0o7777).toString(8)}`);
})().catch((e) => { console.log(`FAIL ${e.message}`); process.exitCode = 1; });
' "$service_ip" "$pod_ips"
echo "smoke: passed in $((SECONDS - start))s" >&2
