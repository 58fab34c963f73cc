"""Short references for what a user reads: orders and rail payments.

Why: a resting order's id is its u128 book key (`price << 64 | seq`, ~25 digits) and a rail
payment id is a random ~77-digit number; neither can be read aloud, compared at a glance or
typed. The book key's low 64 bits are the market's order sequence number, unique in the
market, so `#<seq>` names a resting order without loss; a payment is named by the first
eight hex digits of its id, grouped (enough to tell a user's payments apart; the full id stays
in the wallet's notes and the rail's statement).
"""
from __future__ import annotations

U64_MAX = (1 << 64) - 1


def order_ref(order_id: int) -> str:
    """`#17` for a book key (its sequence number) or a small matched-order id."""
    order_id = int(order_id)
    return f"#{order_id & U64_MAX if order_id > U64_MAX else order_id}"


def payment_ref(payment_id: int | str) -> str:
    """`3F9A-0C21`: the first 8 hex digits of a rail payment id (or the id itself when short)."""
    text = str(payment_id).strip()
    try:
        value = int(text)
    except ValueError:
        return text[:9]
    if value < 10**8:
        return str(value)
    digits = f"{value:X}"[:8]
    return f"{digits[:4]}-{digits[4:]}"
