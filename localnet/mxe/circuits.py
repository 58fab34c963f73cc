"""The four encrypted instructions of seed 003, on plaintext, exactly as the seed writes them.

Why plaintext here: a single MXE node decrypts its inputs, so the "circuit" is ordinary code run
between decryption and re-encryption (``executor.py``). Keeping the logic in its own module,
free of any cryptography, makes it easy to compare line by line with the seed's Arcis code.

Integer semantics follow the Rust the seed is written in, compiled for release: u64/u128
arithmetic wraps, ``as u64`` truncates. Under the program's invariants (fill_amount ≤ amount,
amt_to_execute ≤ remaining) no subtraction can underflow; the only place wrapping can matter is
``total_filled as u128 * price`` for absurd prices (≥ 2^64 · 2^64 / total_filled).
"""
from __future__ import annotations

from dataclasses import dataclass

U64 = (1 << 64) - 1
U128 = (1 << 128) - 1

STATUS_OPEN, STATUS_EXECUTED, STATUS_EXPIRED = 0, 1, 2
OUTCOME_EXECUTED, OUTCOME_PARTIAL, OUTCOME_FAILED = 0, 1, 2


@dataclass(frozen=True)
class DealState:
    amount: int
    price: int
    fill_amount: int

    def elements(self) -> list[int]:
        return [self.amount, self.price, self.fill_amount]


@dataclass(frozen=True)
class OfferState:
    price: int
    amount: int
    amt_to_execute: int

    def elements(self) -> list[int]:
        return [self.price, self.amount, self.amt_to_execute]


def create_deal(amount: int, price: int) -> tuple[DealState, tuple[int, int]]:
    """-> (Enc<Mxe, DealState>, Enc<Shared, DealCreatedBlob{amount, price}>)."""
    state = DealState(amount=amount, price=price, fill_amount=0)
    blob = (amount, price)
    return state, blob


def submit_offer(deal: DealState, offer_price: int, offer_amount: int) -> tuple[DealState, OfferState, tuple[int, int]]:
    """Greedy FIFO: the offer takes min(amount, remaining) if its price ≥ the deal's price."""
    price_passes = offer_price >= deal.price
    remaining = (deal.amount - deal.fill_amount) & U64
    amt_to_execute = min(offer_amount, remaining) if price_passes else 0
    new_deal = DealState(amount=deal.amount, price=deal.price, fill_amount=(deal.fill_amount + amt_to_execute) & U64)
    offer_state = OfferState(price=offer_price, amount=offer_amount, amt_to_execute=amt_to_execute)
    blob = (offer_price, offer_amount)
    return new_deal, offer_state, blob


def crank_deal(deal: DealState, is_expired: bool, allow_partial: bool) -> tuple[tuple[int, int, int], int]:
    """-> (DealSettledBlob{total_filled, creator_receives, creator_refund}, status u8)."""
    fully_filled = deal.fill_amount >= deal.amount
    if not is_expired and not fully_filled:
        return (0, 0, 0), STATUS_OPEN  # early crank: no-op, default blob
    deal_executes = fully_filled or (allow_partial and deal.fill_amount > 0)
    total_filled = deal.fill_amount if deal_executes else 0
    unfilled = (deal.amount - total_filled) & U64
    creator_receives = (((total_filled * deal.price) & U128) >> 64) & U64
    creator_refund = unfilled
    status = STATUS_EXECUTED if deal_executes else STATUS_EXPIRED
    return (total_filled, creator_receives, creator_refund), status


def crank_offer(offer: OfferState, deal_success: bool) -> tuple[int, int, int]:
    """-> OfferSettledBlob{outcome, executed_amt, refund_amt}."""
    executed_amt = offer.amt_to_execute if deal_success else 0
    refund_amt = (offer.amount - executed_amt) & U64
    if executed_amt == 0:
        outcome = OUTCOME_FAILED
    elif executed_amt < offer.amount:
        outcome = OUTCOME_PARTIAL
    else:
        outcome = OUTCOME_EXECUTED
    return outcome, executed_amt, refund_amt
