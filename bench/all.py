"""Run every benchmark in turn (`make bench`), each in its own process.

Why separate processes: each benchmark measures peak memory and starts its own cluster or
services; running them in one interpreter would let one's caches and threads colour another's
figures. The exit code is non-zero if any benchmark failed to run (not if a goal was missed:
goals are reported by each benchmark's own output).
"""
from __future__ import annotations

import subprocess
import sys
import time

BENCHMARKS = [
    "bench.localnet_tps",
    "bench.prover",
    "bench.rails",
    "bench.matching",
    "bench.book_flood",
    "bench.compute_units",
    "bench.mxe",
    "bench.gui_latency",
    "bench.cold_start",
]


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        print(f"\n=== {module} ===", flush=True)
        started = time.monotonic()
        code = subprocess.call([sys.executable, "-m", module])
        print(f"=== {module}: exit {code}, {time.monotonic() - started:.0f} s ===", flush=True)
        if code != 0:
            failed.append(module)
    if failed:
        print(f"failed to run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
