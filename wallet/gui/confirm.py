"""Asking before anything moves funds or closes accounts.

Why a click: an ask escrows USDC, a bid commits its owner to pay PKR when it matches, a rail
payment cannot be called back, finalize and reclaim release an escrow, a cancel or a close gives
an account up. Each says what will happen in USDC and PKR (never base units or paisa) and waits
for the user; for the irreversible ones the default button (Enter) is Cancel, so a stray key
press never sends anything.

Why a replaceable `GuiSession.confirm`: the views ask `await session.confirm(parent, what)`, so
tests and benchmarks that drive the window can answer for the user (and record what was asked)
while a real user always sees the dialog below.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from .cluster_dialog import await_dialog


@dataclass(frozen=True)
class Confirmation:
    """What an action will do, in the words the dialog shows."""
    title: str              # window title, e.g. "Place ask"
    action: str             # the confirming button, e.g. "Escrow 100 USDC"
    summary: str            # the main sentence, e.g. "Escrow 100 USDC behind an ask at 285 PKR per USDC."
    details: str = ""       # what follows from it (who pays whom, what can be undone)
    irreversible: bool = True

    @property
    def text(self) -> str:
        return f"{self.summary}\n{self.details}" if self.details else self.summary


Confirmer = Callable[[QWidget, Confirmation], Awaitable[bool]]

CANCELLED = "cancelled: nothing was sent"


def confirmation_box(parent: QWidget | None, what: Confirmation) -> tuple[QMessageBox, object, object]:
    """The dialog for `what` (not shown yet), its confirm button and its cancel button."""
    box = QMessageBox(parent)
    box.setObjectName("confirmation")
    box.setIcon(QMessageBox.Icon.Warning if what.irreversible else QMessageBox.Icon.Question)
    box.setWindowTitle(what.title)
    box.setText(what.summary)
    if what.details:
        box.setInformativeText(what.details)
    ok = box.addButton(what.action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel if what.irreversible else ok)
    box.setEscapeButton(cancel)
    return box, ok, cancel


async def ask_user(parent: QWidget, what: Confirmation) -> bool:
    """Show the confirmation window-modal and wait (no nested event loop); True on the action."""
    box, ok, _cancel = confirmation_box(parent, what)
    await await_dialog(box)
    confirmed = box.clickedButton() is ok
    box.deleteLater()
    return confirmed
