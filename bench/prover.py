"""Prover benchmark: our prover (wasmtime witness + groth16py) vs snarkjs `groth16 fullProve`,
same circuit, same .wasm, same .zkey, same inputs, same run.

    .venv/bin/python -m bench.prover [--runs 5]

Each side runs in its own child process (one warm-up proof, then N timed proofs, median
reported) so that peak RSS (from wait4) is that side's alone. Ours is timed end to end as the
wallet uses it: statement already checked, then witness, prove and self-verify. snarkjs is timed
inside one Node process (module load excluded), `fullProve` = witness + prove.
Goal: each proof < 0.5 s on 2 cores and >= 2x faster than snarkjs.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / "tests" / "peers"


def _child_ours(circuit: str, runs: int) -> None:
    import time

    from prover.engine import Prover
    from prover.statements import sample_inputs

    ci = sample_inputs(circuit)
    prover = Prover()
    prover.prove_now(ci)  # warm-up: key load, compiled-wasm cache
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        prover.prove_now(ci)
        times.append(time.perf_counter() - t)
    print(json.dumps(times))


_SNARKJS = """
const snarkjs = require("snarkjs");
const [input, wasm, zkey, runs] = JSON.parse(process.argv[1]);
(async () => {
  const logger = {info(){}, debug(){}, warn(){}, error(){}};
  await snarkjs.groth16.fullProve(input, wasm, zkey);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await snarkjs.groth16.fullProve(input, wasm, zkey);
    times.push(Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log(JSON.stringify(times));
  process.exit(0);
})();
"""


def _run_child(cmd: list[str], cwd: Path) -> tuple[list[float], float]:
    """Run a child, return (its printed times, its peak RSS in MiB)."""
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        out.seek(0)
        text = out.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark child failed: {cmd[:3]}…\n{err[-2000:]}")
    return json.loads(text.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child_ours(args.child, args.runs)
        return 0

    from prover.artifacts import check_circuit_files
    from prover.circuits_registry import CIRCUITS, artifacts_dir
    from prover.statements import sample_inputs

    node = shutil.which("node")
    have_snarkjs = node is not None and (PEERS / "node_modules" / "snarkjs").is_dir()
    print(f"prover benchmark: median of {args.runs}, {os.cpu_count()} CPUs")
    header = (f"{'circuit':<10}{'constraints':>12}{'ours s':>9}{'ours MiB':>10}"
              f"{'snarkjs s':>11}{'snarkjs MiB':>13}{'speed-up':>10}")
    print(header)
    print("-" * len(header))
    failed = False
    for circuit in sorted(CIRCUITS):
        entry = check_circuit_files(circuit)
        ours, ours_rss = _run_child(
            [sys.executable, "-m", "bench.prover", "--child", circuit, "--runs", str(args.runs)],
            REPO)
        ours_med = statistics.median(ours)
        row = f"{circuit:<10}{entry['constraints']:>12}{ours_med:>9.3f}{ours_rss:>10.0f}"
        if have_snarkjs:
            d = artifacts_dir()
            inputs = {k: str(v) for k, v in sample_inputs(circuit).inputs.items()}
            theirs, theirs_rss = _run_child(
                [node, "-e", _SNARKJS, json.dumps([
                    inputs, str(d / entry["files"]["wasm"]["path"]),
                    str(d / entry["files"]["zkey"]["path"]), args.runs])], PEERS)
            theirs_med = statistics.median(theirs)
            ratio = theirs_med / ours_med
            row += f"{theirs_med:>11.3f}{theirs_rss:>13.0f}{ratio:>9.2f}x"
            failed |= ratio < 2.0
        else:
            row += f"{'(snarkjs not installed: bash tests/peers/install.sh)':>34}"
        failed |= ours_med >= 0.5
        print(row)
    print("goal: < 0.5 s per proof and >= 2x snarkjs:", "MET" if not failed else "NOT MET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
