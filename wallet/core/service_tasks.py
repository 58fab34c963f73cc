"""Stopping the background loops of the core's live services (balances, market, OTC events).

Why one helper: every service owns a few long-running tasks (a PubSub stream, a poll loop) and
must stop them the same way: cancel all, then wait for each to end, dropping its outcome - a
loop that was already failing must not turn `stop()` into an error, and returning before the
tasks ended would leave them touching a closed client.
"""
from __future__ import annotations

import asyncio
import contextlib
from typing import Iterable


async def cancel_and_wait(tasks: Iterable[asyncio.Future]) -> None:
    """Cancel `tasks` and wait until every one of them has ended."""
    tasks = list(tasks)
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
