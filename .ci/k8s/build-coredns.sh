#!/usr/bin/env bash
# Builds CoreDNS (github.com/coredns/coredns at COREDNS_VERSION, its default plugin set, which has `kubernetes`) for
# the test cluster's DNS. Its go.mod has no replace directives, so a plain `go install module@version` does.
# Cached by version. The LAST stdout line is the binary path.
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
build_lock coredns
ver="$(env_val COREDNS_VERSION "$ostack_root/.ci/k8s/versions.env")"
bin="$ostack_cache/bin/coredns-$ver/coredns"
if [ ! -x "$bin" ]; then
  echo "building coredns $ver; about 5 minutes cold on 2 cores" >&2
  go_install_static "github.com/coredns/coredns@$ver" "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$ver" "$bin"
else
  echo "cached: $bin" >&2
fi
echo "coredns ready in $(($(date +%s) - start))s" >&2
echo "$bin"
