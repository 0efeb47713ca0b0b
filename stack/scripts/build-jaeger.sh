#!/usr/bin/env bash
# Builds the native Jaeger v2 binary (cmd/jaeger) at the release pinned in .env (JAEGER_VERSION), from the Go
# module version that stack/jaeger/build.env maps it to, so the native stack runs the compose image's code.
# Needs only Go and the Go module proxy. Cached by version; a second run is a no-op. Such a build serves
# Jaeger's placeholder UI (the real UI assets are built with npm in the release pipeline, not in the module).
# Progress goes to stderr; the LAST stdout line is the binary path (callers: `bin=$(... | tail -n1)`).
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
root=$ostack_root cache=$ostack_cache
build_lock jaeger

ver="$(env_val JAEGER_VERSION)"
[ -n "$ver" ] || { echo "JAEGER_VERSION missing from $root/.env" >&2; exit 1; }
map="$root/stack/jaeger/build.env"
mapped="$(env_val JAEGER_VERSION "$map")"
gomod="$(env_val JAEGER_GO_VERSION "$map")"
commit="$(env_val JAEGER_COMMIT "$map")"
if [ "$mapped" != "$ver" ] || [ -z "$gomod" ]; then
  echo "JAEGER_VERSION=$ver in .env but $map maps ${mapped:-nothing}: update both together" >&2
  exit 1
fi

command -v go >/dev/null || { echo "go not found on PATH" >&2; exit 1; }
bin="$cache/bin/jaeger-$ver-static"

if [ ! -x "$bin" ]; then
  echo "building jaeger $ver from github.com/jaegertracing/jaeger@$gomod; a cold build takes minutes" >&2
  vpkg=github.com/jaegertracing/jaeger/internal/version
  # Stamp what the release build stamps, so `jaeger version` and /metrics report the pinned release; static (CGO
  # off) as the release build makes (the image base has no glibc).
  jaeger_go_build jaeger "$gomod" "-s -w -X $vpkg.latestVersion=v$ver -X $vpkg.commitSHA=$commit" "$bin"
else
  echo "cached: $bin" >&2
fi

echo "jaeger ready in $(( $(date +%s) - start ))s" >&2
echo "$bin"
