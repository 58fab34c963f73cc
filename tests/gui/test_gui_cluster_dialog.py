"""When the embedded cluster refuses to start, the window says why and offers the fix.

Real widgets (offscreen); the message is the one `anomi localnet up` prints for a ledger from an
older ANOMI (tests/integration/test_wallet_cluster.py shows the core produces it from a real
refused ledger)."""
from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from wallet.gui.cluster_dialog import ask_to_reset, offers_reset

STALE = ("the embedded cluster did not start: the ledger at /tmp/l was created by an older ANOMI; "
         "run `anomi localnet up --reset` to recreate it (this erases its accounts and history)\n"
         "log /tmp/data/localnet-8899.log:\nanomi: the ledger at /tmp/l was created by an older ANOMI")
PORT_TAKEN = "the embedded cluster did not start: cannot start the local cluster: address in use\nlog ..."




def answer_box(button_text: str | None, seen: list[str]) -> None:
    """Click a button of the message box once it is open (None: the only button)."""
    def click() -> None:
        boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
        if not boxes:
            QTimer.singleShot(20, click)
            return
        box = boxes[0]
        seen.append(box.text())
        buttons = box.buttons()
        target = buttons[0] if button_text is None else next(b for b in buttons if b.text() == button_text)
        target.click()
    QTimer.singleShot(20, click)


def test_reset_is_offered_only_when_the_cluster_asks_for_it() -> None:
    assert offers_reset(STALE)
    assert not offers_reset(PORT_TAKEN)
    assert not offers_reset("the embedded cluster did not start: x\nlog: run with --reset")  # details only


@pytest.mark.parametrize("choice, expected", [("Recreate local ledger", True), ("Not now", False)])
def test_stale_ledger_dialog_shows_the_reason_and_returns_the_choice(qapp, loop, choice, expected) -> None:
    parent = QWidget()
    seen: list[str] = []
    answer_box(choice, seen)
    assert loop.run_until_complete(asyncio.wait_for(ask_to_reset(parent, STALE), 10)) is expected
    assert seen == [STALE.splitlines()[0]]


def test_other_failures_are_shown_without_a_reset(qapp, loop) -> None:
    parent = QWidget()
    seen: list[str] = []
    answer_box(None, seen)
    assert loop.run_until_complete(asyncio.wait_for(ask_to_reset(parent, PORT_TAKEN), 10)) is False
    assert seen == [PORT_TAKEN.splitlines()[0]]


def test_a_refused_embedded_cluster_leaves_the_window_saying_why(qtbot, loop, tmp_path, monkeypatch) -> None:
    """A real `anomi localnet up` refuses a stale default ledger; declining the reset (here: a
    non-interactive start) leaves the balance panel offline with the cluster's own reason."""
    from tests.gui.gui_trading import GuiWallet
    from tests.integration.localnet_process import free_port_block
    from tests.integration.test_wallet_cluster import _make_stale_ledger
    from wallet.core.config import localnet_profile

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # the cluster's default ledger lives here
    from localnet.cli import default_ledger_dir
    _make_stale_ledger(default_ledger_dir())
    w = GuiWallet(tmp_path, "refused", localnet_profile(free_port_block()), qtbot)
    w.controller.interactive = False

    async def scenario() -> None:
        await w.controller.start()
        label = w.window.balances.connection_label.text()
        assert label.startswith("offline: the embedded cluster did not start") and "older ANOMI" in label, label
        await w.stop()

    loop.run_until_complete(scenario())
