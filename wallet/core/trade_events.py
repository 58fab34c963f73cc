"""What one-shot trading actions did, published on the core EventBus.

Why events and not only return values: an action started from one view (or a script) changes
what other views show - a placed ask changes the book and My orders, a finalize settles a
record in the queue, a payment enables "Prove payment". TradeContext and Settlement publish
one of these after the action succeeded (never for a refusal: nothing changed), so the market
service refreshes at once and the GUI's bridge re-emits them, with no view polling for it.
`owner` is the account that acted (the GUI may trade with several accounts in turn).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OrderPlaced:
    owner: str
    side: str                       # "Ask" or "Bid"
    signature: str
    order_id: int
    filled: int
    resting: int
    matched_order_ids: tuple[int, ...]


@dataclass(frozen=True)
class OrderCancelled:
    owner: str
    side: str
    signature: str
    order_id: int
    unfilled: int                   # base units released (an ask's escrow returns)


@dataclass(frozen=True)
class PaymentSent:
    owner: str
    order_id: int
    payee: str
    amount_paisa: int
    payment_id: str
    replayed: bool                  # the rail had already paid this order (idempotency key)


@dataclass(frozen=True)
class PaymentProved:
    owner: str
    order_id: int


@dataclass(frozen=True)
class Finalized:
    owner: str
    order_id: int
    signature: str
    amount: int
    buyer: str


@dataclass(frozen=True)
class Reclaimed:
    owner: str
    order_id: int
    signature: str
    amount: int
    seller: str


@dataclass(frozen=True)
class TradingAccountChanged:
    """The account the GUI trades with changed; a watch-only one (can_sign False) only views."""
    address: str
    label: str
    can_sign: bool


TRADE_EVENTS = (OrderPlaced, OrderCancelled, PaymentSent, PaymentProved, Finalized, Reclaimed)
# the events after which the book, my orders or the settlement queue changed on chain
MARKET_CHANGING = (OrderPlaced, OrderCancelled, Finalized, Reclaimed)
