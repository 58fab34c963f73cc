"""One soak run: a real cluster, two wallets set up through the CLI, and the real desktop wallet
under a scripted trading load for N minutes; returns the app's health samples and a summary.

Used by tests/soak/test_wallet_soak.py (6+ minutes inside `make test`) and by bench/soak.py
(an hour, with figures over time).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localnet.rpc.child_guard import guarded
from wallet.core.keystore import Keystore
from tests.integration.localnet_process import REPO_ROOT, start_localnet

PASSWORD = "soak test password"
CLI = [sys.executable, "-c", "import sys; from wallet.cli import main; sys.exit(main())"]


@dataclass
class SoakResult:
    returncode: int
    wall_seconds: float
    samples: list[dict[str, Any]]
    stderr_tail: str
    log_path: Path
    summary: dict[str, Any] = field(default_factory=dict)


def cli(data_dir: Path, env: dict[str, str], *argv: str) -> dict[str, Any]:
    run = subprocess.run([*CLI, *argv, "--json"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                         env={**env, "ANOMI_DATA_DIR": str(data_dir)})
    if run.returncode != 0:
        raise RuntimeError(f"anomi {' '.join(argv)} failed ({run.returncode}): {run.stderr[-1500:]}")
    return json.loads(run.stdout) if run.stdout.strip() else {}


def set_up_wallets(root: Path, env: dict[str, str], *, seller_usdc: int) -> tuple[Path, Path]:
    seller, buyer = root / "seller", root / "buyer"
    cli(seller, env, "wallet", "create", "--words", "12")
    cli(buyer, env, "wallet", "create", "--words", "12")
    # the window refuses escrow until the phrase backup is confirmed (the first-run quiz, or
    # Settings > Show recovery phrase): the soak's scripted user has done it
    Keystore.unlock(buyer / "wallets" / "default.keystore", PASSWORD).confirm_backup()
    cli(seller, env, "faucet", "--sol", "10")
    for _ in range(max(1, -(-seller_usdc // 1000))):
        cli(seller, env, "faucet", "--usdc", "1000")
    cli(buyer, env, "faucet", "--sol", "100")
    cli(seller, env, "rail", "open", "--handle", "0345-1112223", "--name", "Soak Seller")
    cli(buyer, env, "rail", "open", "--handle", "0300-4445556", "--name", "Soak Buyer")
    cli(buyer, env, "rail", "topup", "1000000")
    # one ask above the bids' price rests for the whole run, so the book view has a live level
    cli(seller, env, "ask", "--size", "10", "--price", "300")
    return seller, buyer


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    if not samples:
        return {}
    warm = [s for s in samples if s["t"] >= 60] or samples  # the first minute loads code and caches
    first, last = warm[0], samples[-1]
    stalls = [s.get("stall_max_ms", 0.0) for s in samples]
    return {
        "samples": len(samples),
        "rss_start_mib": round(first["rss_kib"] / 1024, 1),
        "rss_end_mib": round(last["rss_kib"] / 1024, 1),
        "rss_peak_mib": round(max(s["rss_kib"] for s in samples) / 1024, 1),
        "fds_start": first["fds"], "fds_end": last["fds"], "fds_max": max(s["fds"] for s in samples),
        "threads_start": first["threads"], "threads_end": last["threads"],
        "threads_max": max(s["threads"] for s in samples),
        "none_refs_start": first["refcounts"]["None"], "none_refs_end": last["refcounts"]["None"],
        "true_refs_start": first["refcounts"]["True"], "true_refs_end": last["refcounts"]["True"],
        "false_refs_start": first["refcounts"]["False"], "false_refs_end": last["refcounts"]["False"],
        "pending_timers_max": max((s.get("pending_timers") or 0) for s in samples),
        "watched_fds_max": max((s.get("watched_fds") or 0) for s in samples),
        "stall_max_ms": max(stalls),
        "stall_p99_ms_median": sorted(s.get("stall_p99_ms", 0.0) for s in samples)[len(samples) // 2],
        "load": last.get("load", {}), "view": last.get("view", {}),
    }


def run_soak(workdir: Path, *, minutes: float, cycle: float, size: str = "10") -> SoakResult:
    workdir.mkdir(parents=True, exist_ok=True)
    node = start_localnet(workdir / "ledger")
    try:
        env = {**os.environ, "ANOMI_PASSWORD": PASSWORD, "ANOMI_RPC_URL": node.rpc_url,
               "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO_ROOT)}
        env.pop("ANOMI_DIRECTORY_URL", None)
        cycles = int(minutes * 60 / cycle) + 2
        seller, buyer = set_up_wallets(workdir, env, seller_usdc=cycles * int(size) + 10)
        health = workdir / "health.jsonl"
        argv = [sys.executable, "-m", "tests.soak.app_under_load", "--minutes", str(minutes),
                "--cycle", str(cycle), "--size", size, "--seller-dir", str(seller),
                "--data-dir", str(buyer), "--url", node.rpc_url, "--health-log", str(health)]
        started = time.monotonic()
        with open(workdir / "app.log", "w") as log:
            proc = subprocess.Popen(guarded(argv), cwd=REPO_ROOT, env={**env, "ANOMI_DATA_DIR": str(buyer)},
                                    stdout=log, stderr=subprocess.STDOUT)
            try:
                code = proc.wait(timeout=minutes * 60 + 600)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = proc.wait()
        wall = time.monotonic() - started
        lines = [json.loads(line) for line in health.read_text().splitlines() if line.strip()] \
            if health.exists() else []
        samples = [x for x in lines if "event" not in x]   # vital signs, not the start-up mark
        tail = (workdir / "app.log").read_text(errors="replace")[-4000:]
        return SoakResult(code, wall, samples, tail, health, summarize(samples))
    finally:
        node.stop()
