"""The core's event bus and the events it carries.

Why plain callbacks: the core must not know about Qt, yet the GUI must react to what the
core learns (a new slot, a changed balance, a lost connection). Services publish typed event
objects; the GUI's single bridge (wallet/gui/bridge.py) subscribes and re-emits them as Qt
signals; the CLI and tests subscribe with ordinary functions. A callback may be sync or
async; an async one is scheduled on the running loop so publishing never blocks. A failing
subscriber is logged and does not stop the others.
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SlotChanged:
    slot: int


@dataclass(frozen=True)
class BalanceChanged:
    """Balances of one address at `slot`; usdc is None when the USDC mint is unknown."""
    address: str
    lamports: int
    usdc: int | None
    usdc_mint: str | None
    slot: int


@dataclass(frozen=True)
class ConnectionChanged:
    connected: bool
    detail: str


Callback = Callable[[Any], Any]


class EventBus:
    """subscribe(EventType, fn) -> unsubscribe function; publish(event)."""

    def __init__(self) -> None:
        self._subs: dict[type, list[Callback]] = defaultdict(list)
        self._tasks: set[asyncio.Task[Any]] = set()

    def subscribe(self, event_type: type, callback: Callback) -> Callable[[], None]:
        self._subs[event_type].append(callback)

        def unsubscribe() -> None:
            if callback in self._subs[event_type]:
                self._subs[event_type].remove(callback)
        return unsubscribe

    def publish(self, event: object) -> None:
        for callback in list(self._subs.get(type(event), ())):
            try:
                result = callback(event)
            except Exception:  # noqa: BLE001 - one bad subscriber must not silence the rest
                log.exception("event subscriber %r failed on %r", callback, event)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("async event subscriber failed", exc_info=task.exception())
