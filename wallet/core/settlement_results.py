"""What the settlement steps return to the CLI and the GUI: typed results, not dicts.

Why dataclasses: a dict key typed wrong in a view (`out["ammount"]`) fails only when a user
clicks; an attribute is checked by mypy. ``to_json()`` is the `--json` output (the same keys as
before, so scripts are unaffected).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PaymentResult:
    """A rail payment for a matched order (``replayed``: paid earlier, nothing paid twice)."""
    order_id: int
    payee: str
    payee_name: str
    amount_paisa: int
    payment_id: str
    replayed: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FinalizeResult:
    """A finalized matched order: the escrow released to the buyer."""
    order_id: int
    signature: str
    amount: int
    buyer: str
    nullifier: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReclaimResult:
    """An expired matched order's escrow returned to its seller."""
    order_id: int
    signature: str
    amount: int
    seller: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
