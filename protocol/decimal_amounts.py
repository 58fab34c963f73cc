"""The one parser of amounts as people type them ("100", "0.5", "285.50") into integer base units.

Why one parser, and why this strict: amounts arrive from the CLI, the GUI's forms and the local
cluster's faucet. Python's ``Decimal`` accepts far more than a person means by an amount —
``nan``, ``inf``, ``1e400``, ``-0``, Arabic-Indic digits, surrounding underscores — and each of
those once ended in a traceback or a silently different number. So the grammar is explicit:
ASCII digits with at most one decimal point, nothing else (no sign, no exponent, no thousands
separator, since "1,5" means 1.5 in half the world and 15 in the other half). The value is
computed with integers only, must fit the unit's decimals exactly (excess precision is a user
error, not something to round away: trailing zeros are fine) and must fit a u64 of base units.
Every refusal is one ``AmountError`` whose message names the field and says what is wrong.

This module lives in ``protocol`` because the local cluster (which must not import the wallet)
parses the same amounts; ``wallet.core.amounts`` re-exports it for the wallet.
"""
from __future__ import annotations

import re
from decimal import Decimal

U64_MAX = 2**64 - 1
MAX_INPUT_CHARS = 64  # far beyond any u64 amount; bounds the work done on hostile input

_PLAIN_DECIMAL = re.compile(r"(?P<whole>[0-9]*)(?:\.(?P<frac>[0-9]*))?", re.ASCII)


class AmountError(ValueError):
    """An amount the user typed is not a plain, exact, in-range decimal; the message says why."""


def _describe(text: object) -> str:
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "…'"


def split_decimal(text: str, what: str = "amount") -> tuple[str, str]:
    """``"12.50"`` -> ``("12", "5")``: the whole digits and the fraction digits without trailing
    zeros, after checking the plain-decimal grammar. Raises AmountError."""
    if not isinstance(text, str):
        raise AmountError(f"the {what} must be text, not {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise AmountError(f"the {what} is empty")
    if len(stripped) > MAX_INPUT_CHARS:
        raise AmountError(f"the {what} is too long ({len(stripped)} characters)")
    match = _PLAIN_DECIMAL.fullmatch(stripped)
    if match is None or not (match["whole"] or match["frac"]):
        if stripped.startswith("-"):
            raise AmountError(f"the {what} {_describe(text)} is not a non-negative number")
        if "," in stripped:
            raise AmountError(f"the {what} {_describe(text)} has a comma: write a plain number "
                              "such as 1234.5 (a point for decimals, no thousands separators)")
        raise AmountError(f"the {what} {_describe(text)} is not a number "
                          "(digits and at most one point, such as 100 or 0.5)")
    return match["whole"] or "0", (match["frac"] or "").rstrip("0")


def parse_decimal_amount(text: str, decimals: int, *, what: str = "amount", unit: str = "",
                         positive: bool = True, max_units: int = U64_MAX) -> int:
    """``"1.5"`` with 6 decimals -> 1_500_000 base units.

    ``positive`` refuses zero (an order, a top-up, a transfer of nothing is a mistake);
    ``max_units`` is the largest base-unit value accepted (a u64 unless told otherwise).
    """
    if not 0 <= decimals <= 30:
        raise ValueError(f"decimals out of range: {decimals}")
    whole, frac = split_decimal(text, what)
    suffix = f" {unit}" if unit else ""
    if len(frac) > decimals:
        if not decimals:
            raise AmountError(f"the {what} {_describe(text.strip())} must be a whole number")
        places = "place" if decimals == 1 else "places"
        raise AmountError(f"the {what} {_describe(text.strip())} has more than {decimals} decimal {places} "
                          f"({unit or 'this unit'} allows at most {decimals} decimals)")
    if len(whole.lstrip("0")) > 40:
        raise AmountError(f"the {what} {_describe(text.strip())}{suffix} is too large")
    units = int(whole) * 10**decimals + (int(frac.ljust(decimals, "0")) if frac else 0)
    if positive and units == 0:
        raise AmountError(f"the {what} must be positive (more than zero)")
    if units > max_units:
        largest = format_base_units(max_units, decimals)
        raise AmountError(f"the {what} {_describe(text.strip())}{suffix} is too large "
                          f"(at most {largest}{suffix})")
    return units


def parse_plain_decimal(text: str, *, what: str = "amount", positive: bool = True) -> Decimal:
    """A plain decimal (same grammar) as an exact ``Decimal``, for values that are not base
    units of a token, such as an OTC price before its X64.64 conversion."""
    whole, frac = split_decimal(text, what)
    if len(whole.lstrip("0")) > 40 or len(frac) > 40:
        raise AmountError(f"the {what} {_describe(text.strip())} has too many digits")
    value = Decimal(f"{whole}.{frac or '0'}")
    if positive and value == 0:
        raise AmountError(f"the {what} must be positive (more than zero)")
    return value


def parse_whole_number(text: str, *, what: str = "number", minimum: int = 0,
                       maximum: int = U64_MAX) -> int:
    """A whole number (an order id, a count, seconds) within [minimum, maximum]."""
    value = parse_decimal_amount(text, 0, what=what, positive=False, max_units=max(maximum, 0))
    if value < minimum:
        raise AmountError(f"the {what} must be at least {minimum}")
    return value


def format_base_units(units: int, decimals: int) -> str:
    """1_500_000 with 6 decimals -> "1.5"; whole numbers keep no decimal point."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(int(units)), 10**decimals)
    return sign + (f"{whole}.{frac:0{decimals}d}".rstrip("0").rstrip(".") if frac else str(whole))
