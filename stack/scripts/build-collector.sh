#!/usr/bin/env bash
# Builds the native Collector (otelcol-ostack) from stack/collector/manifest.yaml with the official builder
# (ocb) at the version pinned in .env, so the native stack runs the same component code as the compose image.
# Needs only Go and the Go module proxy. The binary is cached by version + manifest hash; a second run is a
# no-op. Progress goes to stderr; the LAST stdout line is the binary path (callers: `bin=$(... | tail -n1)`).
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
root=$ostack_root cache=$ostack_cache
manifest="$root/stack/collector/manifest.yaml"
build_lock collector

ver="$(env_val OTELCOL_VERSION)"
[ -n "$ver" ] || { echo "OTELCOL_VERSION missing from $root/.env" >&2; exit 1; }

# Every v0.x module and dist.version must match .env; the v1.x (stable) modules are held by strict versioning.
bad="$(grep -oE 'v0\.[0-9]+\.[0-9]+' "$manifest" | sort -u | grep -vx "v$ver" || true)"
dist_ver="$(sed -n 's/^  version: *//p' "$manifest" | tr -d ' "')"
if [ -n "$bad" ] || [ "$dist_ver" != "$ver" ]; then
  echo "manifest versions differ from OTELCOL_VERSION=$ver: ${bad//$'\n'/ } dist.version=$dist_ver" >&2
  exit 1
fi

command -v go >/dev/null || { echo "go not found on PATH" >&2; exit 1; }
hash="$(sha256sum "$manifest" | cut -c1-12)"
bin="$cache/bin/otelcol-ostack-$ver-$hash"

if [ ! -x "$bin" ]; then
  builder_dir="$cache/tools/ocb-v$ver"
  if [ ! -x "$builder_dir/builder" ]; then
    echo "installing go.opentelemetry.io/collector/cmd/builder@v$ver into $builder_dir" >&2
    GOBIN="$builder_dir" go install "go.opentelemetry.io/collector/cmd/builder@v$ver" >&2
  fi
  work="$cache/build/otelcol-ostack-$ver-$hash"
  mkdir -p "$work" "$cache/bin"
  echo "building otelcol-ostack $ver (manifest $hash) in $work; a cold build takes minutes" >&2
  # Strict versioning: fail if dependency resolution moves any module off the manifest's version.
  (cd "$work" && "$builder_dir/builder" --config "$manifest" --skip-strict-versioning=false) >&2
  cp "$work/_build/otelcol-ostack" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
else
  echo "cached: $bin" >&2
fi

echo "collector ready in $(( $(date +%s) - start ))s" >&2
echo "$bin"
