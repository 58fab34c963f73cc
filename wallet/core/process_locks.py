"""Inter-process locks on every platform (filelock: flock on POSIX, msvcrt on Windows).

Why a library and not fcntl: the keystore's writers (two `anomi` commands on one wallet, the
GUI and a script) and the wallet's start of the embedded cluster must be serialised on
Windows too, where ``fcntl`` does not exist and the old code silently skipped the lock.
"""
from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path
from typing import AsyncIterator, Iterator

from filelock import FileLock, Timeout

__all__ = ["LockTimeout", "async_file_lock", "file_lock"]


class LockTimeout(Exception):
    """Another process held the lock for longer than we were willing to wait."""


def _lock(path: Path) -> FileLock:
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(path), mode=0o600, thread_local=False)


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = -1) -> Iterator[None]:
    """Hold the exclusive lock ``path`` (blocking; ``timeout`` seconds, -1 = forever)."""
    lock = _lock(path)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockTimeout(f"another ANOMI process holds {path}") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.asynccontextmanager
async def async_file_lock(path: Path, timeout: float, poll: float = 0.2) -> AsyncIterator[None]:
    """The same lock, awaited without blocking the event loop."""
    lock = _lock(path)
    deadline = time.monotonic() + timeout
    while True:
        try:
            lock.acquire(timeout=0)
            break
        except Timeout:
            if time.monotonic() > deadline:
                raise LockTimeout(f"another ANOMI process holds {path} for too long") from None
            await asyncio.sleep(poll)
    try:
        yield
    finally:
        lock.release()
