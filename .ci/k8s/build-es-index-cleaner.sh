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
  echo "building jaeger es-index-cleaner from github.com/jaegertracing/jaeger@$gomod" >&2
  vpkg=github.com/jaegertracing/jaeger/internal/version
  jaeger_go_build es-index-cleaner "$gomod" "-s -w -X $vpkg.latestVersion=$gomod -X $vpkg.commitSHA=$commit" "$bin"
else
  echo "cached: $bin" >&2
fi
echo "es-index-cleaner ready in $(($(date +%s) - start))s" >&2
echo "$bin"
