"""finalize_trade's last step: hand the buyer's bond back and release the rail reservation.

Why a CPI into the Market: the bond PDA and the reservation are Market accounts, which only the
Market may debit or rewrite; Market.return_bond accepts the call only from this program, signed
by the processor authority, for an order whose payment is confirmed. Kept in its own module as
one call so that finalize_trade's verification can change without touching it.
"""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction

from localnet.programs.anchor_framework import Named
from localnet.runtime.program_api import InvokeContext
from protocol.idl import load_idl
from protocol.market_pdas import PROCESSOR_AUTHORITY_SEED, processor_authority
from protocol.program_ids import MARKET_PROGRAM_ID

MARKET_IDL = load_idl("market")
PROCESSOR_AUTHORITY, PROCESSOR_BUMP = processor_authority()


def return_bond(ctx: InvokeContext, acc: Named, order_id: int) -> None:
    """Market.return_bond for ``order_id``: bond lamports to ``acc.buyer``, reservation released."""
    ix = Instruction(MARKET_PROGRAM_ID, MARKET_IDL.encode_instruction("return_bond", {"order_id": order_id}), [
        AccountMeta(PROCESSOR_AUTHORITY, True, False), AccountMeta(acc.market.key, False, False),
        AccountMeta(acc.settlement_queue.key, False, False), AccountMeta(acc.bond.key, False, True),
        AccountMeta(acc.reservation.key, False, True), AccountMeta(acc.buyer.key, False, True)])
    ctx.invoke_signed(ix, [acc.processor_authority, acc.market, acc.settlement_queue, acc.bond, acc.reservation,
                           acc.buyer, acc.market_program], [[PROCESSOR_AUTHORITY_SEED, bytes([PROCESSOR_BUMP])]])
