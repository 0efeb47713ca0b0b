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
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/mod" "$cache/bin"
  # A throwaway main module: `go install pkg@version` refuses modules with replace directives (v1.75.0 has
  # one), so require Jaeger here and repeat its replace, which a dependency's go.mod cannot apply.
  cat > "$work/mod/go.mod" <<MOD
module ostack.local/jaeger-build

go 1.24

require github.com/jaegertracing/jaeger $gomod

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
MOD
  echo "building jaeger $ver from github.com/jaegertracing/jaeger@$gomod; a cold build takes minutes" >&2
  pkg=github.com/jaegertracing/jaeger/cmd/jaeger
  vpkg=github.com/jaegertracing/jaeger/internal/version
  # Stamp what the release build stamps, so `jaeger version` and /metrics report the pinned release.
  ldflags="-s -w -X $vpkg.latestVersion=v$ver -X $vpkg.commitSHA=$commit"
  # CGO off: a static binary, as the release build makes (the image base has no glibc).
  (cd "$work/mod" && GOFLAGS=-buildvcs=false go get "$pkg@$gomod" && CGO_ENABLED=0 \
    GOFLAGS=-buildvcs=false GOBIN="$work/bin" go install -trimpath -ldflags "$ldflags" "$pkg") >&2
  cp "$work/bin/jaeger" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
else
  echo "cached: $bin" >&2
fi

echo "jaeger ready in $(( $(date +%s) - start ))s" >&2
echo "$bin"
