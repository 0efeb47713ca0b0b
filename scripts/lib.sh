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
