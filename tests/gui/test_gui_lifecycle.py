"""Closing the window stops the embedded cluster it started, unless the settings keep it
running; a cluster someone else started is left alone. Real `anomi localnet up` processes."""
from __future__ import annotations

import asyncio
from pathlib import Path

import psutil
import pytest

from tests.integration.localnet_process import LocalnetProcess, free_port_block, stop_process_tree
from wallet.core.cluster import is_healthy
from wallet.core.config import WalletConfig, localnet_profile
from wallet.core.keystore import KdfParams, Keystore
from wallet.gui.app import WalletController
from wallet.gui.cluster_lifecycle import StartedCluster, is_localnet


def window(qtbot, root: Path, port: int, *, keep: bool) -> WalletController:
    cfg = WalletConfig.load(root)
    cfg.keep_cluster_running = keep
    ks = Keystore.create(root / "wallets" / "default.keystore", "lifecycle pw", words=12,
                         kdf=KdfParams.fresh(1, 8 << 20)) if not (root / "wallets" / "default.keystore").exists() \
        else Keystore.unlock(root / "wallets" / "default.keystore", "lifecycle pw")
    controller = WalletController(cfg, localnet_profile(port), ks)
    controller.interactive = False
    qtbot.addWidget(controller.window)
    return controller


def test_window_stops_only_the_cluster_it_started(qtbot, loop, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))   # the started cluster's default ledger
    port = free_port_block()
    root = tmp_path / "data"
    url = f"http://127.0.0.1:{port}"

    async def scenario() -> None:
        started_pid = None
        try:
            # ---- the window starts the cluster; "keep it running" is set: closing leaves it up
            first = window(qtbot, root, port, keep=True)
            await first.start()
            assert first.started_cluster is not None and await is_healthy(url)
            started_pid = first.started_cluster.pid
            assert is_localnet(psutil.Process(started_pid).cmdline())
            await first.stop()
            assert await is_healthy(url) and psutil.pid_exists(started_pid)

            # ---- a window that found it running did not start it: closing leaves it alone
            second = window(qtbot, root, port, keep=False)
            await second.start()
            assert second.started_cluster is None
            await second.stop()
            assert await is_healthy(url)
        finally:
            if started_pid is not None:
                await asyncio.to_thread(stop_process_tree, started_pid)
        assert not await is_healthy(url)

        # ---- the default: the window that started it stops it (and its services) on close
        third = window(qtbot, root, port, keep=False)
        await third.start()
        cluster = third.started_cluster
        assert cluster is not None and cluster.pid != started_pid and await is_healthy(url)
        tree = [cluster.pid, *(c.pid for c in psutil.Process(cluster.pid).children(recursive=True))]
        try:
            await third.stop()
            assert not await is_healthy(url)
            assert not [p for p in tree if psutil.pid_exists(p)
                        and psutil.Process(p).status() != psutil.STATUS_ZOMBIE]
            assert cluster.process() is None and not cluster.stop()   # stopping twice is a no-op
        finally:
            if cluster.process() is not None:
                await asyncio.to_thread(stop_process_tree, cluster.pid)

    loop.run_until_complete(scenario())


def test_another_programs_cluster_is_never_stopped(qtbot, loop, gui_localnet: LocalnetProcess,
                                                   tmp_path: Path) -> None:
    """Even a stale pid file naming the running cluster does not make the window its owner."""
    root = tmp_path / "data"
    root.mkdir()
    (root / f"localnet-{gui_localnet.rpc_port}.pid").write_text(f"{gui_localnet.process.pid}\n")
    assert StartedCluster.from_pid_file(root, gui_localnet.rpc_port) is not None   # it is a cluster...

    async def scenario() -> None:
        w = window(qtbot, root, gui_localnet.rpc_port, keep=False)
        await w.start()
        assert w.started_cluster is None            # ...but this window did not start it
        await w.stop()
        assert await is_healthy(gui_localnet.rpc_url) and gui_localnet.process.poll() is None

    loop.run_until_complete(scenario())
