"""The OrderStore program: the settlement queue, append-only, with a guarded status machine.

Why a separate program with two gatekeepers: the queue is the permanent receipt of every match.
Only the Market (proven by its authority PDA's signature on a CPI) may append, only the
OrderProcessor (proven by its PDA) may move a status, and only along
Pending → PaymentConfirmed → Settled or Pending → Expired. A record is written once, under the
next order id, and never overwritten.

Why a sliding window and archive accounts (security issue 10): an append-only queue fills its
10 MiB after ~52,000 matches and would stop all matching for ever. Now a Settled or Expired
record leaves the live queue for its own ArchivedOrder PDA (``archive_record``, a permissionless
crank; the cranker funds that account's rent and gets it back when anyone closes it after
ARCHIVE_RETENTION_SECONDS), so nothing is lost and the id still resolves
(protocol.market_codec.lookup_record). An append that finds the account full first slides the
window past archived slots at its front, then grows by realloc (16 records, ≤ 10 KiB per
instruction, the payer funds the rent). Only *live* records occupy the queue: Pending ones for at
most the 24 h settlement window (after it anyone may reclaim_expired, then archive).
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
ARCHIVE_RETENTION_SECONDS = 30 * 24 * 60 * 60
ARCHIVE_LEN = 8 + IDL.codec.size_of({"defined": {"name": "ArchivedOrder"}})
MEM_OP_BYTES_PER_CU = 250   # Solana's sol_memmove cost: max(10, bytes / 250) compute units


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
                                                    "base_order_id": 0, "records": []})
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
    window = mc.queue_window(queue.data)
    capacity = mc.queue_capacity(len(queue.data))
    if window >= capacity:
        window = slide_window(ctx, queue, window)
    if window >= capacity:
        if capacity >= MAX_RECORDS:
            raise fail(ctx, IDL, "QueueFull", f"{window} live records")
        new_len = mc.queue_len(min(capacity + GROWTH_RECORDS, MAX_RECORDS))
        need = ctx.rent().minimum_balance(new_len) - queue.lamports
        if need > 0:
            system_transfer(ctx, acc.system_program, acc.payer, queue, need)
        queue.data = bytearray(queue.data) + bytes(new_len - len(queue.data))
    off = mc.slot_offset(window)
    raw = mc.encode_record(order)
    queue.data[off:off + len(raw)] = raw
    struct.pack_into("<I", queue.data, mc.QUEUE_HEADER_LEN, window + 1)
    emit(ctx, IDL, "MatchedOrderStored", {"market": order["market"], "order_id": count,
                                          "capacity": mc.queue_capacity(len(queue.data))})


def slide_window(ctx: InvokeContext, queue, window: int) -> int:
    """Drop the archived slots at the front of the window (memmove the rest forward, raise
    base_order_id); returns the new window length. Order ids are unchanged."""
    data = queue.data
    skip = 0
    while skip < window and mc.is_tombstone(data, skip):
        skip += 1
    if skip == 0:
        return window
    ctx.consume(max(10, (window - skip) * mc.RECORD_LEN // MEM_OP_BYTES_PER_CU))
    start, end = mc.slot_offset(skip), mc.slot_offset(window)
    data[mc.QUEUE_RECORDS_OFFSET:mc.QUEUE_RECORDS_OFFSET + end - start] = data[start:end]
    data[mc.slot_offset(window - skip):end] = bytes(end - mc.slot_offset(window - skip))
    struct.pack_into("<Q", data, mc.QUEUE_BASE_OFFSET, mc.queue_base(data) + skip)
    struct.pack_into("<I", data, mc.QUEUE_HEADER_LEN, window - skip)
    return window - skip


def update_status(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if ctx.caller_program_id() != ORDER_PROCESSOR_PROGRAM_ID or acc.processor_authority.key != PROCESSOR_AUTHORITY \
            or not acc.processor_authority.is_signer:
        raise fail(ctx, IDL, "UnauthorizedStatusUpdate", f"caller {ctx.caller_program_id()}")
    market, _ = queue_header(ctx, acc)
    queue = acc.settlement_queue
    order_id = args["order_id"]
    where, off = mc.locate_record(queue.data, order_id)
    if off is None:   # archived records are terminal: no transition leaves Settled or Expired
        raise fail(ctx, IDL, "IllegalTransition" if where == mc.ARCHIVED else "RecordNotFound",
                   f"order {order_id} is {where}")
    old = mc.STATUS_NAMES[queue.data[off + mc.REC_STATUS_OFFSET]]
    new = args["new_status"]
    if (old, new) not in LEGAL:
        raise fail(ctx, IDL, "IllegalTransition", f"{old} -> {new}")
    now = ctx.clock().unix_timestamp
    queue.data[off + mc.REC_STATUS_OFFSET] = mc.STATUS_NAMES.index(new)
    struct.pack_into("<q", queue.data, off + mc.REC_UPDATED_AT_OFFSET, now)
    emit(ctx, IDL, "StatusChanged", {"market": Pubkey.from_bytes(market), "order_id": order_id,
                                     "old_status": old, "new_status": new, "at": now})


def archive_record(ctx: InvokeContext, acc: Named, args: dict) -> None:
    """Move a terminal record out of the live queue into its ArchivedOrder PDA (anyone may crank)."""
    if not acc.payer.is_signer:
        raise ProgramError("MissingRequiredSignature")
    market, _ = queue_header(ctx, acc)
    queue, order_id = acc.settlement_queue, args["order_id"]
    where, off = mc.locate_record(queue.data, order_id)
    if where == mc.ARCHIVED:
        raise fail(ctx, IDL, "AlreadyArchived", f"order {order_id}")
    if off is None:
        raise fail(ctx, IDL, "RecordNotFound", f"order {order_id}")
    record = mc.decode_record(queue.data, order_id)
    if record["status"] not in mc.TERMINAL_STATUSES:
        raise fail(ctx, IDL, "RecordStillLive", f"order {order_id} is {record['status']}")
    seed_id = order_id.to_bytes(8, "little")
    key, bump = ctx.find_program_address([mc.ARCHIVED_ORDER_SEED, market, seed_id], ORDER_STORE_PROGRAM_ID)
    expect_key(ctx, IDL, acc.archived_order, key, "archived_order", "InvalidArchiveAccount")
    system_create_account(ctx, acc.system_program, acc.payer, acc.archived_order, ARCHIVE_LEN, ORDER_STORE_PROGRAM_ID,
                          [mc.ARCHIVED_ORDER_SEED, market, seed_id, bytes([bump])])
    now = ctx.clock().unix_timestamp
    acc.archived_order.data[:] = IDL.encode_account("ArchivedOrder", {
        "record": record, "archived_at": now, "rent_payer": acc.payer.key})
    queue.data[off:off + mc.RECORD_LEN] = bytes(mc.RECORD_LEN)   # tombstone; the window slides past it later
    emit(ctx, IDL, "RecordArchived", {"market": Pubkey.from_bytes(market), "order_id": order_id,
                                      "status": record["status"], "archive": key,
                                      "base_order_id": mc.queue_base(queue.data)})


def close_archived(ctx: InvokeContext, acc: Named, args: dict) -> None:
    """After the retention period anyone may close an ArchivedOrder; the rent goes to its funder."""
    market, _ = queue_header(ctx, acc)
    order_id, archive = args["order_id"], acc.archived_order
    key, _bump = ctx.find_program_address([mc.ARCHIVED_ORDER_SEED, market, order_id.to_bytes(8, "little")],
                                          ORDER_STORE_PROGRAM_ID)
    expect_key(ctx, IDL, archive, key, "archived_order", "InvalidArchiveAccount")
    if archive.owner != ORDER_STORE_PROGRAM_ID or bytes(archive.data[:8]) != bytes(IDL.accounts["ArchivedOrder"]["discriminator"]):
        raise fail(ctx, IDL, "InvalidArchiveAccount", f"{archive.key} holds no archived order")
    value = mc.decode_archived(bytes(archive.data))
    if acc.rent_payer.key != value["rent_payer"]:
        raise fail(ctx, IDL, "WrongRentPayer", f"rent goes to {value['rent_payer']}")
    if ctx.clock().unix_timestamp < value["archived_at"] + ARCHIVE_RETENTION_SECONDS:
        raise fail(ctx, IDL, "RetentionNotOver", f"closable from {value['archived_at'] + ARCHIVE_RETENTION_SECONDS}")
    lamports = archive.lamports
    acc.rent_payer.lamports += lamports
    archive.lamports = 0
    archive.data[:] = bytes(len(archive.data))
    archive.data = bytearray()
    archive.owner = Pubkey.from_string("11111111111111111111111111111111")
    emit(ctx, IDL, "ArchiveClosed", {"market": Pubkey.from_bytes(market), "order_id": order_id,
                                     "rent_payer": acc.rent_payer.key, "lamports": lamports})


class OrderStoreProgram(AnchorProgram):
    program_id = ORDER_STORE_PROGRAM_ID
    idl = IDL
    cu_base = CU_BASE
    handlers = {"initialize_queue": initialize_queue, "store_matched_order": store_matched_order,
                "update_status": update_status, "archive_record": archive_record,
                "close_archived": close_archived}


PROGRAM = OrderStoreProgram()
__all__ = ["PROGRAM", "OrderStoreProgram", "ProgramError"]
