"""The one amount parser (protocol/decimal_amounts.py, re-exported by wallet/core/amounts.py).

Properties: every string either parses to an integer within [0, u64] (or raises AmountError with
a message, nothing else); a value that parses equals the exact decimal scaled by the unit;
formatting then parsing is the identity; the strings that once crashed commands are refused.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocol.decimal_amounts import (
    U64_MAX,
    AmountError,
    format_base_units,
    parse_decimal_amount,
    parse_plain_decimal,
    parse_whole_number,
)
from protocol.units import pkr_to_paisa, usdc_to_base
from wallet.core import amounts
from wallet.core.otc_client import DealError, parse_price

HOSTILE = ["nan", "NaN", "-nan", "sNaN", "inf", "-inf", "Infinity", "1e400", "1E5", "-5", "-0", "+5",
           "0x10", "1,5", "1,000", "1_000", " ", "", ".", "..", "1..2", "1.2.3", "١٢٣", "１２", "1 000",
           "12abc", "\x00", "1\n2", "9" * 65, "18446744073709551616", "∞", "½", "²"]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_strings_are_refused_with_a_message(text: str) -> None:
    for decimals in (0, 2, 6, 9):
        with pytest.raises(AmountError) as info:
            parse_decimal_amount(text, decimals)
        assert str(info.value).startswith("the amount")


def test_known_values() -> None:
    assert amounts.parse_usdc("100") == 100_000_000 and amounts.parse_usdc("0.000001") == 1
    assert amounts.parse_usdc(" 1.50 ") == 1_500_000 and amounts.parse_usdc("1.5000000") == 1_500_000
    assert amounts.parse_usdc(".5") == 500_000 and amounts.parse_usdc("5.") == 5_000_000
    assert amounts.parse_pkr("285") == 28_500 and amounts.parse_sol("0.1") == 100_000_000
    assert usdc_to_base("0") == 0 and pkr_to_paisa("0.00") == 0
    assert parse_whole_number(str(U64_MAX)) == U64_MAX
    assert parse_decimal_amount("18446744073709.551615", 6) == U64_MAX
    with pytest.raises(AmountError, match="too large"):
        parse_decimal_amount("18446744073709.551616", 6)
    with pytest.raises(AmountError, match="at most 6 decimals"):
        amounts.parse_usdc("0.0000001")
    with pytest.raises(AmountError, match="must be positive"):
        amounts.parse_usdc("0")
    with pytest.raises(AmountError, match="whole number"):
        parse_whole_number("1.5")
    with pytest.raises(AmountError, match="at least 1"):
        parse_whole_number("0", minimum=1)
    assert parse_price("1.5") == (1 << 64) + (1 << 63)
    for bad in ("nan", "1e400", "-1", "0", "inf"):
        with pytest.raises(DealError):
            parse_price(bad)


@settings(max_examples=600)
@given(st.text(max_size=30), st.integers(min_value=0, max_value=12), st.booleans())
@example("1e400", 6, True)
@example("NaN", 2, False)
def test_any_text_parses_in_range_or_raises_amount_error(text: str, decimals: int, positive: bool) -> None:
    try:
        units = parse_decimal_amount(text, decimals, positive=positive)
    except AmountError as exc:
        assert str(exc)  # a message, always
        return
    assert isinstance(units, int) and (1 if positive else 0) <= units <= U64_MAX
    # what parsed is exactly the decimal the text spells, scaled by the unit
    assert Decimal(text.strip()).scaleb(decimals) == units


@settings(max_examples=400)
@given(st.integers(min_value=0, max_value=U64_MAX), st.integers(min_value=0, max_value=12))
def test_format_then_parse_is_identity(units: int, decimals: int) -> None:
    assert parse_decimal_amount(format_base_units(units, decimals), decimals, positive=False) == units


@settings(max_examples=300)
@given(st.decimals(allow_nan=True, allow_infinity=True, places=None))
def test_decimal_renderings_never_escape(value: Decimal) -> None:
    """Every way Decimal renders itself (exponents, signs, nan) is refused or parsed, never raises
    anything but AmountError."""
    for text in (str(value), f"{value:f}" if value.is_finite() else str(value)):
        try:
            parse_plain_decimal(text)
            parse_decimal_amount(text, 6)
        except AmountError:
            pass
