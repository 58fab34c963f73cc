"""Units of the zk-p2p market (DESIGN.md "Units").

Why a module of its own: the fiat due of a fill is computed on-chain (to build the public inputs
the proofs are checked against), by the prover (to build witnesses) and by the wallet (to show
what to pay). A one-paisa disagreement would make every proof fail, so there is exactly one
definition, with integer arithmetic only.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

USDC_DECIMALS = 6
USDC_BASE_PER_WHOLE = 10**USDC_DECIMALS
PAISA_PER_PKR = 100
U64_MAX = 2**64 - 1
SETTLEMENT_WINDOW_SECONDS = 24 * 60 * 60


def fiat_due(base_amount: int, price: int) -> int:
    """Paisa owed for ``base_amount`` USDC base units at ``price`` paisa per whole USDC.

    ceil(base × price / 10^6): rounding up so the seller is never paid less than the price.
    """
    if base_amount < 0 or price < 0:
        raise ValueError("amounts and prices are unsigned")
    return -(-base_amount * price // USDC_BASE_PER_WHOLE)


def _parse_decimal(text: str, decimals: int, what: str) -> int:
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number of {what}") from exc
    scaled = value * (10**decimals)
    if value < 0 or scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} is not a non-negative amount of {what} with at most {decimals} decimals")
    result = int(scaled)
    if result > U64_MAX:
        raise ValueError(f"{text!r} {what} does not fit in a u64")
    return result


def usdc_to_base(text: str) -> int:
    """"100.5" USDC -> 100_500_000 base units."""
    return _parse_decimal(text, USDC_DECIMALS, "USDC")


def pkr_to_paisa(text: str) -> int:
    """"285" PKR -> 28_500 paisa (also the price of 285 PKR per USDC)."""
    return _parse_decimal(text, 2, "PKR")


def format_usdc(base: int) -> str:
    whole, frac = divmod(int(base), USDC_BASE_PER_WHOLE)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)


def format_pkr(paisa: int) -> str:
    whole, frac = divmod(int(paisa), PAISA_PER_PKR)
    return f"{whole:,}.{frac:02d}" if frac else f"{whole:,}"
