"""The real `anomi-wallet` says when its window became usable, only when asked (issue 14 cold
start): ANOMI_STARTUP_MARK=1 prints one machine-readable line, --health-log gets one JSON event,
and a normal run prints neither. Against the session's real localnet; a fresh process each.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.localnet_process import REPO_ROOT, LocalnetProcess
from wallet.core.keystore import KdfParams, Keystore
from wallet.gui.startup_mark import ENV_FLAG, LINE_PREFIX, parse_line

PASSWORD = "startup mark password"
PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"


def launch(root: Path, node: LocalnetProcess, *extra: str, mark: bool) -> tuple[float, str]:
    data = root / "data"
    if not (data / "wallets" / "default.keystore").exists():
        Keystore.create(data / "wallets" / "default.keystore", PASSWORD, mnemonic=PHRASE,
                        kdf=KdfParams.fresh(1, 8 << 20))
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), QT_QPA_PLATFORM="offscreen", ANOMI_PASSWORD=PASSWORD)
    env.pop(ENV_FLAG, None)
    if mark:
        env[ENV_FLAG] = "1"
    started = time.time()
    out = subprocess.run([sys.executable, "-m", "wallet.gui.app", "--data-dir", str(data), "--url", node.rpc_url,
                          "--screenshot", str(root / "shot.png"), *extra],
                         env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    assert (root / "shot.png").stat().st_size > 0
    return started, out.stdout


def test_the_mark_line_and_the_health_event(gui_localnet: LocalnetProcess, tmp_path: Path) -> None:
    started, stdout = launch(tmp_path, gui_localnet, "--health-log", str(tmp_path / "health.jsonl"), mark=True)
    marks = [parse_line(line) for line in stdout.splitlines() if line.startswith(LINE_PREFIX)]
    assert len(marks) == 1 and marks[0] is not None
    unix, ms = marks[0]
    assert started < unix < time.time() and 0 < ms < 120_000
    events = [json.loads(line) for line in (tmp_path / "health.jsonl").read_text().splitlines()
              if '"event"' in line]
    assert events == [{"event": "usable_window", "unix": round(unix, 3), "ms": ms}]


def test_a_normal_run_says_nothing(gui_localnet: LocalnetProcess, tmp_path: Path) -> None:
    _started, stdout = launch(tmp_path, gui_localnet, mark=False)
    assert LINE_PREFIX not in stdout
