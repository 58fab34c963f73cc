"""What DealService's create/offer/close return to the CLI and the GUI: typed results.

Why dataclasses: see settlement_results.py; ``to_json()`` keeps the `--json` keys unchanged.
(crank's and list's results carry the MXE's decrypted figures as nested records; they stay
dicts for now.)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class CreatedDeal:
    """A deal the MXE confirmed (its amount and price sealed back to this wallet)."""
    deal: str
    signature: str
    amount: int
    price: str  # decimal, as format_price shows it
    expires_at: int
    allow_partial: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SubmittedOffer:
    """An offer the MXE confirmed."""
    offer: str
    deal: str
    signature: str
    amount: int
    price: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClosedAccounts:
    """The offers (and the deal) closed, rent returned to their payers."""
    deal: str
    closed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
