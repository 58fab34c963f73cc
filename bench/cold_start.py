"""Cold start of the desktop wallet: launch to a usable window, against a bare PySide6 window.

What is timed: the real `anomi-wallet` entry point, a fresh process each run (offscreen Qt,
unlocked by ANOMI_PASSWORD, its own data directory), from just before the process is spawned to
the app's own "usable window" mark (wallet/gui/startup_mark.py: trading views built, main
window shown, first live balances drawn). Two cases:

(a) the embedded cluster is already running (started once by this script on a free port);
(b) nothing answers, so the window starts the embedded cluster itself, on the existing ledger
    a previous session left (the everyday second start; genesis is not part of it).

"Cold" means a fresh process each run; as on a user's machine after the first launch, the
bytecode is compiled and the OS file cache is warm (one uncounted run of each first).

The peer, measured in the same run and interleaved with the wallet's runs so that both see the
same machine load: a bare PySide6 window (`QWidget().show()`) started the same way (fresh
process, same Python, offscreen) up to its first shown event.

Each wallet run ends through the existing `--screenshot` option (save the window, quit
cleanly), so a window that started the cluster also stops it, as on a user's close.

Last line: ``cold start: running cluster N ms, starting cluster M ms; bare PySide6 window P ms;
ratio X / Y``.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.integration.localnet_process import (REPO_ROOT, free_port_block, start_localnet,
                                                stop_process_tree)
from wallet.core.config import WalletConfig, localnet_profile
from wallet.core.keystore import Keystore
from wallet.gui.startup_mark import ENV_FLAG, parse_line

PASSWORD = "cold start bench password"
PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"
PEER_MARK = "bare-window shown:"
PEER_SOURCE = f"""
import sys, time
from PySide6.QtCore import QObject, QEvent, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class Shown(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Show:
            print("{PEER_MARK} t=%.3f" % time.time(), flush=True)
            QTimer.singleShot(0, app.quit)
        return False

app = QApplication(sys.argv[:1])
window = QWidget()
window.setWindowTitle("peer")
window.resize(1100, 720)
spy = Shown()
window.installEventFilter(spy)
window.show()
app.exec()
"""


def wallet_argv() -> list[str]:
    """The installed `anomi-wallet` console script, else the same entry point by module."""
    script = Path(sys.executable).with_name("anomi-wallet")
    if script.exists():
        return [sys.executable, str(script)]
    return [sys.executable, "-m", "wallet.gui.app"]


def child_env(base: Path, code_root: Path = REPO_ROOT) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(code_root), PYTHONUNBUFFERED="1",
               ANOMI_PASSWORD=PASSWORD, XDG_DATA_HOME=str(base / "xdg"),
               # compiled bytecode as an installed app has it, kept out of the source tree
               PYTHONPYCACHEPREFIX=str(base / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env[ENV_FLAG] = "1"
    env.pop("ANOMI_WALLET", None)
    env.pop("ANOMI_RPC_URL", None)
    return env


def time_process(argv: list[str], env: dict[str, str], marker, timeout: float, log: Path,
                 cwd: Path = REPO_ROOT) -> float:
    """Milliseconds from just before spawning ``argv`` to the unix time written on its marker
    line (the child's own clock reading, so how quickly we notice the line does not count);
    then waits for the process to end on its own (bounded by ``timeout``)."""
    started = time.time()
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    marks = [m for m in (marker(line.strip()) for line in text.splitlines()) if m is not None]
    if not marks:
        raise RuntimeError(f"{argv[-1][:60]} gave no ready mark (exit {proc.returncode}); output:\n"
                           + text[-3000:])
    return (marks[0] - started) * 1000.0


def wallet_mark(line: str) -> float | None:
    parsed = parse_line(line)
    return parsed[0] if parsed else None


def peer_mark(line: str) -> float | None:
    return float(line.split("t=", 1)[1]) if line.startswith(PEER_MARK) else None


def prepare(base: Path, port: int) -> Path:
    """A data directory with one wallet (the default argon2id cost, as a user has) and the
    built-in localnet profile moved to ``port``."""
    data = base / "data"
    cfg = WalletConfig.load(data)
    cfg.profiles["localnet"] = localnet_profile(port)
    cfg.save()
    Keystore.create(cfg.wallet_path(), PASSWORD, mnemonic=PHRASE)
    return data


def run(runs: int, code_root: Path = REPO_ROOT) -> dict[str, list[float]]:
    base = Path(tempfile.mkdtemp(prefix="anomi-coldstart-"))
    port = free_port_block()
    data = prepare(base, port)
    ledger = base / "xdg" / "anomi" / "localnet"   # where the wallet's cluster keeps its ledger
    env = child_env(base, code_root)
    wallet = [*wallet_argv(), "--data-dir", str(data), "--screenshot", str(base / "shot.png")]
    peer = [sys.executable, "-c", PEER_SOURCE]
    figures: dict[str, list[float]] = {"running": [], "starting": [], "peer": []}
    logs = base / "logs"
    logs.mkdir()
    try:
        node = start_localnet(ledger, rpc_port=port)
        try:
            # one uncounted run of each: bytecode compiled and the OS file cache warm for both
            time_process(wallet, env, wallet_mark, 180, logs / "warm.log", code_root)
            time_process(peer, env, peer_mark, 60, logs / "warm-peer.log")
            for i in range(runs):
                figures["running"].append(time_process(wallet, env, wallet_mark, 180, logs / f"a{i}.log",
                                                       code_root))
                figures["peer"].append(time_process(peer, env, peer_mark, 60, logs / f"pa{i}.log"))
                print(f"  running cluster #{i + 1}: {figures['running'][-1]:.0f} ms; "
                      f"bare window {figures['peer'][-1]:.0f} ms", flush=True)
        finally:
            node.stop()
        pid_file = data / f"localnet-{port}.pid"
        for i in range(runs):
            try:
                figures["starting"].append(time_process(wallet, env, wallet_mark, 240, logs / f"b{i}.log",
                                                        code_root))
            finally:  # the window stops the cluster it started; make sure, before the next run
                if pid_file.exists():
                    pid = int(pid_file.read_text().split()[0])
                    stop_process_tree(pid)
                    pid_file.unlink()
            figures["peer"].append(time_process(peer, env, peer_mark, 60, logs / f"pb{i}.log"))
            print(f"  starting cluster #{i + 1}: {figures['starting'][-1]:.0f} ms; "
                  f"bare window {figures['peer'][-1]:.0f} ms", flush=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per case (medians are reported)")
    parser.add_argument("--code-root", type=Path, default=REPO_ROOT,
                        help="run the wallet from another checkout of the code (before/after comparisons; "
                             "it needs the usable-window mark, wallet/gui/startup_mark.py)")
    args = parser.parse_args(argv)
    figures = run(args.runs, args.code_root.resolve())
    running = statistics.median(figures["running"])
    starting = statistics.median(figures["starting"])
    peer = statistics.median(figures["peer"])
    print(f"runs per case: {args.runs}; python {sys.version.split()[0]}")
    print(f"cold start: running cluster {running:.0f} ms, starting cluster {starting:.0f} ms; "
          f"bare PySide6 window {peer:.0f} ms; ratio {running / peer:.1f} / {starting / peer:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
