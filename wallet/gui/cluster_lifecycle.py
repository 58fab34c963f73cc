"""Stopping the embedded cluster this window started, when the window closes.

Why: `make run` starts the local cluster in the background (detached, so a second window or the
CLI can share it). Left running after the last window closes it keeps ports, CPU and a ledger
lock for nothing, so the window that started it stops it on close - unless the user asked to
keep it running (Settings, `keep_cluster_running` in config.json). A cluster that was already
answering when the window opened was started by someone else (another window, `anomi localnet
up` in a terminal, a test) and is never touched.

Which process: `ensure_local_cluster` records the pid it spawned in `localnet-<port>.pid`. The
window reads it right after the start and remembers the process's creation time and command
line, so a recycled pid (the cluster ended and the number went to another program) is never
signalled.
"""
from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from pathlib import Path

import psutil

STOP_TIMEOUT = 30.0


@dataclass(frozen=True)
class StartedCluster:
    """The `anomi localnet up` process this window spawned."""
    pid: int
    created: float
    port: int

    @classmethod
    def from_pid_file(cls, root: Path, port: int) -> "StartedCluster | None":
        try:
            pid = int((Path(root) / f"localnet-{port}.pid").read_text().strip())
            proc = psutil.Process(pid)
            if not is_localnet(proc.cmdline()):
                return None
            return cls(pid, proc.create_time(), port)
        except (OSError, ValueError, psutil.Error):
            return None

    def process(self) -> psutil.Process | None:
        """The same process still running (not a later one that reuses the pid)."""
        try:
            proc = psutil.Process(self.pid)
            if proc.create_time() != self.created or proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except psutil.Error:
            return None

    def stop(self, timeout: float = STOP_TIMEOUT) -> bool:
        """SIGTERM (the cluster shuts its services down cleanly), then SIGKILL the tree after
        `timeout`. Blocking: call it from a worker thread. True if it was running."""
        proc = self.process()
        if proc is None:
            return False
        tree = [proc, *proc.children(recursive=True)]
        with contextlib.suppress(psutil.Error):
            proc.send_signal(signal.SIGTERM)
        _gone, alive = psutil.wait_procs(tree, timeout=timeout)
        for p in alive:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(alive, timeout=5)
        return True

    async def stop_async(self, timeout: float = STOP_TIMEOUT) -> bool:
        return await asyncio.to_thread(self.stop, timeout)


def is_localnet(cmdline: list[str]) -> bool:
    """`... localnet up ...` (python -m localnet up, or the `anomi localnet up` entry point)."""
    words = [Path(w).name for w in cmdline]
    return any(a == "localnet" and b == "up" for a, b in zip(words, words[1:]))
