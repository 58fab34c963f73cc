"""Blocking work (keystore writes with fsync, proof checks, file hashing) run off the event loop.

Why: the desktop wallet runs asyncio on its GUI thread (qasync), so a core coroutine that calls
`Keystore.update_notes` (seal + fsync), verifies a Groth16 proof (a pairing check) or loads the
circuit keys (hashing the ~9 MB zkey) freezes the window for that long. These helpers move such
calls to a worker thread. Keystore writes are serialised per keystore with a thread lock:
`Keystore._mutate` copies the payload before taking its file lock, so two concurrent writers
from different threads could otherwise lose one of the updates. The CLI (one thread) is
unaffected: the same calls still work there.
"""
from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_WRITE_LOCKS: "weakref.WeakKeyDictionary[Any, threading.Lock]" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def write_lock(keystore: Any) -> threading.Lock:
    """The one lock every off-thread write of `keystore` takes."""
    with _GUARD:
        lock = _WRITE_LOCKS.get(keystore)
        if lock is None:
            lock = _WRITE_LOCKS[keystore] = threading.Lock()
        return lock


async def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` on a worker thread and wait for it without blocking the loop."""
    return await asyncio.to_thread(fn, *args)


async def update_notes(keystore: Any, kind: str, change: Callable[[dict[str, Any]], Any]) -> Any:
    """`keystore.update_notes(kind, change)` on a worker thread, one writer at a time."""
    def write() -> Any:
        with write_lock(keystore):
            return keystore.update_notes(kind, change)
    return await asyncio.to_thread(write)


async def keystore_write(keystore: Any, fn: Callable[..., T], *args: Any) -> T:
    """Any other mutating keystore call (identities, accounts) on a worker thread, serialised."""
    def write() -> T:
        with write_lock(keystore):
            return fn(*args)
    return await asyncio.to_thread(write)
