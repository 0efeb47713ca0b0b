#!/usr/bin/env bash
# `npm audit` of the production dependencies: fails on high or critical advisories. Where the registry's audit
# endpoint cannot be reached (some mirrors and sandboxes answer 405), it says so and does not fail: no finding is
# not the same as no answer, and the message keeps that visible.
set -uo pipefail
out=$(npm audit --omit=dev --audit-level=high 2>&1)
status=$?
echo "$out"
if [ "$status" -ne 0 ] && grep -qE "audit endpoint returned an error|ENOAUDIT|405 Method Not Allowed" <<<"$out"; then
  echo "npm audit: the registry's audit endpoint did not answer here; NOT checked (run it where it does)" >&2
  exit 0
fi
exit "$status"
