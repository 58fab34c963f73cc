"""One source of connection state, through a real cluster restart (issue 12).

Why: the market service published ``ConnectionChanged(False)`` on every failed stream attempt and
never ``True``; the BalanceService (which publishes both, but only on a change) could then not
correct it, so the indicator stayed "offline" after the cluster came back. Here a live wallet core
(BalanceService + MarketService on one EventBus, no Qt) watches a real `anomi localnet up` being
stopped and started again on the same ledger and ports, and the state it publishes must be
exactly connected -> offline -> connected, ending connected once the market stream is back too.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Callable

from tests.integration.localnet_process import LocalnetProcess, start_localnet
from wallet.core.balances import BalanceService
from wallet.core.chain import Chain
from wallet.core.config import ClusterProfile
from wallet.core.events import ConnectionChanged, EventBus
from wallet.core.market_service import MarketService


async def until(pred: Callable[[], bool], timeout: float, what: str) -> None:
    for _ in range(int(timeout / 0.05)):
        if pred():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_indicator_follows_a_cluster_stop_and_restart(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    node: LocalnetProcess = start_localnet(ledger, services=False)
    port = node.rpc_port
    try:
        profile = ClusterProfile("restart", node.rpc_url, node.ws_url).validated()
        bus = EventBus()
        seen: list[ConnectionChanged] = []
        bus.subscribe(ConnectionChanged, seen.append)

        async def scenario() -> None:
            nonlocal node
            balances = BalanceService(profile, bus, poll_interval=0.2)
            chain = Chain(profile)
            market = MarketService(chain, bus, poll_interval=0.2)
            await balances.start()
            await market.start()
            try:
                await until(lambda: [e.connected for e in seen] == [True], 30, "connected")
                await until(market.subscribed.is_set, 30, "the market stream")

                await asyncio.to_thread(node.stop)
                await until(lambda: len(seen) >= 2, 30, "offline")
                # while the cluster is down, both services keep failing and retrying
                await until(lambda: not market.subscribed.is_set(), 10, "the market stream to drop")
                await asyncio.sleep(2.5)   # several failed market stream attempts and polls
                assert [e.connected for e in seen] == [True, False]

                node = await asyncio.to_thread(start_localnet, ledger, rpc_port=port, services=False)
                await until(lambda: len(seen) >= 3, 60, "connected again")
                await until(market.subscribed.is_set, 60, "the market stream again")
                await asyncio.sleep(1.0)   # a few more polls: nothing contradicts the state
                assert [e.connected for e in seen] == [True, False, True], seen
                assert balances.connected is True
            finally:
                await market.stop()
                await balances.stop()
                await chain.close()

        asyncio.run(scenario())
    finally:
        node.stop()
