#!/usr/bin/env bash
# Debian's Prometheus (2.42 on bookworm) for the native stack test: the compose stack runs v3, whose Go module
# cannot be built from the module proxy. prometheus.yml stays in the subset both accept.
set -euo pipefail
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then
  prometheus --version 2>&1 | head -1
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# The package would start its own daemon on :9090 (policy 101 = do not start services during install).
printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
trap 'rm -f /usr/sbin/policy-rc.d' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends prometheus >/dev/null
prometheus --version 2>&1 | head -1
