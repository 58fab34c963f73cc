"""The OrderStore program: the settlement queue, append-only, with a guarded status machine.

Why a separate program with two gatekeepers: the queue is the permanent receipt of every match.
Only the Market (proven by its authority PDA's signature on a CPI) may append, only the
OrderProcessor (proven by its PDA) may move a status, and only along
Pending → PaymentConfirmed → Settled or Pending → Expired. A record is written once at index
``order_id`` and never removed or overwritten; when the account is full it grows by realloc
(16 records at a time, the payer funds the rent) up to Solana's 10 MiB account limit, after
which new matches are refused with QueueFull.
"""
from __future__ import annotations

import struct

from solders.pubkey import Pubkey

from localnet.programs.anchor_framework import AnchorProgram, Named, emit, expect_key, fail, system_create_account, system_transfer
from localnet.runtime.program_api import InvokeContext, ProgramError
from protocol import market_codec as mc
from protocol.idl import load_idl
from protocol.market_pdas import MARKET_AUTHORITY_SEED, SETTLEMENT_QUEUE_SEED, processor_authority
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID

IDL = load_idl("order_store")
GROWTH_RECORDS = 16
MAX_QUEUE_LEN = 10 * 1024 * 1024
MAX_RECORDS = mc.queue_capacity(MAX_QUEUE_LEN)
PROCESSOR_AUTHORITY = processor_authority()[0]
LEGAL = {("Pending", "PaymentConfirmed"), ("PaymentConfirmed", "Settled"), ("Pending", "Expired")}
CU_BASE = 1_500


def queue_header(ctx: InvokeContext, acc: Named) -> tuple[bytes, bytes]:
    queue = acc.settlement_queue
    data = queue.data
    if (queue.owner != ORDER_STORE_PROGRAM_ID or len(data) < mc.QUEUE_RECORDS_OFFSET
            or bytes(data[:8]) != bytes(IDL.accounts["SettlementQueue"]["discriminator"])):
        raise fail(ctx, IDL, "InvalidQueueAccount", f"{queue.key}")
    return bytes(data[8:40]), bytes(data[40:72])


def initialize_queue(ctx: InvokeContext, acc: Named, args: dict) -> None:
    market = acc.market.key
    expected_auth, _ = ctx.find_program_address([MARKET_AUTHORITY_SEED, bytes(market)], MARKET_PROGRAM_ID)
    if ctx.caller_program_id() != MARKET_PROGRAM_ID or acc.market_authority.key != expected_auth \
            or not acc.market_authority.is_signer:
        raise fail(ctx, IDL, "UnauthorizedCaller", f"caller {ctx.caller_program_id()}")
    queue_key, bump = ctx.find_program_address([SETTLEMENT_QUEUE_SEED, bytes(market)], ORDER_STORE_PROGRAM_ID)
    expect_key(ctx, IDL, acc.settlement_queue, queue_key, "settlement_queue", "InvalidQueueAccount")
    if acc.settlement_queue.owner == ORDER_STORE_PROGRAM_ID:
        raise fail(ctx, IDL, "QueueAlreadyInitialized")
    size = mc.queue_len(GROWTH_RECORDS)
    system_create_account(ctx, acc.system_program, acc.payer, acc.settlement_queue, size, ORDER_STORE_PROGRAM_ID,
                          [SETTLEMENT_QUEUE_SEED, bytes(market), bytes([bump])])
    header = IDL.encode_account("SettlementQueue", {"market": market, "authority": expected_auth, "bump": bump,
                                                    "records": []})
    acc.settlement_queue.data[:len(header)] = header


def store_matched_order(ctx: InvokeContext, acc: Named, args: dict) -> None:
    market, authority = queue_header(ctx, acc)
    if ctx.caller_program_id() != MARKET_PROGRAM_ID or bytes(acc.market_authority.key) != authority \
            or not acc.market_authority.is_signer:
        raise fail(ctx, IDL, "UnauthorizedCaller", f"caller {ctx.caller_program_id()}")
    order = args["order"]
    if bytes(order["market"]) != market:
        raise fail(ctx, IDL, "MarketMismatch")
    queue = acc.settlement_queue
    count = mc.queue_count(queue.data)
    if order["order_id"] != count:
        raise fail(ctx, IDL, "NonSequentialOrderId", f"next order id is {count}, got {order['order_id']}")
    if order["status"] != "Pending" or order["expires_at"] <= order["matched_at"] or order["base_amount"] == 0:
        raise fail(ctx, IDL, "InvalidRecord")
    capacity = mc.queue_capacity(len(queue.data))
    if count >= capacity:
        if count >= MAX_RECORDS:
            raise fail(ctx, IDL, "QueueFull", f"{count} records")
        new_len = mc.queue_len(min(capacity + GROWTH_RECORDS, MAX_RECORDS))
        need = ctx.rent().minimum_balance(new_len) - queue.lamports
        if need > 0:
            system_transfer(ctx, acc.system_program, acc.payer, queue, need)
        queue.data = bytearray(queue.data) + bytes(new_len - len(queue.data))
    off = mc.record_offset(count)
    raw = mc.encode_record(order)
    queue.data[off:off + len(raw)] = raw
    struct.pack_into("<I", queue.data, mc.QUEUE_HEADER_LEN, count + 1)
    emit(ctx, IDL, "MatchedOrderStored", {"market": order["market"], "order_id": count,
                                          "capacity": mc.queue_capacity(len(queue.data))})


def update_status(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if ctx.caller_program_id() != ORDER_PROCESSOR_PROGRAM_ID or acc.processor_authority.key != PROCESSOR_AUTHORITY \
            or not acc.processor_authority.is_signer:
        raise fail(ctx, IDL, "UnauthorizedStatusUpdate", f"caller {ctx.caller_program_id()}")
    market, _ = queue_header(ctx, acc)
    queue = acc.settlement_queue
    order_id = args["order_id"]
    if order_id >= mc.queue_count(queue.data):
        raise fail(ctx, IDL, "RecordNotFound", f"order {order_id}")
    off = mc.record_offset(order_id)
    old = mc.STATUS_NAMES[queue.data[off + mc.REC_STATUS_OFFSET]]
    new = args["new_status"]
    if (old, new) not in LEGAL:
        raise fail(ctx, IDL, "IllegalTransition", f"{old} -> {new}")
    now = ctx.clock().unix_timestamp
    queue.data[off + mc.REC_STATUS_OFFSET] = mc.STATUS_NAMES.index(new)
    struct.pack_into("<q", queue.data, off + mc.REC_UPDATED_AT_OFFSET, now)
    emit(ctx, IDL, "StatusChanged", {"market": Pubkey.from_bytes(market), "order_id": order_id,
                                     "old_status": old, "new_status": new, "at": now})


class OrderStoreProgram(AnchorProgram):
    program_id = ORDER_STORE_PROGRAM_ID
    idl = IDL
    cu_base = CU_BASE
    handlers = {"initialize_queue": initialize_queue, "store_matched_order": store_matched_order,
                "update_status": update_status}


PROGRAM = OrderStoreProgram()
__all__ = ["PROGRAM", "OrderStoreProgram", "ProgramError"]
