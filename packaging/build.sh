#!/usr/bin/env bash
# Build the onedir bundle dist/anomi/ (binaries `anomi` and `anomi-wallet`) and smoke-test it:
#   1. `anomi --help`
#   2. `anomi prove REQUEST -o PROOF` offline, on a request written by the source tree, and the
#      proof verified by the source tree (a proof made in one installation used in another)
#   3. `anomi localnet up` on a fresh ledger and a free port answers getHealth (with its side
#      services started through the bundle), then stops on SIGTERM
#   4. `anomi-wallet --help` (offscreen)
# Usage: packaging/build.sh [--no-smoke]. Uses .venv (created with the `package` extra if absent).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/.venv}
PY=$VENV/bin/python

if [ ! -x "$PY" ]; then
    "${PYTHON:-python3}" -m venv "$VENV"
fi
# exact pin lives in pyproject.toml's `package` extra
"$PY" -m pip install -q -e "$ROOT[package]"

mkdir -p "$ROOT/build"
start=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --distpath "$ROOT/dist" --workpath "$ROOT/build/pyinstaller" \
    "$ROOT/packaging/anomi.spec" > "$ROOT/build/pyinstaller.log" 2>&1 \
    || { tail -30 "$ROOT/build/pyinstaller.log"; echo "build: PyInstaller failed (log build/pyinstaller.log)"; exit 1; }
echo "build: dist/anomi in $(( $(date +%s) - start )) s, $(du -sh "$ROOT/dist/anomi" | cut -f1)"

[ "${1:-}" = "--no-smoke" ] && exit 0

BIN=$ROOT/dist/anomi
WORK=$(mktemp -d)
LN_PID=""
cleanup() {
    if [ -n "$LN_PID" ] && kill -0 "$LN_PID" 2>/dev/null; then kill "$LN_PID"; wait "$LN_PID" || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"   # nothing may come from the source tree's working directory

"$BIN/anomi" --help > help.txt
grep -q "localnet" help.txt
echo "smoke: anomi --help ok"

PYTHONPATH=$ROOT "$PY" "$ROOT/packaging/make_request.py" request.json
t0=$(date +%s%N)
env -u PYTHONPATH "$BIN/anomi" prove request.json -o proof.json -q
t1=$(date +%s%N)
"$PY" -m wallet.cli prover verify proof.json > /dev/null
echo "smoke: anomi prove (offline, payment circuit) ok in $(( (t1 - t0) / 1000000 )) ms; proof verified by the source tree"

PORT=$("$PY" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
"$BIN/anomi" localnet up --ledger "$WORK/ledger" --rpc-port "$PORT" > localnet.log 2>&1 &
LN_PID=$!
health=""
for _ in $(seq 1 120); do
    health=$(curl -s -m 1 -X POST -H 'content-type: application/json' \
        -d '{"jsonrpc":"2.0","id":1,"method":"getHealth"}' "http://127.0.0.1:$PORT" || true)
    case "$health" in *'"ok"'*) break ;; esac
    kill -0 "$LN_PID" 2>/dev/null || { cat localnet.log; echo "smoke: localnet exited"; exit 1; }
    sleep 0.5
done
case "$health" in *'"ok"'*) ;; *) cat localnet.log; echo "smoke: no getHealth answer"; exit 1 ;; esac
for _ in $(seq 1 60); do grep -q "localnet ready" localnet.log && break; sleep 0.5; done
for svc in "rails: listening" "mxe: ready" "directory: listening"; do
    grep -q "$svc" localnet.log || { cat localnet.log; echo "smoke: service '$svc' did not start"; exit 1; }
done
kill "$LN_PID"; wait "$LN_PID" || true; LN_PID=""
echo "smoke: anomi localnet up answered getHealth on :$PORT (rails, mxe, directory up), stopped"

QT_QPA_PLATFORM=offscreen "$BIN/anomi-wallet" --help > /dev/null
echo "smoke: anomi-wallet --help ok"
echo "build: all smoke tests passed"
