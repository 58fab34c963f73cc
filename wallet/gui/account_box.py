"""The account picker's items, one definition for the header and the Balances page."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from wallet.core.keystore import Account


def fill_account_box(box: QComboBox, accounts: list[Account], *, short_address: bool) -> None:
    """Replace the items (label, "(watch-only)", optionally ab12…cd34), the address as item data,
    without emitting the box's change signals (the caller selects what it wants afterwards)."""
    box.blockSignals(True)
    box.clear()
    for acc in accounts:
        text = acc.label + (" (watch-only)" if acc.kind == "watch" else "")
        if short_address:
            text += f" · {acc.address[:4]}…{acc.address[-4:]}"
        box.addItem(text, acc.address)
    box.blockSignals(False)
