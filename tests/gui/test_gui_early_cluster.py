"""The embedded cluster starts while the wallet unlocks (issue 14 cold start), and a start that
ends without an unlock stops the cluster it began, as closing the window would.

The real `anomi-wallet` in a fresh process on the built-in localnet profile moved to a free
port, its ledger in a temporary XDG data dir; the wrong ANOMI_PASSWORD and --screenshot (no
dialog) make the unlock fail after the cluster has begun to start.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests.integration.localnet_process import REPO_ROOT, free_port_block, stop_process_tree
from wallet.core.config import WalletConfig, localnet_profile
from wallet.core.keystore import KdfParams, Keystore
from wallet.gui.cluster_lifecycle import is_localnet

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"


def localnets_on(port: int) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = proc.info["cmdline"] or []
        if is_localnet(cmd) and "--rpc-port" in cmd and cmd[cmd.index("--rpc-port") + 1] == str(port):
            found.append(proc)
    return found


def test_a_failed_unlock_stops_the_cluster_the_start_began(tmp_path: Path) -> None:
    port = free_port_block()
    data = tmp_path / "data"
    cfg = WalletConfig.load(data)
    cfg.profiles["localnet"] = localnet_profile(port)
    cfg.save()
    Keystore.create(cfg.wallet_path(), "the right password", mnemonic=PHRASE, kdf=KdfParams.fresh(1, 8 << 20))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), QT_QPA_PLATFORM="offscreen",
               ANOMI_PASSWORD="a wrong password", XDG_DATA_HOME=str(tmp_path / "xdg"))
    pid_file = data / f"localnet-{port}.pid"
    try:
        out = subprocess.run([sys.executable, "-m", "wallet.gui.app", "--data-dir", str(data),
                              "--screenshot", str(tmp_path / "shot.png")],
                             env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)
        assert out.returncode == 1, out.stderr[-2000:]
        assert "does not unlock the wallet" in out.stderr
        # the cluster had been started for this window (its pid file and its own log say so) ...
        assert pid_file.exists()
        assert "localnet ready" in (data / f"localnet-{port}.log").read_text(errors="replace")
        # ... and nothing of it is left running
        deadline = time.monotonic() + 30
        while localnets_on(port) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert localnets_on(port) == []
        assert not (tmp_path / "shot.png").exists()
    finally:
        for proc in localnets_on(port):   # never leave a cluster behind, even when failing
            stop_process_tree(proc.pid)
