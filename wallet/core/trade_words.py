"""The trading refusals a user reads, in USDC and PKR (never base units or paisa).

Why a module of small builders: the amounts on chain are integers (USDC base units, 10^-6; PKR
paisa, 10^-2) and a message built with an f-string around them leaked those integers to the
user ("escrows 100000000 USDC base units"). These functions are the one place the conversion
happens, and tests/unit/test_user_words.py checks every one with Hypothesis.
"""
from __future__ import annotations

from protocol.units import format_pkr, format_usdc


def usdc(base_units: int) -> str:
    return f"{format_usdc(base_units)} USDC"


def pkr(paisa: int) -> str:
    return f"{format_pkr(paisa)} PKR"


def escrow_shortfall(size: int, held: int) -> str:
    return f"the ask escrows {usdc(size)} but this account holds {usdc(held)}"


def rail_shortfall(balance: int, due: int, reserved: int) -> str:
    if reserved:
        return (f"your rail balance ({pkr(balance)}) does not cover this bid's {pkr(due)} on top of the "
                f"{pkr(reserved)} your open matches already reserve")
    return f"your rail balance ({pkr(balance)}) does not cover this bid's {pkr(due)}"


def tick_rule(tick: int) -> str:
    return f"the price must be a positive multiple of the market's tick, {pkr(tick)}"


def minimum_size_rule(minimum: int) -> str:
    return f"the size must be at least {usdc(minimum)}"
