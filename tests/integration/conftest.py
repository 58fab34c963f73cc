"""Shared integration fixtures: one real local cluster per test session.

``localnet`` is session-scoped: a real `anomi localnet up` process (side services included) on
free ports with a fresh temporary ledger. ``warp_localnet`` is a second such cluster started
with ``--allow-clock-warp`` for tests that jump the clock (24 h expiries); it is separate so a
warp never ages the orders of tests sharing ``localnet``. Tests that need their own cluster
(restart, kill -9) call ``start_localnet`` from tests.integration.localnet_process directly.
"""
from __future__ import annotations

from typing import Iterator

import pytest

from tests.integration.localnet_process import LocalnetProcess, running_localnet


@pytest.fixture(scope="session")
def localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalnetProcess]:
    """The running cluster: ``.rpc_url``, ``.ws_url``, ``.ledger_dir``, ``.process``, ``.usdc_mint``."""
    with running_localnet(tmp_path_factory.mktemp("localnet-ledger")) as node:
        yield node


@pytest.fixture(scope="module")
def warp_localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalnetProcess]:
    """A cluster (with its rail and MXE node) whose clock tests may move with ``anomi_warpClock``."""
    with running_localnet(tmp_path_factory.mktemp("warp-localnet-ledger"), extra_args=("--allow-clock-warp",)) as node:
        yield node
