"""What the window says when the embedded local cluster will not start.

Why a dialog and not a status line: the cluster explains itself in one sentence (for example
a ledger created by an older ANOMI), and the only fix may be to recreate the local test
ledger. That erases local test history, so it is offered, explained, and never done
without the user's click.
"""
from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

RESET_HINT = "--reset"


async def await_dialog(dialog: QDialog) -> int:
    """Show a modal dialog without a nested event loop (qasync-friendly exec())."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda code: done.done() or done.set_result(code))
    dialog.open()
    return await done


def offers_reset(message: str) -> bool:
    """The cluster asked for `anomi localnet up --reset` (its ledger cannot be used as is)."""
    return RESET_HINT in message.splitlines()[0]


async def ask_to_reset(parent: QWidget, message: str) -> bool:
    """Show the cluster's reason; True if the user chose to recreate the local test ledger.

    The box is opened window-modal and awaited (no nested ``exec()`` loop inside a running
    qasync task, which would re-enter the event loop)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("The local cluster did not start")
    first, _, details = message.partition("\n")
    box.setText(first)
    if details:
        box.setDetailedText(details)
    if offers_reset(message):
        box.setInformativeText("Recreate the local test ledger? This erases the local cluster's "
                               "test accounts and history; your wallet and keys are not touched.")
        reset = box.addButton("Recreate local ledger", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    else:
        reset = None
        box.addButton(QMessageBox.StandardButton.Ok)
    await await_dialog(box)
    return reset is not None and box.clickedButton() is reset
