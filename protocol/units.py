"""Units of the zk-p2p market (DESIGN.md "Units").

Why a module of its own: the fiat due of a fill is computed on-chain (to build the public inputs
the proofs are checked against), by the prover (to build witnesses) and by the wallet (to show
what to pay). A one-paisa disagreement would make every proof fail, so there is exactly one
definition, with integer arithmetic only.
"""
from __future__ import annotations

from .decimal_amounts import parse_decimal_amount

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


def usdc_to_base(text: str) -> int:
    """"100.5" USDC -> 100_500_000 base units (zero allowed; protocol.decimal_amounts rules)."""
    return parse_decimal_amount(text, USDC_DECIMALS, what="USDC amount", unit="USDC", positive=False)


def pkr_to_paisa(text: str) -> int:
    """"285" PKR -> 28_500 paisa (also the price of 285 PKR per USDC)."""
    return parse_decimal_amount(text, 2, what="PKR amount", unit="PKR", positive=False)


def format_usdc(base: int) -> str:
    whole, frac = divmod(int(base), USDC_BASE_PER_WHOLE)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".") if frac else str(whole)


def format_pkr(paisa: int) -> str:
    whole, frac = divmod(int(paisa), PAISA_PER_PKR)
    return f"{whole:,}.{frac:02d}" if frac else f"{whole:,}"
