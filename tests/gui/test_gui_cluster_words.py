"""A cluster that stops answering is named in words where the user looks (issue 14, "words, not
internals"): the order book says so instead of sitting empty or stale, and the balance panel's
connection line names the cluster, never an httpx exception. A real localnet of this test's
own, stopped half-way; the real window.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

from tests.integration.localnet_process import start_localnet
from wallet.core.config import ClusterProfile, WalletConfig
from wallet.core.keystore import KdfParams, Keystore
from wallet.core.network_words import cluster_unreachable
from wallet.gui.app import WalletController

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"


def test_a_dead_cluster_is_named_in_the_book_and_the_balances(qtbot, loop, tmp_path: Path) -> None:
    node = start_localnet(tmp_path / "ledger")
    try:
        ks = Keystore.create(tmp_path / "w.keystore", "gui password", mnemonic=PHRASE,
                             kdf=KdfParams.fresh(1, 8 << 20))
        profile = ClusterProfile("test", node.rpc_url, node.ws_url).validated()
        controller = WalletController(WalletConfig.load(tmp_path), profile, ks)
        qtbot.addWidget(controller.window)
        book = controller.window.book
        words = cluster_unreachable(node.rpc_url)

        async def until(pred, timeout: float = 30.0) -> None:
            async def poll() -> None:
                while not pred():
                    await asyncio.sleep(0.05)
            await asyncio.wait_for(poll(), timeout)

        async def scenario() -> None:
            await controller.start()
            await until(lambda: book.book_seen)
            assert "ask(s)" in book.spread_label.text() or "spread" in book.spread_label.text()
            node.stop()
            try:
                await until(lambda: words[1:] in book.spread_label.text())
            except asyncio.TimeoutError:
                raise AssertionError(f"book line {book.spread_label.text()!r}; connection "
                                     f"{controller.window.balances.connection_label.text()!r}") from None
            assert book.spread_label.text() == f"Last known book. {words[0].upper()}{words[1:]}"
            connection = controller.window.balances.connection_label.text()
            assert connection == f"offline: {words}"   # not an httpx exception
            await controller.stop()

        loop.run_until_complete(scenario())
    finally:
        if node.alive():
            node.stop()
