#!/usr/bin/env bash
# The services' images under the names the chart uses, ostack/<workspace>:<appVersion> (charts/ostack/Chart.yaml;
# the root package.json's version before the chart exists), built from the repo's Dockerfile with the very command
# docs/kubernetes.md gives users (`docker build --build-arg WORKSPACE=... -t ... .`), with BuildKit (the Dockerfile
# mounts an optional npm CA secret: NODE_EXTRA_CA_CERTS when set, as compose passes it), the Node base .env pins and
# the LOCAL_DEPS docker-compose.yml passes (the load generator needs only telemetry). Docker's layer cache makes a
# second run quick.
# Needs DOCKER_HOST pointing at an engine that has the Node base (.ci/offline-docker/build-base-images.sh).
# Prints the image names, one a line; build seconds to stderr.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cd "$ostack_root"
chart=charts/ostack/Chart.yaml
if [ -f "$chart" ]; then
  version="$(sed -n 's/^appVersion: *//p' "$chart" | tr -d "\"' \r")"
else
  version="$(node -p 'require("./package.json").version')"
fi
[ -n "$version" ] || { echo "no appVersion in $chart" >&2; exit 1; }
# compose's build args of a service (YAML merge keys resolved), e.g. LOCAL_DEPS
local_deps() {
  node -e 'const { parse } = require("yaml");
    const file = parse(require("fs").readFileSync("docker-compose.yml", "utf8"), { merge: true });
    process.stdout.write(file.services[process.argv[1]].build.args.LOCAL_DEPS ?? "")' "$1"
}
for workspace in order-service inventory-service load-generator; do
  t=$(date +%s)
  deps="$(local_deps "$workspace")"
  DOCKER_BUILDKIT=1 docker build -q --build-arg "NODE_IMAGE=node:$(env_val NODE_IMAGE_TAG)" \
    ${NODE_EXTRA_CA_CERTS:+--secret "id=npm_ca,src=$NODE_EXTRA_CA_CERTS"} \
    --build-arg "WORKSPACE=$workspace" ${deps:+--build-arg "LOCAL_DEPS=$deps"} -t "ostack/$workspace:$version" . \
    >/dev/null
  echo "image ostack/$workspace:$version: $(($(date +%s) - t))s" >&2
  echo "ostack/$workspace:$version"
done
