"""The wallet's log (wallet/core/logs.py): a private rotating file, configured by the entry
points, that records failures the user would otherwise not see, and the last one for the GUI."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from wallet.core import logs
from wallet.core.chain import Chain
from wallet.core.config import localnet_profile
from wallet.core.events import EventBus
from wallet.core.market_service import MarketService

ROOT = Path(__file__).resolve().parents[2]


def anomi(data_dir: Path, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), ANOMI_DATA_DIR=str(data_dir))
    env.pop("ANOMI_PASSWORD", None)
    return subprocess.run([sys.executable, "-c", "import sys; from wallet.cli import main; sys.exit(main())",
                           *argv], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_the_cli_writes_a_private_log_in_the_data_dir(tmp_path: Path) -> None:
    out = anomi(tmp_path, "wallet", "list")  # no wallet: a refusal
    assert out.returncode == 2 and out.stderr.startswith("anomi: ")
    path = logs.log_path(tmp_path)
    text = path.read_text()
    assert "log opened" in text and "`anomi wallet list` refused (CliError)" in text
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # --data-dir wins over the environment
    other = tmp_path / "elsewhere"
    anomi(tmp_path, "wallet", "list", "--data-dir", str(other))
    assert "refused (CliError)" in logs.log_path(other).read_text()


def test_rotated_files_stay_private(tmp_path: Path) -> None:
    handler = logs._PrivateRotatingFileHandler(tmp_path / "x.log", maxBytes=200, backupCount=2)
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "y" * 120, None, None)
    for _ in range(6):
        handler.emit(record)
    handler.close()
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["x.log", "x.log.1", "x.log.2"]
    if os.name == "posix":
        assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_market_poll_failures_are_warnings_and_reach_the_last_problem(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    """A cluster that stops answering: the poll loop logs a warning (once per streak, not every
    poll) and the GUI's listener hears of it."""
    logs.clear_last_problem()
    heard: list[logs.Problem] = []
    off = logs.on_problem(heard.append)
    logs.configure_logging(tmp_path)  # attaches the last-problem tracker (the file once per process)

    async def scenario() -> None:
        chain = Chain(localnet_profile(free_port()))  # nothing listens there
        service = MarketService(chain, EventBus(), poll_interval=0.02)
        task = asyncio.ensure_future(service._poll_loop())
        try:
            for _ in range(200):
                await asyncio.sleep(0.02)
                if heard:
                    break
            await asyncio.sleep(0.3)  # more failed polls: still one warning
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await chain.close()
    try:
        with caplog.at_level(logging.INFO, logger="wallet"):
            asyncio.run(scenario())
    finally:
        off()
    warnings = [r for r in caplog.records if r.name == "wallet.core.market_service" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "the order book could not refresh (1 in a row)" in warnings[0].getMessage()
    problem = logs.last_problem()
    assert problem is not None and problem.level == "WARNING" and "could not refresh" in problem.message
    # words, not internals: the dead cluster is named (not an httpx class nor a USDC-mint hint)
    assert "does not answer" in problem.message and "http://127.0.0.1:" in problem.message
    assert "httpx" not in problem.message and "mint" not in problem.message
    assert [p.message for p in heard] == [warnings[0].getMessage()]
