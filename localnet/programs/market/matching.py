"""Price-time priority matching of one incoming order against the opposite side of the book.

Why separate from the program: the rules (maker's price, partial fills across makers, the bound
on fills per instruction, self-trade prevention, what rests, the per-owner cap and eviction from a
full side) are pure logic on two Book objects, testable without a cluster; the program only adds
accounts, escrow and records.

Why these anti-flood rules (security issue 10): a side of the book is a shared, finite resource.
Each owner may rest at most MAX_ORDERS_PER_OWNER orders per side (as OpenBook's open-orders
account limits its slots), so filling a side takes capacity/cap funded wallets; and when the side
is full a new order with a strictly better price than the worst resting one evicts that worst
order (its escrow is refunded by the program), so an order at a competitive price always rests
and a flood only blocks orders that are worse than every order in it — real, takeable liquidity.
An order that still crosses after MAX_FILLS_PER_INSTRUCTION fills is refused whole
(TooManyFillsError): it is never silently cut, and resting it would cross the book.
"""
from __future__ import annotations

from dataclasses import dataclass

from protocol.market_codec import SIDE_ASK, SIDE_BID, key_price, order_key
from protocol.units import fiat_due

from .book import Book, BookFullError, Leaf

MAX_FILLS_PER_INSTRUCTION = 8
MAX_ORDERS_PER_OWNER = 32


class SelfTradeError(Exception):
    """The incoming order would fill against a resting order of the same owner."""


class TooManyOpenOrdersError(Exception):
    """The owner already rests MAX_ORDERS_PER_OWNER orders on this side."""


class TooManyFillsError(Exception):
    """The order still crosses after the maximum number of fills: refused whole."""


@dataclass(frozen=True)
class Fill:
    maker_order_id: int
    maker_owner: bytes
    maker_payee_commitment: bytes
    price: int            # the maker's price
    base_amount: int
    fiat_due: int
    maker_remaining: int


@dataclass(frozen=True)
class MatchResult:
    order_id: int
    fills: list[Fill]
    filled: int
    resting: int          # placed on the book
    cancelled: int        # always 0 now (kept in the OrderPlaced event for compatibility)
    evicted: Leaf | None = None   # the worst order a full side gave up for this one


def crosses(taker_side: int, limit_price: int, maker_price: int) -> bool:
    return maker_price <= limit_price if taker_side == SIDE_BID else maker_price >= limit_price


def place(taker_side: int, owner: bytes, limit_price: int, size: int, seq: int, now: int,
          payee_commitment: bytes, own_book: Book, opposite: Book,
          max_fills: int = MAX_FILLS_PER_INSTRUCTION,
          max_orders_per_owner: int = MAX_ORDERS_PER_OWNER) -> MatchResult:
    """Match ``size`` at ``limit_price`` against ``opposite``, then rest the remainder on ``own_book``.

    Raises SelfTradeError, TooManyFillsError, TooManyOpenOrdersError or BookFullError; the caller
    aborts the transaction, so a partial in-place edit is rolled back with it. Bids rest with a
    zero payee commitment. When the remainder must rest on a full side, the worst resting order
    is evicted if the new order's price is strictly better (returned in ``evicted``; the caller
    refunds its escrow), else BookFullError.
    """
    remaining = size
    fills: list[Fill] = []
    while remaining and len(fills) < max_fills:
        maker = opposite.best()
        if maker is None or not crosses(taker_side, limit_price, maker.price):
            break
        if maker.owner == owner:
            raise SelfTradeError
        qty = min(remaining, maker.quantity)
        left = maker.quantity - qty
        if left:
            opposite.set_quantity(maker.index, left)
        else:
            opposite.remove(maker.key)
        fills.append(Fill(maker.key, maker.owner, maker.payee_commitment, maker.price, qty,
                          fiat_due(qty, maker.price), left))
        remaining -= qty
    if remaining:
        maker = opposite.best()
        if maker is not None and crosses(taker_side, limit_price, maker.price):
            raise TooManyFillsError
    key = order_key(taker_side, limit_price, seq)
    evicted = None
    if remaining:
        if own_book.owner_count(owner) >= max_orders_per_owner:
            raise TooManyOpenOrdersError
        if own_book.count >= own_book.capacity:
            worst = own_book.worst()
            if worst is None or key_price(taker_side, key) == worst.price or key > worst.key:
                raise BookFullError
            evicted = own_book.remove(worst.key)
        own_book.insert(key, owner, remaining, now,
                        payee_commitment if taker_side == SIDE_ASK else bytes(32))
    opposite.flush()
    own_book.flush()
    return MatchResult(key, fills, size - remaining, remaining, 0, evicted)


__all__ = ["BookFullError", "Fill", "MatchResult", "SelfTradeError", "TooManyFillsError",
           "TooManyOpenOrdersError", "place", "crosses", "MAX_FILLS_PER_INSTRUCTION",
           "MAX_ORDERS_PER_OWNER", "SIDE_ASK", "SIDE_BID"]
