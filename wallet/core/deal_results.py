"""What DealService's create/offer/crank/close return to the CLI and the GUI: typed results.

Why dataclasses: see settlement_results.py; ``to_json()`` keeps the `--json` keys unchanged.
The MXE's decrypted figures inside (``settled``, ``result``) stay the records the wallet keeps
in its notes (deal_service.sealed_note), shown as they are.
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


@dataclass(frozen=True)
class DealCrank:
    """The deal's crank: ``result`` is "rejected" (early and not fully filled) or its new status;
    ``settled`` holds the figures the MXE sealed to this wallet (its creator), if any."""
    result: str
    detail: str | None = None
    settled: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class OfferCrank:
    """One offer settled by the crank; ``result`` is its decrypted outcome if sealed to this wallet."""
    offer: str
    result: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"offer": self.offer, "settled": True}
        if self.result is not None:
            out["result"] = self.result
        return out


@dataclass
class CrankResult:
    """What a crank did: the deal's status afterwards, its own crank (if it was OPEN), the offers."""
    deal: str
    status: str = ""
    offers: list[OfferCrank] = field(default_factory=list)
    deal_crank: DealCrank | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"deal": self.deal, "status": self.status,
                               "offers": [o.to_json() for o in self.offers]}
        if self.deal_crank is not None:
            out["deal_crank"] = self.deal_crank.to_json()
        return out


@dataclass(frozen=True)
class DealRow:
    """One deal of the cluster as listed: ``role`` is this wallet's ("creator", "offeror", "-")."""
    deal: str
    status: str
    role: str
    num_offers: int
    expires_at: int
    allow_partial: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
