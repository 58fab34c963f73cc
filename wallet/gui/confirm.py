"""Asking before anything moves funds or closes accounts.

Why a click: an ask escrows USDC, a bid commits its owner to pay PKR when it matches, a rail
payment cannot be called back, finalize and reclaim release an escrow, a cancel or a close gives
an account up. Each says what will happen in USDC and PKR (never base units or paisa) and waits
for the user; for the irreversible ones the default button (Enter) is Cancel, so a stray key
press never sends anything.

Why a review for asks and bids: before signing, the dialog shows what the cluster's simulation
of that very transaction does to the user's SOL and USDC (wallet/core/tx_preview.py), and when
the simulation fails, the program's error in words with no button that sends (`blocked`).

Why a replaceable `GuiSession.confirm`: the views ask `await session.confirm(parent, what)`, so
tests and benchmarks that drive the window can answer for the user (and record what was asked)
while a real user always sees the dialog below.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable

from PySide6.QtWidgets import QMessageBox, QWidget

from wallet.core.tx_preview import TxPreview

from .cluster_dialog import await_dialog


@dataclass(frozen=True)
class Confirmation:
    """What an action will do, in the words the dialog shows."""
    title: str              # window title, e.g. "Place ask"
    action: str             # the confirming button, e.g. "Escrow 100 USDC"
    summary: str            # the main sentence, e.g. "Escrow 100 USDC behind an ask at 285 PKR per USDC."
    details: str = ""       # what follows from it (who pays whom, what can be undone)
    irreversible: bool = True
    preview: TxPreview | None = None   # the simulated balance changes (asks and bids)
    costs: tuple[str, ...] = ()        # the order's quote: fiat due, fees, bonds, escrow (order_quote.py)

    @property
    def blocked(self) -> bool:
        """The simulation failed: the review explains why and offers nothing to send."""
        return self.preview is not None and self.preview.error is not None

    @property
    def review(self) -> str:
        """The simulation's lines ("USDC: -100 (100 -> 0)", the fee, or the error)."""
        if self.preview is None:
            return ""
        head = "Nothing can be sent:" if self.blocked else "Simulated on the cluster, before signing:"
        return "\n".join([head, *self.preview.lines()])

    @property
    def informative(self) -> str:
        costs = "\n".join(self.costs)
        return "\n\n".join(p for p in (self.details, costs, self.review) if p)

    @property
    def text(self) -> str:
        return "\n".join(p for p in (self.summary, self.details, *self.costs, self.review) if p)


Confirmer = Callable[[QWidget, Confirmation], Awaitable[bool]]

CANCELLED = "cancelled: nothing was sent"


def confirmation_box(parent: QWidget | None, what: Confirmation) -> tuple[QMessageBox, object | None, object]:
    """The dialog for `what` (not shown yet), its confirm button and its cancel button."""
    box = QMessageBox(parent)
    box.setObjectName("confirmation")
    box.setIcon(QMessageBox.Icon.Warning if what.irreversible else QMessageBox.Icon.Question)
    box.setWindowTitle(what.title)
    box.setText(what.summary)
    if what.informative:
        box.setInformativeText(what.informative)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    if what.blocked:   # the simulation failed: only the way out
        box.setIcon(QMessageBox.Icon.Critical)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        return box, None, cancel
    ok = box.addButton(what.action, QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(cancel if what.irreversible else ok)
    box.setEscapeButton(cancel)
    return box, ok, cancel


async def ask_user(parent: QWidget, what: Confirmation) -> bool:
    """Show the confirmation window-modal and wait (no nested event loop); True on the action."""
    box, ok, _cancel = confirmation_box(parent, what)
    await await_dialog(box)
    confirmed = ok is not None and box.clickedButton() is ok
    box.deleteLater()
    return confirmed


async def review(confirm: Confirmer, parent: QWidget, what: Confirmation) -> bool:
    """Ask through `confirm` (the session's); a blocked review never confirms, whoever answers."""
    answer = await confirm(parent, what)
    return answer and not what.blocked
