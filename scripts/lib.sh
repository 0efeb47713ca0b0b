# shellcheck shell=bash
# Helpers the repo's shell scripts share; source it: `. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"`.
# Sets ostack_root (the checkout) and ostack_cache (OSTACK_CACHE, default ~/.cache/ostack: Go builds, plugins...).
ostack_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ostack_cache="${OSTACK_CACHE:-$HOME/.cache/ostack}"

# env_val NAME [FILE]: NAME's value in FILE (default .env), quotes, spaces and CRs removed; empty when unset.
env_val() { sed -n "s/^$1=//p" "${2:-$ostack_root/.env}" | tr -d ' "\r'; }

# kill_tree PID: PID and every process under it (a subshell's children do not die with it).
kill_tree() {
  local c
  for c in $(ps -o pid= --ppid "$1"); do kill_tree "$c"; done
  kill "$1" 2>/dev/null || true
}

# build_lock NAME: holds $ostack_cache/locks/NAME.lock (fd 9) until the script exits, so a second caller of a
# cached build (.ci/run starts them in the background) waits for the first one, then finds the cache.
build_lock() {
  mkdir -p "$ostack_cache/locks"
  exec 9>"$ostack_cache/locks/$1.lock"
  flock 9
}

# apt_install PACKAGE...: Debian packages (root), one apt at a time among our scripts (the lint step and the
# background builds may install at once, and a second apt-get fails on apt's lock). `-o`: a daemon that a package
# starts must not inherit, and so hold, our lock.
apt_install() {
  mkdir -p "$ostack_cache/locks"
  flock -o "$ostack_cache/locks/apt.lock" sh -c \
    'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"' apt_install "$@" >&2
}

# go_install_static PKG LDFLAGS DEST [MODDIR]: `go install PKG` as release builds do (CGO off: a static binary;
# trimmed paths; stamped through LDFLAGS) into a scratch GOBIN, then moved to DEST whole (a reader never sees half a
# file). With MODDIR it runs inside that main module, so its replace directives apply (PKG then has no @version).
go_install_static() {
  local pkg=$1 ldflags=$2 dest=$3 dir=${4:-.} out name
  name=${pkg%@*}
  name=${name##*/}
  out="$(mktemp -d)"
  (cd "$dir" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOBIN="$out" go install -trimpath -ldflags "$ldflags" "$pkg") >&2
  mkdir -p "${dest%/*}"
  cp "$out/$name" "$dest.tmp.$$" && mv -f "$dest.tmp.$$" "$dest"
  rm -rf "$out"
}

# jaeger_go_build CMD GOMOD LDFLAGS DEST: github.com/jaegertracing/jaeger/cmd/CMD at module version GOMOD. `go install
# pkg@version` refuses modules with replace directives (v1.75.0 has one), so a throwaway main module requires Jaeger
# and repeats its replace, which a dependency's go.mod cannot apply.
jaeger_go_build() {
  local cmd=$1 gomod=$2 ldflags=$3 dest=$4 mod pkg=github.com/jaegertracing/jaeger/cmd/$1
  mod="$(mktemp -d)"
  cat >"$mod/go.mod" <<MOD
module ostack.local/jaeger-$cmd-build

go 1.24

require github.com/jaegertracing/jaeger $gomod

replace github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0
MOD
  (cd "$mod" && GOFLAGS=-buildvcs=false go get "$pkg@$gomod") >&2
  go_install_static "$pkg" "$ldflags" "$dest" "$mod"
  rm -rf "$mod"
}
