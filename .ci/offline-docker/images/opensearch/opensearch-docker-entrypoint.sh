#!/bin/bash
# Entrypoint of the OpenSearch STAND-IN image (Dockerfile beside it), configured the way the official image's
# entrypoint configures it: every environment variable whose name is a setting (two or more dot-separated
# lower-case words, e.g. cluster.name, node.name, discovery.seed_hosts, cluster.initial_cluster_manager_nodes,
# node.store.allow_mmap; or `processors`) becomes `-E name=value`; OPENSEARCH_JAVA_OPTS adds JVM options (heap);
# the process may not run as root; files are created group-writable.
#
# What this stand-in is NOT, against opensearchproject/opensearch of the same version:
# - no security plugin: HTTP and transport are plain, without TLS or users (the official image starts with them on
#   unless DISABLE_SECURITY_PLUGIN=true). DISABLE_SECURITY_PLUGIN, DISABLE_INSTALL_DEMO_CONFIG and
#   OPENSEARCH_INITIAL_ADMIN_PASSWORD are accepted and change nothing; `plugins.security.*` settings from the
#   environment are dropped with a notice (a server without the plugin would refuse them as unknown).
# - no other plugin (index management/ISM, alerting, SQL, k-NN, ...) and no performance analyzer (9600/9650), and of
#   the distribution's modules only transport-netty4: no painless scripts, ingest pipelines, reindex,
#   analysis-common analyzers, mapper-extras, parent-join, percolator, aggs-matrix-stats.
# - Debian's OpenJDK 17 instead of the bundled JDK; Debian bookworm instead of Amazon Linux.
# - OpenSearch runs as PID 1 (exec), so it gets SIGTERM itself.
# - Where the hard limit of open files is below 65535 (CI's sandbox: 20000, which nothing there may raise), OpenSearch
#   is shown 65535 (nofile-floor.c) so that its bootstrap checks pass; the official image would not start there.
set -euo pipefail
export OPENSEARCH_HOME=/usr/share/opensearch
export OPENSEARCH_PATH_CONF="$OPENSEARCH_HOME/config"
# As the official image: the JVM reads the container's own cgroup for its statistics.
export OPENSEARCH_JAVA_OPTS="-Dopensearch.cgroups.hierarchy.override=/ ${OPENSEARCH_JAVA_OPTS:-}"

# `docker run IMAGE -Efoo=bar` runs opensearch with that flag; any other command runs as given.
if [ $# -eq 0 ] || [ "${1:0:1}" = - ]; then set -- opensearch "$@"; fi
[ "$1" = opensearch ] || exec "$@"

umask 0002
if [ "$(id -u)" = 0 ]; then
  echo "OpenSearch cannot run as root. Please start your container as another user." >&2
  exit 1
fi
echo "OpenSearch STAND-IN image: no security plugin (plain HTTP, no users), no plugins beyond the server" >&2

hard="$(ulimit -Hn)"
if [ "$hard" != unlimited ] && [ "$hard" -lt 65535 ]; then
  echo "stand-in: hard open-files limit $hard < 65535: OpenSearch is shown 65535 (nofile-floor.so)" >&2
  export LD_PRELOAD=/usr/local/lib/ostack-standin/nofile-floor.so
fi

settings=()
# Names with dots are no shell variables: read them from the environment itself (NUL-separated: values may hold
# newlines; read keeps any further '=' in the value).
while IFS='=' read -r -d '' name value; do
  [[ $name =~ ^[a-z0-9_]+\.[a-z0-9_]+ || $name == processors ]] || continue
  [ -n "$value" ] || continue
  if [[ $name == plugins.security.* ]]; then
    echo "stand-in: no security plugin, ignoring $name" >&2
    continue
  fi
  settings+=("-E$name=$value")
done < <(env -0)

exec "$@" "${settings[@]}"
