"""The moment the wallet's window becomes usable, said once in a machine-readable form.

Why: a cold-start benchmark (bench/cold_start.py) must time the real `anomi-wallet` from launch
to the point where a user can act, and only the app knows when that is. "Usable" means, in this
order: the trading views are built (`WalletController.open`), the main window is shown, and the
first live balances of the selected account have reached the window (the first
`BalanceChanged`, which needs an answering cluster). Nothing is said in a normal run: the mark
is written only when ``ANOMI_STARTUP_MARK=1`` (one stdout line) or when ``--health-log`` is given
(one JSON event in that file); it never changes what the app does.

The stdout line: ``anomi-wallet usable-window: t=<unix seconds> ms=<ms since process start>``.
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Callable

import psutil

from wallet.core.events import BalanceChanged, EventBus

ENV_FLAG = "ANOMI_STARTUP_MARK"
LINE_PREFIX = "anomi-wallet usable-window:"


def wanted(health_log: Path | None) -> bool:
    return os.environ.get(ENV_FLAG) == "1" or health_log is not None


def since_process_start_ms(now: float | None = None) -> int:
    """Milliseconds since the OS started this process (the launch, not the first Python line)."""
    now = time.time() if now is None else now
    return int(round((now - psutil.Process().create_time()) * 1000))


def format_line(now: float, ms: int) -> str:
    return f"{LINE_PREFIX} t={now:.3f} ms={ms}"


def parse_line(line: str) -> tuple[float, int] | None:
    """(unix time, ms since process start) from a mark line, None for any other line."""
    if not line.startswith(LINE_PREFIX):
        return None
    fields = dict(part.split("=", 1) for part in line[len(LINE_PREFIX):].split() if "=" in part)
    return float(fields["t"]), int(fields["ms"])


def write_mark(health_log: Path | None) -> None:
    now = time.time()
    ms = since_process_start_ms(now)
    if os.environ.get(ENV_FLAG) == "1":
        print(format_line(now, ms), flush=True)
    if health_log is not None:
        health_log.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(health_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            out.write(json.dumps({"event": "usable_window", "unix": round(now, 3), "ms": ms}) + "\n")


def arm(bus: EventBus, window_visible: Callable[[], bool], health_log: Path | None) -> Callable[[], None]:
    """Write the mark once, on the first balances shown in a visible window; returns an unsubscribe.

    Call it after the views are built. The check runs one loop turn after the event, so the
    balance view (subscribed earlier, through the bridge) has drawn the figures first."""
    if not wanted(health_log):
        return lambda: None
    done = False
    loop = asyncio.get_event_loop()

    def check() -> None:
        nonlocal done
        if done or not window_visible():
            return
        done = True
        unsubscribe()
        try:
            write_mark(health_log)
        except OSError as exc:  # a mark must never stop the wallet
            print(f"anomi-wallet: could not write the start-up mark: {exc}", file=sys.stderr)

    unsubscribe = bus.subscribe(BalanceChanged, lambda _e: loop.call_soon(check))
    return unsubscribe
