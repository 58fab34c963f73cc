"""Market instructions that move escrow out of the vault for a MatchedOrder.

Why only two doors: escrow leaves for the buyer only through ``release_escrowed_funds``, which
accepts a CPI from the OrderProcessor carrying its PDA signature (so a payment proof was
verified in that same transaction), and goes back to the seller only through
``reclaim_expired`` after the order's 24 h passed unpaid. Anything else is refused.
"""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction

from localnet.runtime.program_api import InvokeContext
from protocol import market_codec as mc
from protocol.idl import load_idl
from protocol.market_pdas import processor_authority
from protocol.program_ids import ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID

from localnet.programs.anchor_framework import Named, emit, fail, token_transfer
from . import bond
from .program import IDL, authority_seeds, check_token_account, load_market

PROCESSOR_IDL = load_idl("order_processor")
PROCESSOR_AUTHORITY = processor_authority()[0]  # fixed address (a deployed program would hard-code its bump)


def read_record(ctx: InvokeContext, acc: Named, order_id: int) -> dict:
    queue = acc.settlement_queue
    if queue.owner != ORDER_STORE_PROGRAM_ID:
        raise fail(ctx, IDL, "AccountMismatch", "settlement_queue is not owned by the OrderStore")
    where, _off = mc.locate_record(queue.data, order_id)
    if where == mc.ARCHIVED:   # archived records are Settled or Expired: nothing left to release or reclaim
        raise fail(ctx, IDL, "OrderNotPending", f"order {order_id} is archived (settled or expired)")
    if where != mc.LIVE:
        raise fail(ctx, IDL, "MatchedOrderNotFound", f"order {order_id}")
    record = mc.decode_record(queue.data, order_id)
    if record["market"] != acc.market.key:
        raise fail(ctx, IDL, "AccountMismatch", "the matched order belongs to another market")
    return record


def release_escrowed_funds(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if (ctx.caller_program_id() != ORDER_PROCESSOR_PROGRAM_ID or acc.processor_authority.key != PROCESSOR_AUTHORITY
            or not acc.processor_authority.is_signer):
        raise fail(ctx, IDL, "UnauthorizedRelease", f"caller {ctx.caller_program_id()}")
    market = load_market(ctx, acc)
    record = read_record(ctx, acc, args["order_id"])
    if record["status"] != "PaymentConfirmed":
        raise fail(ctx, IDL, "OrderNotConfirmed", f"order {args['order_id']} is {record['status']}")
    check_token_account(ctx, acc.destination, market["base_mint"], record["buyer"], "destination")
    token_transfer(ctx, acc.token_program, acc.vault, acc.destination, acc.market_authority, record["base_amount"],
                   [authority_seeds(acc.market.key, market)])
    emit(ctx, IDL, "FundsReleased", {"market": acc.market.key, "order_id": args["order_id"],
                                     "buyer": record["buyer"], "amount": record["base_amount"]})


def reclaim_expired(ctx: InvokeContext, acc: Named, args: dict) -> None:
    market = load_market(ctx, acc)
    record = read_record(ctx, acc, args["order_id"])
    if record["status"] != "Pending":
        raise fail(ctx, IDL, "OrderNotPending", f"order {args['order_id']} is {record['status']}")
    if ctx.clock().unix_timestamp < record["expires_at"]:
        raise fail(ctx, IDL, "NotExpired", f"expires at {record['expires_at']}")
    check_token_account(ctx, acc.seller_token, market["base_mint"], record["seller"], "seller_token")
    if acc.processor_authority.key != PROCESSOR_AUTHORITY:
        raise fail(ctx, IDL, "AccountMismatch", "processor_authority")
    seeds = authority_seeds(acc.market.key, market)
    ix = Instruction(ORDER_PROCESSOR_PROGRAM_ID,
                     PROCESSOR_IDL.encode_instruction("expire_matched_order", {"order_id": args["order_id"]}), [
        AccountMeta(acc.market_authority.key, True, False), AccountMeta(acc.market.key, False, False),
        AccountMeta(acc.settlement_queue.key, False, True), AccountMeta(acc.processor_authority.key, False, False),
        AccountMeta(acc.order_store_program.key, False, False)])
    ctx.invoke_signed(ix, [acc.market_authority, acc.market, acc.settlement_queue, acc.processor_authority,
                           acc.order_store_program, acc.order_processor_program], [seeds])
    token_transfer(ctx, acc.token_program, acc.vault, acc.seller_token, acc.market_authority, record["base_amount"],
                   [seeds])
    emit(ctx, IDL, "EscrowReclaimed", {"market": acc.market.key, "order_id": args["order_id"],
                                       "seller": record["seller"], "amount": record["base_amount"]})
    bond.pay_out(ctx, acc, record, args["order_id"], acc.seller, forfeited=True)  # the unpaid match's cost
