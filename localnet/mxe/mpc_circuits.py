"""Seed 003's four encrypted instructions on secret-shared values (MPyC), mirroring circuits.py.

Why: in the MPC compute mode the decrypted inputs and the deal/offer state exist only as Shamir
shares; the greedy-FIFO fill, the X64.64 settlement ``((filled × price) mod 2^128) >> 64`` and the
statuses must be computed on shares and give exactly the plaintext model's results
(``tests/unit/test_mxe_mpc_circuits.py`` checks that with Hypothesis against ``circuits.py``).

Types: decrypted Rescue values are ``SecFld(2^255−19)`` elements; ``SecInt(l, p=2^255−19)`` lives
over the same field, so a share moves to an integer type for free (``as_int``). Comparisons use
130-bit integers (u128 prices); the settlement product (≤ 2^192) uses 200-bit integers and exact
``mod 2^k`` reductions, never MPyC's probabilistic ``trunc``. Values opened: only what the
plaintext protocol already makes public, i.e. crank_deal's status byte (whether the deal
executes: never more, e.g. not whether an executed partial deal was in fact fully filled);
everything else stays shared.

Range: a comparison on shares is statistically hiding only for inputs inside its bit length, so
every client input is range-checked (``mpc_checks.py``) before it reaches ``submit_offer``.
"""
from __future__ import annotations

from mpyc.runtime import mpc

from localnet.mxe import circuits as plain
from protocol.rescue import P

secint = mpc.SecInt(130, p=P)    # comparisons on u64 / u128 values
secwide = mpc.SecInt(200, p=P)   # the settlement product (≤ 2^192)


def as_int(x, t=secint):
    """The same share, read as a secure integer (same field: no interaction)."""
    return t(x.share)


def submit_offer(deal: tuple, offer_price, offer_amount) -> tuple[tuple, tuple, tuple]:
    amount, price, fill = deal
    passes = offer_price >= price
    remaining = amount - fill
    take = passes * mpc.min(offer_amount, remaining)
    return (amount, price, fill + take), (offer_price, offer_amount, take), (offer_price, offer_amount)


async def crank_deal(deal: tuple, is_expired: bool, allow_partial: bool) -> tuple[tuple, int]:
    """-> (blob, status); the status is public in the callback output, so it is opened here."""
    amount, price, fill = deal
    fully = fill >= amount
    if not is_expired:
        if not int(await mpc.output(fully)):
            return (secint(0), secint(0), secint(0)), plain.STATUS_OPEN
        executes = True
    elif allow_partial:
        # open only "executes" (what the status byte says), not whether the deal filled fully
        executes = bool(int(await mpc.output(fully + (1 - fully) * (1 - mpc.is_zero(fill)))))
    else:
        executes = bool(int(await mpc.output(fully)))
    total = fill if executes else secint(0)
    product = as_int(total, secwide) * as_int(price, secwide)
    wrapped = product % (1 << 128)
    receives = as_int((wrapped - wrapped % (1 << 64)) * pow(1 << 64, -1, P), secint)
    status = plain.STATUS_EXECUTED if executes else plain.STATUS_EXPIRED
    return (total, receives, amount - total), status


def crank_offer(offer: tuple, deal_success: bool) -> tuple:
    _price, amount, take = offer
    executed = take if deal_success else secint(0)
    zero = mpc.is_zero(executed)
    partial = executed < amount
    outcome = zero * plain.OUTCOME_FAILED + (1 - zero) * partial * plain.OUTCOME_PARTIAL
    return outcome, executed, amount - executed
