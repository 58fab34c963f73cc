"""Price-time priority matching of one incoming order against the opposite side of the book.

Why separate from the program: the rules (maker's price, partial fills across makers, the bound
on fills per instruction, self-trade prevention, what rests and what is dropped) are pure logic on
two Book objects, testable without a cluster; the program only adds accounts, escrow and records.
"""
from __future__ import annotations

from dataclasses import dataclass

from protocol.market_codec import SIDE_ASK, SIDE_BID, order_key
from protocol.units import fiat_due

from .book import Book, BookFullError

MAX_FILLS_PER_INSTRUCTION = 8


class SelfTradeError(Exception):
    """The incoming order would fill against a resting order of the same owner."""


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
    cancelled: int        # still crossing after MAX_FILLS_PER_INSTRUCTION fills: dropped, never rested


def crosses(taker_side: int, limit_price: int, maker_price: int) -> bool:
    return maker_price <= limit_price if taker_side == SIDE_BID else maker_price >= limit_price


def place(taker_side: int, owner: bytes, limit_price: int, size: int, seq: int, now: int,
          payee_commitment: bytes, own_book: Book, opposite: Book,
          max_fills: int = MAX_FILLS_PER_INSTRUCTION) -> MatchResult:
    """Match ``size`` at ``limit_price`` against ``opposite``, then rest the remainder on ``own_book``.

    Raises SelfTradeError or BookFullError; the caller aborts the transaction, so a partial
    in-place edit is rolled back with it. Bids rest with a zero payee commitment.
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
    cancelled = 0
    if remaining:
        maker = opposite.best()
        if maker is not None and crosses(taker_side, limit_price, maker.price):
            cancelled, remaining = remaining, 0
    key = order_key(taker_side, limit_price, seq)
    if remaining:
        own_book.insert(key, owner, remaining, now,
                        payee_commitment if taker_side == SIDE_ASK else bytes(32))
    opposite.flush()
    own_book.flush()
    return MatchResult(key, fills, size - remaining - cancelled, remaining, cancelled)


__all__ = ["BookFullError", "Fill", "MatchResult", "SelfTradeError", "place", "crosses",
           "MAX_FILLS_PER_INSTRUCTION", "SIDE_ASK", "SIDE_BID"]
