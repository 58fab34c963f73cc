"""argparse ``type=`` helpers for every option that takes a number.

Why here, and why ArgumentTypeError: a bad value must be refused while the command line is
parsed, the argparse way (the usage line and one message, exit code 2, or the `--json` error
object), before any wallet is unlocked or cluster contacted. Each helper goes through the one
amount grammar of wallet.core.amounts, so `nan`, `-5`, `1e400` or `1,5` get a message, never a
traceback.
"""
from __future__ import annotations

import argparse
from typing import Callable

from wallet.core.amounts import AmountError, parse_pkr, parse_sol, parse_usdc, parse_whole_number


def _argument(parse: Callable[[], int]) -> int:
    try:
        return parse()
    except AmountError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def usdc_arg(text: str) -> int:
    """argparse type: USDC as typed ("100" or "0.5") -> base units, more than zero."""
    return _argument(lambda: parse_usdc(text, "size"))


def price_arg(text: str) -> int:
    """argparse type: PKR per USDC as typed ("285" or "285.50") -> paisa per whole USDC."""
    return _argument(lambda: parse_pkr(text, "price"))


def pkr_arg(text: str) -> int:
    """argparse type: an amount of PKR ("50000") -> paisa, more than zero."""
    return _argument(lambda: parse_pkr(text, "PKR amount"))


def base_units_arg(text: str) -> int:
    """argparse type: a whole number of a mint's base units, 1..u64."""
    return _argument(lambda: parse_whole_number(text, what="amount of base units", minimum=1))


U128_MAX = 2**128 - 1


def order_id_arg(text: str) -> int:
    """argparse type: a matched order's number (an index into the settlement queue, u64)."""
    return _argument(lambda: parse_whole_number(text, what="order id"))


def resting_order_id_arg(text: str) -> int:
    """argparse type: a resting order's id (the book's u128 key: price and sequence number)."""
    return _argument(lambda: parse_whole_number(text, what="order id", maximum=U128_MAX))


def count_arg(maximum: int) -> Callable[[str], int]:
    """argparse type: a count or a number of seconds, 1..maximum."""
    def parse(text: str) -> int:
        return _argument(lambda: parse_whole_number(text, what="number", minimum=1, maximum=maximum))
    parse.__name__ = "number"  # argparse names the type in its message
    return parse


def sol_arg(text: str) -> int:
    """argparse type: SOL as typed -> lamports, more than zero."""
    return _argument(lambda: parse_sol(text, "SOL amount"))


def usdc_amount_arg(text: str) -> int:
    """argparse type: USDC as typed -> base units, more than zero."""
    return _argument(lambda: parse_usdc(text, "USDC amount"))
