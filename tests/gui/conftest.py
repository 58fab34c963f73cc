"""GUI tests run offscreen against one real `anomi localnet up` process per session.

The cluster runs its side services (fiat rail + notary, MXE node, payee directory) so the
trading views can be driven end to end.
"""
from __future__ import annotations

import os
from typing import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.integration.localnet_process import LocalnetProcess, start_localnet  # noqa: E402


@pytest.fixture(scope="session")
def gui_localnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalnetProcess]:
    node = start_localnet(tmp_path_factory.mktemp("gui-ledger"))
    try:
        yield node
    finally:
        node.stop()
