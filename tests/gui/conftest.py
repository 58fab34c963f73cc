"""GUI tests run offscreen against one real `anomi localnet up` process per session.

The cluster runs its side services (fiat rail + notary, MXE node, payee directory) so the
trading views can be driven end to end. ``gui_warp_localnet`` is a second one started with
``--allow-clock-warp`` for the test that jumps 24 h: a warp there never ages the orders of the
tests sharing ``gui_localnet``.
"""
from __future__ import annotations

import asyncio
import os
from typing import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.integration.localnet_process import LocalnetProcess, running_localnet, start_localnet  # noqa: E402
from wallet.gui.event_loop import WalletEventLoop  # noqa: E402
from wallet.gui.gc_guard import MainThreadCollector  # noqa: E402


@pytest.fixture(scope="session")
def gui_localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalnetProcess]:
    node = start_localnet(tmp_path_factory.mktemp("gui-ledger"))
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def gui_warp_localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalnetProcess]:
    with running_localnet(tmp_path_factory.mktemp("gui-warp-ledger"), extra_args=("--allow-clock-warp",)) as node:
        yield node


@pytest.fixture(autouse=True)
def gui_thread_gc(qapp) -> Iterator[MainThreadCollector]:
    """As in the app: cyclic GC only on the GUI thread, so a prover or executor thread never
    destroys an earlier test's windows (that segfaulted the GUI thread under load)."""
    collector = MainThreadCollector()
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture
def loop(qapp, gui_thread_gc):
    """One qasync loop per test, as the app runs: Qt and asyncio on the GUI thread."""
    qapp.setQuitOnLastWindowClosed(False)
    loop = WalletEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    yield loop
    loop.close()  # also joins worker threads (argon2id, proving) the test used
    asyncio.set_event_loop(None)
