#!/usr/bin/env bash
# Installs the npm test peers (snarkjs, circomlibjs) into tests/peers/node_modules.
# Test-only: the wallet never needs Node at run time. Skipped with a note when npm is absent;
# tests that need a peer then skip with that reason.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/peers: npm not found; peer cross-checks will be skipped" >&2
  exit 0
fi
if [ -d node_modules/snarkjs ] && [ -d node_modules/circomlibjs ] && [ -d node_modules/circom2 ]; then exit 0; fi
npm install --no-audit --no-fund --loglevel=error >/dev/null
