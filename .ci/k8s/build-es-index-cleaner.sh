#!/usr/bin/env bash
# Builds Jaeger's es-index-cleaner (cmd/es-index-cleaner of github.com/jaegertracing/jaeger), which the chart's
# trace-retention CronJob runs as jaegertracing/jaeger-es-index-cleaner:<module version without v>: the same module
# version as the Jaeger binary (stack/jaeger/build.env: JAEGER_GO_VERSION, the approved v1.x that is the pinned v2
# release's tree), static (CGO off) as the release build. Cached by version; a second run is a no-op. Progress to
# stderr; the LAST stdout line is the binary path.
set -euo pipefail
start=$(date +%s)
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
build_lock jaeger-es-index-cleaner
map="$ostack_root/stack/jaeger/build.env"
gomod="$(env_val JAEGER_GO_VERSION "$map")"
commit="$(env_val JAEGER_COMMIT "$map")"
[ -n "$gomod" ] || { echo "JAEGER_GO_VERSION missing from $map" >&2; exit 1; }
bin="$ostack_cache/bin/jaeger-es-index-cleaner-$gomod-static"

if [ ! -x "$bin" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/mod" "$ostack_cache/bin"
  # As build-jaeger.sh: a throwaway main module that repeats Jaeger's replace directive.
  cat >"$work/mod/go.mod" <<MOD
module ostack.local/jaeger-es-index-cleaner-build

go 1.24

require github.com/jaegertracing/jaeger $gomod

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
MOD
  echo "building jaeger es-index-cleaner from github.com/jaegertracing/jaeger@$gomod" >&2
  pkg=github.com/jaegertracing/jaeger/cmd/es-index-cleaner
  vpkg=github.com/jaegertracing/jaeger/internal/version
  ldflags="-s -w -X $vpkg.latestVersion=$gomod -X $vpkg.commitSHA=$commit"
  (cd "$work/mod" && GOFLAGS=-buildvcs=false go get "$pkg@$gomod" && CGO_ENABLED=0 \
    GOFLAGS=-buildvcs=false GOBIN="$work/bin" go install -trimpath -ldflags "$ldflags" "$pkg") >&2
  cp "$work/bin/es-index-cleaner" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
else
  echo "cached: $bin" >&2
fi
echo "es-index-cleaner ready in $(($(date +%s) - start))s" >&2
echo "$bin"
