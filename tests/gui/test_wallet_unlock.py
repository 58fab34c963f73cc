"""The unlock dialog against real keystore files (offscreen Qt). Creating and importing a wallet
moved to the first-run screens: tests/gui/test_gui_onboarding.py."""
from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from wallet.core.events import BalanceChanged, ConnectionChanged, EventBus, SlotChanged
from wallet.core.keystore import KdfParams, Keystore
from wallet.gui.bridge import CoreBridge
from wallet.gui.main_window import MainWindow
from wallet.gui.unlock_dialog import UnlockDialog

PHRASE = "lumber base swallow arm rabbit depth deer lyrics bomb convince nurse thumb"
ADDR = ["vpMY4SNcojYFngiUrwiLR6MTn374cfeeacFJdckZjj3", "2X6bfhHookUP23guQ15QnmorTssJCW6oeZ5hDNDcZkMv"]




def wait_until(loop, predicate, timeout: float = 10.0) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.02)
    loop.run_until_complete(asyncio.wait_for(poll(), timeout))


def test_unlock_wrong_then_right_password(qtbot, loop, tmp_path: Path) -> None:
    path = tmp_path / "w.keystore"
    Keystore.create(path, "gui password", mnemonic=PHRASE, kdf=KdfParams.fresh(1, 8 << 20))
    before = path.read_bytes()
    dialog = UnlockDialog(path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password.setText("not the password")
    dialog.unlock_button.click()
    wait_until(loop, lambda: "wrong password" in dialog.error.text())
    assert dialog.keystore is None and dialog.isVisible() and path.read_bytes() == before
    dialog.password.setText("gui password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)   # Enter unlocks
    wait_until(loop, lambda: dialog.result() == QDialog.DialogCode.Accepted)
    assert dialog.keystore.accounts()[0].address == ADDR[0]


def test_window_follows_core_events(qtbot, tmp_path: Path) -> None:
    """Events published on the core bus reach the view through the bridge only."""
    ks = Keystore.create(tmp_path / "w", "gui password", mnemonic=PHRASE, accounts=2,
                         kdf=KdfParams.fresh(1, 8 << 20))
    bus = EventBus()
    window = MainWindow(CoreBridge(bus), "w")
    qtbot.addWidget(window)
    view = window.balances
    view.set_accounts(ks.accounts())
    bus.publish(SlotChanged(1234))
    bus.publish(ConnectionChanged(True, "ok"))
    bus.publish(BalanceChanged(ADDR[0], 1_500_000_000, 2_500_000, "mint", 1234))
    bus.publish(BalanceChanged(ADDR[1], 7, 7, "mint", 1234))  # not the shown account: ignored
    assert view.slot_label.text() == "1,234"
    assert (view.sol_label.text(), view.usdc_label.text()) == ("1.5 SOL", "2.5 USDC")
    assert view.connection_label.text() == "connected"
    with qtbot.waitSignal(view.accountSelected) as sig:
        view.account_box.setCurrentIndex(1)
    assert sig.args == [ADDR[1]] and view.sol_label.text() == "-"
    bus.publish(BalanceChanged(ADDR[1], 0, None, None, 1235))
    assert view.usdc_label.text() == "unknown mint"


def test_a_screenshot_run_that_cannot_unlock_says_why_instead_of_waiting(tmp_path: Path) -> None:
    """`anomi-wallet --screenshot` has nobody to answer the unlock dialog: no wallet, or a wrong
    ANOMI_PASSWORD, ends the run at once with the reason (it used to wait for ever)."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "ANOMI_DATA_DIR": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("ANOMI_PASSWORD", None)
    argv = [sys.executable, "-m", "wallet.gui.app", "--screenshot", str(tmp_path / "shot.png")]
    run = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 1 and "no wallet at" in run.stderr and "anomi wallet create" in run.stderr, run.stderr
    Keystore.create(tmp_path / "wallets" / "default.keystore", "the right password", mnemonic=PHRASE,
                    kdf=KdfParams.fresh(1, 8 << 20))
    run = subprocess.run(argv, env={**env, "ANOMI_PASSWORD": "a wrong password"}, capture_output=True, text=True,
                         timeout=120, stdin=subprocess.DEVNULL)
    assert run.returncode == 1 and "does not unlock the wallet" in run.stderr, run.stderr
    assert not (tmp_path / "shot.png").exists()
