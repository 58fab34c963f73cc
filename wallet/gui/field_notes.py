"""Amount fields that explain themselves as the user types.

Why under the field: "enter a number" after a click on Place ask is too late and says nothing
about which field; the note under a field says what is wrong with it while it is typed
(negative, zero, NaN, Infinity, too many decimals, more than the balance) and disappears when
the text is fine. The same parsers the actions use decide (session.parse_usdc / parse_pkr), so
what the note accepts is exactly what the button accepts; the balance checks are early hints -
the core and the programs still check for real.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QLabel, QWidget

from .session import InputError


class FieldNote(QLabel):
    """The red line under one field; hidden while the field is fine or empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__("", parent)
        self.setObjectName("fieldNote")
        self.setWordWrap(True)
        self.setStyleSheet("color: #b00020; font-size: small;")
        self.setVisible(False)

    def say(self, problem: str | None) -> None:
        self.setText(problem or "")
        self.setVisible(bool(problem))


def amount_problem(text: str, parse: Callable[[str], int], *, limit: int | None = None,
                   over_limit: Callable[[int], str] | None = None) -> str | None:
    """What is wrong with `text` as a positive amount (None if fine or still empty)."""
    if not text.strip():
        return None
    try:
        value = parse(text)
    except InputError as exc:
        return str(exc)
    if limit is not None and value > limit and over_limit is not None:
        return over_limit(value)
    return None
