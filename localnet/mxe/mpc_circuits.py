"""Seed 003's four encrypted instructions on secret-shared values (MPyC), mirroring circuits.py.

Why: in the MPC compute mode the decrypted inputs and the deal/offer state exist only as Shamir
shares; the greedy-FIFO fill, the X64.64 settlement ``((filled × price) mod 2^128) >> 64`` and the
statuses must be computed on shares and give exactly the plaintext model's results
(``tests/unit/test_mxe_mpc_circuits.py`` checks that with Hypothesis against ``circuits.py``).

Values are ``SecFld(2^255−19)`` shares, exactly as they come out of Rescue decryption. The
comparisons and the exact ``mod 2^k`` are ``mpc_checks.ge_many`` / ``mod_pow2``: one masked
opening plus a carry-lookahead comparison, with random bits that t+1 parties XOR together
(MPyC's own ``SecInt`` comparisons, built on its slower random bits, measured ~4× slower here).
Every input is within its type (the range check runs first), so ``a − b + 2^bits`` never
leaves ``(0, 2^(bits+1))``, and the 192-bit settlement product never wraps mod p.

Values opened: only what the plaintext protocol already makes public, i.e. crank_deal's status
byte (whether the deal executes: never more, e.g. not whether an executed partial deal was in
fact fully filled); everything else stays shared.
"""
from __future__ import annotations

from localnet.mxe import circuits as plain
from localnet.mxe.mpc_checks import ge_many, mod_pow2
from localnet.mxe.mpc_crypto import secfld
from localnet.mxe.mpc_open import open_checked
from protocol.rescue import P

INV_2_64 = pow(1 << 64, -1, P)


async def submit_offer(deal: tuple, offer_price, offer_amount) -> tuple[tuple, tuple, tuple]:
    amount, price, fill = deal
    remaining = amount - fill
    passes, covers = await ge_many([(offer_price, price, 128), (offer_amount, remaining, 64)])
    smaller = offer_amount + covers * (remaining - offer_amount)   # min(offer_amount, remaining)
    take = passes * smaller
    return (amount, price, fill + take), (offer_price, offer_amount, take), (offer_price, offer_amount)


async def crank_deal(deal: tuple, is_expired: bool, allow_partial: bool) -> tuple[tuple, int]:
    """-> (blob, status); the status is public in the callback output, so it is opened here."""
    amount, price, fill = deal
    if not is_expired or not allow_partial:
        (fully,) = await ge_many([(fill, amount, 64)])
        executes = bool((await open_checked([fully]))[0])
        if not is_expired and not executes:
            return (secfld(0), secfld(0), secfld(0)), plain.STATUS_OPEN
    else:
        # open only "executes" (what the status byte says), not whether the deal filled fully
        fully, started = await ge_many([(fill, amount, 64), (fill, 1, 64)])
        executes = bool((await open_checked([fully + (1 - fully) * started]))[0])
    total = fill if executes else secfld(0)
    low64, low128 = await mod_pow2(total * price, 192, (64, 128))
    receives = (low128 - low64) * INV_2_64
    status = plain.STATUS_EXECUTED if executes else plain.STATUS_EXPIRED
    return (total, receives, amount - total), status


async def crank_offer(offer: tuple, deal_success: bool) -> tuple:
    _price, amount, take = offer
    executed = take if deal_success else secfld(0)
    nonzero, complete = await ge_many([(executed, 1, 64), (executed, amount, 64)])
    partial = 1 - complete
    outcome = (1 - nonzero) * plain.OUTCOME_FAILED + nonzero * partial * plain.OUTCOME_PARTIAL
    return outcome, executed, amount - executed
