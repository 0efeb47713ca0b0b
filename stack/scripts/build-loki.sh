#!/usr/bin/env bash
# Builds the native Loki binary (cmd/loki) at the release pinned in .env (LOKI_VERSION), so the native stack runs
# the compose image's code. Needs only Go and the Go module proxy (no GitHub, no Docker):
#   - the module github.com/grafana/loki/v3@v$LOKI_VERSION comes from the proxy and is copied to a temp dir,
#     where it is built as the MAIN module: only there do its replace directives apply (`go install pkg@version`
#     refuses a module that has them, and a throwaway main module requiring Loki would ignore them);
#   - a replace that points into the repository (`github.com/grafana/loki/pkg/push => ./pkg/push`) names a nested
#     module, which a module zip never contains: each such directory is filled from the proxy with the nested
#     module at the version Loki's go.mod requires. (Loki has no tags for pkg/push; the release build uses the
#     repository's copy at the release commit, which the proxy cannot serve. The required version compiles.)
#   - flags as Loki's Makefile builds cmd/loki (CGO_ENABLED=0, -tags netgo, -s -w), with the version stamped
#     into github.com/grafana/loki/v3/pkg/util/build (what `loki -version` and /loki/api/v1/status/buildinfo show).
# Cached by version; a second run is a no-op. Progress goes to stderr; the LAST stdout line is the binary path
# (callers: `bin=$(... | tail -n1)`).
set -euo pipefail
start=$(date +%s)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${OSTACK_CACHE:-$HOME/.cache/ostack}"

ver="$(sed -n 's/^LOKI_VERSION=//p' "$root/.env" | tr -d ' "\r')"
ver="${ver#v}"
[ -n "$ver" ] || { echo "LOKI_VERSION missing from $root/.env" >&2; exit 1; }

command -v go >/dev/null || { echo "go not found on PATH" >&2; exit 1; }
bin="$cache/bin/loki-$ver"

# `go mod download -json module@version` -> the extracted, read-only directory in the module cache.
module_dir() {
  local json dir
  json="$(go mod download -json "$1")" || { echo "$json" >&2; return 1; }
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "no module directory for $1: $json" >&2; return 1; }
  echo "$dir"
}

if [ ! -x "$bin" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$cache/bin"
  mod=github.com/grafana/loki/v3
  echo "fetching $mod@v$ver from the Go module proxy" >&2
  # Outside any module, so no go.mod around decides anything.
  src="$(cd "$work" && module_dir "$mod@v$ver")"
  cp -R "$src" "$work/src"
  chmod -R u+w "$work/src"

  # Directory replaces whose target is missing: nested modules of the same repository.
  while read -r path target; do
    [ -e "$work/src/$target/go.mod" ] && continue
    required="$(cd "$work/src" && go mod edit -json | sed -n "/\"Path\": \"${path//\//\\/}\"/{n;s/^[[:space:]]*\"Version\": \"\(.*\)\".*/\1/p;}" | head -n1)"
    [ -n "$required" ] || { echo "go.mod replaces $path => $target but requires no version of it" >&2; exit 1; }
    echo "filling $target with $path@$required (nested module, not in the module zip)" >&2
    dir="$(cd "$work" && module_dir "$path@$required")"
    mkdir -p "$work/src/$target"
    cp -R "$dir/." "$work/src/$target/"
    chmod -R u+w "$work/src/$target"
  done < <(sed -n 's/^replace[[:space:]]\{1,\}\([^[:space:]]\{1,\}\)[[:space:]]*=>[[:space:]]*\.\/\([^[:space:]]\{1,\}\)[[:space:]]*$/\1 \2/p' "$work/src/go.mod")

  echo "building loki $ver in $work/src; a cold build takes many minutes" >&2
  vpkg=github.com/grafana/loki/v3/pkg/util/build
  ldflags="-s -w -X $vpkg.Version=$ver -X $vpkg.BuildUser=ostack-build-loki.sh"
  # -trimpath keeps the build cache independent of the temp dir, so a rebuild reuses it.
  (cd "$work/src" && CGO_ENABLED=0 GOFLAGS='-buildvcs=false -mod=readonly' \
    go build -trimpath -tags netgo -ldflags "$ldflags" -o "$work/loki" ./cmd/loki) >&2
  "$work/loki" -version >&2
  cp "$work/loki" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
else
  echo "cached: $bin" >&2
fi

echo "loki ready in $(( $(date +%s) - start ))s" >&2
echo "$bin"
