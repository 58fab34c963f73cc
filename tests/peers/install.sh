#!/usr/bin/env bash
# Installs the npm test peers (snarkjs, circomlibjs, circom2) into tests/peers/node_modules,
# exactly as pinned by package-lock.json. Test-only: the wallet never needs Node at run time.
# Outside CI a machine without npm skips the peer cross-checks (the tests say so); in CI
# (CI=true) a missing npm or a failed install is an error, so cross-checks can't silently vanish.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "tests/peers: npm not found, but CI needs the test peers" >&2
    exit 1
  fi
  echo "tests/peers: npm not found; peer cross-checks will be skipped" >&2
  exit 0
fi
# Up to date when node_modules was installed from exactly this lock file.
if [ -f node_modules/.anomi-lock ] && cmp -s package-lock.json node_modules/.anomi-lock; then exit 0; fi
for attempt in 1 2 3; do
  if npm ci --no-audit --no-fund --loglevel=error >/dev/null; then
    cp package-lock.json node_modules/.anomi-lock
    exit 0
  fi
  echo "tests/peers: npm ci failed (attempt $attempt of 3)" >&2
  sleep $((attempt * 5))
done
exit 1
