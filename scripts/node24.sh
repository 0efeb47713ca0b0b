#!/usr/bin/env bash
# Provisions the project's Node (24 LTS) from the npm registry, which ships the binary as the `node` package,
# and puts it first on PATH. Source it (`. scripts/node24.sh`) or run a command through it
# (`scripts/node24.sh npm test`). The machine's own Node may be older; nothing else is touched.
# Strict options only when run: sourced, they would stay on in the reader's shell (a failing command closes it).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then set -euo pipefail; fi
OSTACK_NODE_VERSION="${OSTACK_NODE_VERSION:-$(tr -d 'v \n' < "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")}"
OSTACK_CACHE="${OSTACK_CACHE:-$HOME/.cache/ostack}"
node_dir="$OSTACK_CACHE/node-$OSTACK_NODE_VERSION"
if [ ! -x "$node_dir/node_modules/.bin/node" ]; then
  echo "provisioning node@$OSTACK_NODE_VERSION into $node_dir" >&2
  mkdir -p "$node_dir"
  npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error "node@$OSTACK_NODE_VERSION" >&2
fi
export PATH="$node_dir/node_modules/.bin:$PATH"
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "$#" -gt 0 ]; then exec "$@"; fi
