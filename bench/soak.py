"""Soak benchmark: the real desktop wallet for an hour under a scripted trading load.

    .venv/bin/python -m bench.soak [--minutes 60] [--cycle 20]

What runs: a real cluster (programs, rail, notary, MXE node, payee directory); a seller wallet
escrowing an ask through the `anomi` CLI every cycle, and the real `anomi-wallet` window
(offscreen) bidding on it through its order form, so every cycle is a solvency proof on the
prover thread, a match and a new settlement record with a live countdown. The app writes its
vital signs every 5 s (``--health-log``, wallet/gui/health.py): RSS, open descriptors,
threads, refcounts of None/True/False, armed timers, and event-loop stalls from a 5 ms probe.

Peer, measured in the same run and for the same time: a bare PySide6 window on qasync's own
loop that polls the same cluster's slot once a second (what any Qt+asyncio app does), with the
same health log. The ratios say how much of the wallet's growth and stalls are its own.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.soak.soak_run import REPO_ROOT, run_soak, summarize

PEER = r'''
import asyncio, sys, os
from pathlib import Path
import aiohttp, qasync
from PySide6.QtWidgets import QApplication, QLabel
from wallet.gui.health import HealthLog
minutes, url, log = float(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
app = QApplication([]); loop = qasync.QEventLoop(app); asyncio.set_event_loop(loop)
label = QLabel("slot -"); label.show()
async def main():
    health = HealthLog(log); health.start()
    async with aiohttp.ClientSession() as http:
        end = loop.time() + minutes * 60
        while loop.time() < end:
            try:
                async with http.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "getSlot"}) as r:
                    label.setText(f"slot {(await r.json())['result']}")
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(1.0)
    await asyncio.sleep(health.period + 0.5); await health.stop()
with loop:
    loop.run_until_complete(main())
'''


def table(samples: list[dict], every: float = 300.0) -> None:
    print(f"{'t (min)':>7} {'RSS MiB':>8} {'fds':>4} {'threads':>7} {'None refs':>9} {'timers':>6} "
          f"{'stall max':>9} {'p99 ms':>6} {'proofs':>6}")
    next_t = 0.0
    for s in samples:
        if s["t"] + 1e-6 >= next_t or s is samples[-1]:
            load = s.get("load", {})
            print(f"{s['t'] / 60:7.1f} {s['rss_kib'] / 1024:8.1f} {s['fds']:4d} {s['threads']:7d} "
                  f"{s['refcounts']['None']:9d} {s.get('pending_timers') or 0:6d} "
                  f"{s.get('stall_max_ms', 0):9.1f} {s.get('stall_p99_ms', 0):6.1f} {load.get('proofs', 0):6d}")
            next_t += every


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--minutes", type=float, default=60.0)
    p.add_argument("--cycle", type=float, default=20.0)
    p.add_argument("--every", type=float, default=300.0, help="seconds between table rows")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="anomi-bench-soak-"))
    peer_log = work / "peer-health.jsonl"
    peer: subprocess.Popen | None = None
    started = time.monotonic()

    from tests.integration.localnet_process import start_localnet
    # the peer polls its own small cluster so the wallet's cluster load is the wallet's alone
    peer_node = start_localnet(work / "peer-ledger")
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO_ROOT)}
        peer = subprocess.Popen([sys.executable, "-c", PEER, str(args.minutes), peer_node.rpc_url, str(peer_log)],
                                cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        result = run_soak(work / "wallet", minutes=args.minutes, cycle=args.cycle)
        peer.wait(timeout=600)
    finally:
        if peer is not None and peer.poll() is None:
            peer.kill()
        peer_node.stop()
    peer_samples = [json.loads(x) for x in peer_log.read_text().splitlines() if x.strip()] if peer_log.exists() else []
    print(f"wallet: exit {result.returncode} after {result.wall_seconds / 60:.1f} min "
          f"(bench wall {(time.monotonic() - started) / 60:.1f} min); health log {result.log_path}")
    table(result.samples, args.every)
    w, q = result.summary, summarize(peer_samples)
    print("\nsummary (after the first minute):")
    print(json.dumps({"wallet": w, "peer": {k: v for k, v in q.items() if k not in ("load", "view")}}, indent=1))
    if w and q:
        growth_w = w["rss_end_mib"] - w["rss_start_mib"]
        growth_q = q["rss_end_mib"] - q["rss_start_mib"]
        print(f"RSS growth: wallet {growth_w:+.1f} MiB, peer {growth_q:+.1f} MiB")
        print(f"stall p99 (median of 5 s windows): wallet {w['stall_p99_ms_median']:.1f} ms, "
              f"peer {q['stall_p99_ms_median']:.1f} ms, ratio {w['stall_p99_ms_median'] / max(q['stall_p99_ms_median'], 0.1):.2f}")
        print(f"None refcount drift: wallet {w['none_refs_end'] - w['none_refs_start']:+d}, "
              f"peer {q['none_refs_end'] - q['none_refs_start']:+d} (peer runs qasync's stock loop)")
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
