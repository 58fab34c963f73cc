"""Decimal amounts as users type them <-> integer base units as the chain stores them.

Why Decimal-free integer parsing and one definition: 0.1 SOL must be exactly 100_000_000
lamports, an amount with more decimals than the token has is a user error to report (not
something to round away), and ``nan``/``inf``/``1e400`` must be refused with a message rather
than crash a command or a form on every keystroke. The grammar and its checks live in
``protocol.decimal_amounts`` (the local cluster, which cannot import the wallet, parses the
same amounts); this module is the wallet's face of it: the CLI, the GUI and the core import
their amount parsers from here.
"""
from __future__ import annotations

from protocol.decimal_amounts import (
    U64_MAX,
    AmountError,
    format_base_units,
    parse_decimal_amount,
    parse_plain_decimal,
    parse_whole_number,
)

SOL_DECIMALS = 9
USDC_DECIMALS = 6
PKR_DECIMALS = 2

__all__ = [
    "AmountError", "PKR_DECIMALS", "SOL_DECIMALS", "U64_MAX", "USDC_DECIMALS", "format_amount",
    "parse_amount", "parse_pkr", "parse_plain_decimal", "parse_sol", "parse_usdc", "parse_whole_number",
]


def parse_amount(text: str, decimals: int, *, what: str = "amount", unit: str = "",
                 positive: bool = True) -> int:
    """"1.5" with 6 decimals -> 1_500_000; refuses zero (unless ``positive=False``), negatives,
    excess precision, exponents, nan/inf and anything above a u64. Raises AmountError."""
    return parse_decimal_amount(text, decimals, what=what, unit=unit, positive=positive)


def parse_usdc(text: str, what: str = "size", *, positive: bool = True) -> int:
    """USDC as typed ("100" or "0.5") -> base units."""
    return parse_decimal_amount(text, USDC_DECIMALS, what=what, unit="USDC", positive=positive)


def parse_pkr(text: str, what: str = "price", *, positive: bool = True) -> int:
    """PKR as typed ("285" or "285.50") -> paisa (also a price in paisa per whole USDC)."""
    return parse_decimal_amount(text, PKR_DECIMALS, what=what, unit="PKR", positive=positive)


def parse_sol(text: str, what: str = "amount", *, positive: bool = True) -> int:
    """SOL as typed -> lamports."""
    return parse_decimal_amount(text, SOL_DECIMALS, what=what, unit="SOL", positive=positive)


def format_amount(units: int, decimals: int) -> str:
    """1_500_000 with 6 decimals -> "1.5"; whole numbers keep no decimal point."""
    return format_base_units(units, decimals)
