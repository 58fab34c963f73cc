"""A running wallet's vital signs, sampled on its own event loop (``anomi-wallet --health-log``).

Why inside the app: the defects that killed the window (a binding that dropped references to
``None``, timers and socket watchers that piled up) were invisible from outside until the
process died. A line of JSON every few seconds (memory, descriptors, threads, refcounts of the
singletons, armed timers, watched sockets, and how late the event loop runs) makes a slow leak
or a stall visible in minutes; the soak test and ``bench/soak.py`` read exactly this file.

The stall probe is a 5 ms asyncio timer: its lateness is how long the GUI thread was busy
elsewhere (what a user feels as a frozen window).
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

PROBE_INTERVAL = 0.005


def singleton_refcounts() -> dict[str, int]:
    return {"None": sys.getrefcount(None), "True": sys.getrefcount(True), "False": sys.getrefcount(False)}


class StallProbe:
    """Schedules itself every 5 ms and records how late each wake-up was."""

    def __init__(self, loop: asyncio.AbstractEventLoop, interval: float = PROBE_INTERVAL) -> None:
        self._loop = loop
        self._interval = interval
        self._late_ms: list[float] = []
        self._due = 0.0
        self._handle: asyncio.Handle | None = None

    def start(self) -> None:
        self._due = self._loop.time() + self._interval
        self._handle = self._loop.call_at(self._due, self._tick)

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _tick(self) -> None:
        now = self._loop.time()
        self._late_ms.append(max(0.0, (now - self._due) * 1000.0))
        self._due = now + self._interval
        self._handle = self._loop.call_at(self._due, self._tick)

    def take(self) -> dict[str, float]:
        """Longest and 99th-percentile lateness since the last call (ms)."""
        late, self._late_ms = sorted(self._late_ms), []
        if not late:
            return {"stall_max_ms": 0.0, "stall_p99_ms": 0.0, "ticks": 0}
        return {"stall_max_ms": round(late[-1], 1),
                "stall_p99_ms": round(late[min(len(late) - 1, int(len(late) * 0.99))], 1),
                "ticks": len(late)}


class HealthLog:
    """Appends one JSON object per ``period`` seconds to ``path`` while the wallet runs."""

    def __init__(self, path: Path, *, period: float = 5.0) -> None:
        self.path = path
        self.period = period
        self._process = psutil.Process()
        self._task: asyncio.Task[None] | None = None
        self._probe: StallProbe | None = None
        self._t0 = time.monotonic()
        self.extra: dict[str, Any] = {}  # what the app adds (e.g. proofs done): reported as is

    def sample(self, loop: asyncio.AbstractEventLoop) -> dict[str, Any]:
        mem = self._process.memory_info()
        row: dict[str, Any] = {
            "t": round(time.monotonic() - self._t0, 1),
            "rss_kib": mem.rss // 1024,
            "fds": self._process.num_fds() if hasattr(self._process, "num_fds") else None,
            "threads": threading.active_count(),
            "os_threads": self._process.num_threads(),
            "refcounts": singleton_refcounts(),
            "tasks": len(asyncio.all_tasks(loop)),
            "pending_timers": getattr(loop, "pending_timers", None),
            "watched_fds": getattr(loop, "watched_fds", None),
        }
        if self._probe is not None:
            row.update(self._probe.take())
        row.update(self.extra)
        return row

    def start(self) -> None:
        loop = asyncio.get_event_loop()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._probe = StallProbe(loop)
        self._probe.start()
        self._task = loop.create_task(self._run(loop))

    async def _run(self, loop: asyncio.AbstractEventLoop) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as out:
            while True:
                await asyncio.sleep(self.period)
                out.write(json.dumps(self.sample(loop)) + "\n")
                out.flush()

    async def stop(self) -> None:
        if self._probe is not None:
            self._probe.stop()
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
