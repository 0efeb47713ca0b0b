#!/usr/bin/env bash
# Builds Prometheus and promtool at the release .env pins (PROMETHEUS_VERSION=v3.X.Y is Go module
# github.com/prometheus/prometheus v0.30X.Y) from the Go module proxy, static (CGO off). Cached by version; a second
# run is a no-op. No `builtinassets` tag: the web UI is not embedded (its assets are built with npm in the release
# pipeline), the HTTP API is complete. `remove_all_sd`: of the service discoveries only static, file and http stay
# (all prometheus.yml uses), which leaves the cloud and Kubernetes SDKs out of a cold build; `enable_dns_sd` adds
# DNS back (plugins/plugin_dns.go), which the Helm chart's Prometheus uses to find every tier-1 Collector pod behind
# a headless Service. The cache holds the tags it was built with: other tags rebuild. Progress to stderr; the LAST
# stdout line is the directory holding both.
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
cache=$ostack_cache
build_lock prometheus
ver="$(env_val PROMETHEUS_VERSION)"
[[ "$ver" =~ ^v3\.([0-9]+)\.([0-9]+)$ ]] || { echo "PROMETHEUS_VERSION=$ver in .env is not v3.X.Y" >&2; exit 1; }
gomod="v0.3${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"
dir="$cache/bin/prometheus-$ver"
tags="remove_all_sd enable_dns_sd"
if [ ! -x "$dir/prometheus" ] || [ ! -x "$dir/promtool" ] || [ "$(cat "$dir/build-tags" 2>/dev/null)" != "$tags" ]; then
  echo "building prometheus $ver (github.com/prometheus/prometheus@$gomod); minutes cold" >&2
  gobin=$(mktemp -d)
  v=github.com/prometheus/common/version
  ldflags="-s -w -X $v.Version=${ver#v} -X $v.Branch=release -X $v.BuildUser=ostack-build-prometheus.sh"
  CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS=-buildvcs=false go install -trimpath -tags "$tags" -ldflags "$ldflags" \
    "github.com/prometheus/prometheus/cmd/prometheus@$gomod" "github.com/prometheus/prometheus/cmd/promtool@$gomod" >&2
  mkdir -p "$dir" && mv -f "$gobin/prometheus" "$gobin/promtool" "$dir/" && rm -rf "$gobin"
  echo "$tags" > "$dir/build-tags"
else
  echo "cached: $dir" >&2
fi
echo "prometheus ready in $(( $(date +%s) - start ))s" >&2
echo "$dir"
