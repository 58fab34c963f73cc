"""Decimal amounts as users type them <-> integer base units as the chain stores them.

Why Decimal and not float: 0.1 SOL must be exactly 100_000_000 lamports, and an amount with
more decimals than the token has is a user error to report, not something to round away.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

SOL_DECIMALS = 9
USDC_DECIMALS = 6
U64_MAX = 2**64 - 1


class AmountError(ValueError):
    """An amount the user typed cannot be represented exactly."""


def parse_amount(text: str, decimals: int) -> int:
    """"1.5" with 6 decimals -> 1_500_000; refuses negatives, excess precision and overflow."""
    try:
        value = Decimal(str(text).strip().replace("_", ""))
    except InvalidOperation as exc:
        raise AmountError(f"not a number: {text!r}") from exc
    if not value.is_finite() or value <= 0:
        raise AmountError(f"amount must be a positive number: {text!r}")
    units = value.scaleb(decimals)
    if units != units.to_integral_value():
        raise AmountError(f"{text} has more than {decimals} decimal places")
    if units > U64_MAX:
        raise AmountError(f"{text} is too large")
    return int(units)


def format_amount(units: int, decimals: int) -> str:
    """1_500_000 with 6 decimals -> "1.5"; whole numbers keep no decimal point."""
    text = f"{Decimal(units).scaleb(-decimals):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
