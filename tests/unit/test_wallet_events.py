"""The core event bus: sync and async subscribers, isolation of failures, unsubscribe."""
from __future__ import annotations

import asyncio

from wallet.core.events import BalanceChanged, EventBus, SlotChanged


async def test_sync_async_and_failing_subscribers() -> None:
    bus = EventBus()
    seen: list[object] = []
    got_async = asyncio.Event()

    def bad(event: object) -> None:
        raise RuntimeError("subscriber bug")

    async def slow(event: SlotChanged) -> None:
        await asyncio.sleep(0)
        seen.append(("async", event.slot))
        got_async.set()

    bus.subscribe(SlotChanged, bad)
    bus.subscribe(SlotChanged, seen.append)
    bus.subscribe(SlotChanged, slow)
    bus.publish(SlotChanged(5))
    bus.publish(BalanceChanged("x", 1, None, None, 5))  # no subscribers: nothing happens
    await asyncio.wait_for(got_async.wait(), 1)
    assert seen == [SlotChanged(5), ("async", 5)]


def test_unsubscribe() -> None:
    bus = EventBus()
    seen: list[object] = []
    off = bus.subscribe(SlotChanged, seen.append)
    bus.publish(SlotChanged(1))
    off()
    off()
    bus.publish(SlotChanged(2))
    assert seen == [SlotChanged(1)]
