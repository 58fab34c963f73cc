"""The OrderProcessor program: one payment proof settles one MatchedOrder, in one transaction.

Why this order of steps (seed 000, phase 4): verify the Groth16 payment proof against the
order's own public data (its reference, payee commitment, fiat due, match time) and a registered
notary -- the reference Poseidon([DOMAIN_ORDER_REF, market, order id, record buyer]) is
recomputed here from the record, so a receipt (which the notary signed with the reference the
buyer paid with) settles this order only, whoever submits it, and the escrow goes to the record's
buyer whoever pays the fee;
spend the payment's nullifier by creating its PDA (so the same payment can never settle a
second order); mark PaymentConfirmed before any asset moves (no race with expiry); make the
permissioned CPI that releases the escrow to the buyer; mark Settled. Any failure aborts all of it.
"""
from __future__ import annotations

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from localnet.programs.groth16.verifier import require_valid_proof
from localnet.programs.anchor_framework import AnchorProgram, Named, emit, expect_key, fail, field_bytes, system_create_account
from localnet.runtime.program_api import InvokeContext
from protocol import market_codec as mc
from protocol.attestation import DOMAIN_ORDER_REF
from protocol.idl import IdlError, load_idl
from protocol.market_pdas import NULLIFIER_SEED, PROCESSOR_AUTHORITY_SEED, payment_verifying_key, processor_authority
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID, ORDER_STORE_PROGRAM_ID

from .bond_return import return_bond

IDL = load_idl("order_processor")
MARKET_IDL = load_idl("market")
STORE_IDL = load_idl("order_store")
PROCESSOR_AUTHORITY, PROCESSOR_BUMP = processor_authority()
PAYMENT_VK = payment_verifying_key()[0]
NULLIFIER_LEN = 8 + 32 + 32 + 8 + 8
CU_BASE = 3_000


def load_market_account(ctx: InvokeContext, account, type_name: str) -> dict:
    """A Market-owned account decoded with the Market's IDL, refused with *this* program's error.

    Why not ``load(ctx, MARKET_IDL, ...)``: that raises the Market's AccountMismatch (6016) from
    the OrderProcessor, a code the OrderProcessor's IDL does not have (its own is 6008), so
    anyone decoding the error by the failing program would name the wrong error.
    """
    if account.owner != MARKET_PROGRAM_ID:
        raise fail(ctx, IDL, "AccountMismatch", f"{account.key} is not owned by {MARKET_PROGRAM_ID}")
    try:
        return MARKET_IDL.decode_account(type_name, bytes(account.data))
    except IdlError as exc:
        raise fail(ctx, IDL, "AccountMismatch", f"{account.key}: {exc}") from None


def _seeds() -> list[list[bytes]]:
    return [[PROCESSOR_AUTHORITY_SEED, bytes([PROCESSOR_BUMP])]]


def read_record(ctx: InvokeContext, acc: Named, market: dict, order_id: int) -> dict:
    expect_key(ctx, IDL, acc.settlement_queue, market["settlement_queue"], "settlement_queue")
    queue = acc.settlement_queue
    if queue.owner != ORDER_STORE_PROGRAM_ID:
        raise fail(ctx, IDL, "AccountMismatch", "settlement_queue is not owned by the OrderStore")
    where, _off = mc.locate_record(queue.data, order_id)
    if where == mc.ARCHIVED:   # archived = already Settled or Expired
        raise fail(ctx, IDL, "OrderNotPending", f"order {order_id} is archived")
    if where != mc.LIVE:
        raise fail(ctx, IDL, "OrderNotFound", f"order {order_id}")
    return mc.decode_record(queue.data, order_id)


def order_ref(ctx: InvokeContext, market_key: Pubkey, order_id: int, buyer: Pubkey) -> int:
    """protocol.attestation.order_reference, computed with the poseidon syscall (2,738 CU)."""
    market, buyer_raw = bytes(market_key), bytes(buyer)
    words = [DOMAIN_ORDER_REF.to_bytes(32, "big"), market[:16].rjust(32, b"\0"),
             market[16:].rjust(32, b"\0"), order_id.to_bytes(32, "big"),
             buyer_raw[:16].rjust(32, b"\0"), buyer_raw[16:].rjust(32, b"\0")]
    return int.from_bytes(ctx.poseidon(words), "big")


def set_status(ctx: InvokeContext, acc: Named, order_id: int, status: str) -> None:
    ix = Instruction(ORDER_STORE_PROGRAM_ID,
                     STORE_IDL.encode_instruction("update_status", {"order_id": order_id, "new_status": status}),
                     [AccountMeta(PROCESSOR_AUTHORITY, True, False), AccountMeta(acc.settlement_queue.key, False, True)])
    ctx.invoke_signed(ix, [acc.processor_authority, acc.settlement_queue, acc.order_store_program], _seeds())


def finalize_trade(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if not acc.payer.is_signer:
        raise fail(ctx, IDL, "AccountMismatch", "payer must sign")
    market = load_market_account(ctx, acc.market, "Market")
    order_id = args["order_id"]
    record = read_record(ctx, acc, market, order_id)
    if record["status"] != "Pending":
        raise fail(ctx, IDL, "OrderNotPending", f"order {order_id} is {record['status']}")
    now = ctx.clock().unix_timestamp
    if now >= record["expires_at"]:
        raise fail(ctx, IDL, "OrderExpired", f"expired at {record['expires_at']}")
    expect_key(ctx, IDL, acc.processor_authority, PROCESSOR_AUTHORITY, "processor_authority")
    expect_key(ctx, IDL, acc.payment_vk, PAYMENT_VK, "payment_vk")
    expect_key(ctx, IDL, acc.attester_registry, market["attester_registry"], "attester_registry")
    registry = load_market_account(ctx, acc.attester_registry, "AttesterRegistry")
    if args["attester_index"] >= len(registry["attesters"]):
        raise fail(ctx, IDL, "UnknownAttester", f"index {args['attester_index']}")
    key_hash = field_bytes(bytes(registry["attesters"][args["attester_index"]]["key_hash"]))
    nullifier = bytes(args["nullifier"])
    nullifier_value = field_bytes(nullifier)
    payee = field_bytes(bytes(record["payee_commitment"]))
    if nullifier_value < 0 or payee < 0:
        raise fail(ctx, IDL, "MalformedProof", "nullifier or payee commitment is not a BN254 scalar")
    reference = order_ref(ctx, acc.market.key, order_id, record["buyer"])
    require_valid_proof(ctx, IDL, acc.payment_vk, ORDER_PROCESSOR_PROGRAM_ID, args["proof"],
                        [key_hash, reference, payee, record["fiat_due"], record["matched_at"], nullifier_value],
                        "InvalidPaymentProof")
    # spend the nullifier: its PDA exists from now on
    null_key, bump = ctx.find_program_address([NULLIFIER_SEED, nullifier], ORDER_PROCESSOR_PROGRAM_ID)
    expect_key(ctx, IDL, acc.nullifier_record, null_key, "nullifier_record")
    if acc.nullifier_record.owner == ORDER_PROCESSOR_PROGRAM_ID:
        raise fail(ctx, IDL, "NullifierSpent")
    system_create_account(ctx, acc.system_program, acc.payer, acc.nullifier_record, NULLIFIER_LEN,
                          ORDER_PROCESSOR_PROGRAM_ID, [NULLIFIER_SEED, nullifier, bytes([bump])])
    acc.nullifier_record.data[:] = IDL.encode_account("NullifierRecord", {
        "nullifier": nullifier, "market": acc.market.key, "order_id": order_id, "spent_at": now})
    set_status(ctx, acc, order_id, "PaymentConfirmed")
    release = Instruction(MARKET_PROGRAM_ID, MARKET_IDL.encode_instruction("release_escrowed_funds", {"order_id": order_id}), [
        AccountMeta(PROCESSOR_AUTHORITY, True, False), AccountMeta(acc.market.key, False, False),
        AccountMeta(acc.settlement_queue.key, False, False), AccountMeta(acc.market_authority.key, False, False),
        AccountMeta(acc.vault.key, False, True), AccountMeta(acc.buyer_token.key, False, True),
        AccountMeta(acc.token_program.key, False, False)])
    ctx.invoke_signed(release, [acc.processor_authority, acc.market, acc.settlement_queue, acc.market_authority,
                                acc.vault, acc.buyer_token, acc.token_program, acc.market_program], _seeds())
    return_bond(ctx, acc, order_id)  # the buyer paid: the bond goes back (bond_return.py)
    set_status(ctx, acc, order_id, "Settled")
    emit(ctx, IDL, "TradeFinalized", {"market": acc.market.key, "order_id": order_id, "nullifier": nullifier,
                                      "buyer": record["buyer"], "amount": record["base_amount"]})


def expire_matched_order(ctx: InvokeContext, acc: Named, args: dict) -> None:
    """Called by Market.reclaim_expired only (checked by caller id and the market authority's signature)."""
    if ctx.caller_program_id() != MARKET_PROGRAM_ID or not acc.market_authority.is_signer:
        raise fail(ctx, IDL, "UnauthorizedCaller", f"caller {ctx.caller_program_id()}")
    market = load_market_account(ctx, acc.market, "Market")
    authority = ctx.create_program_address(
        [b"market_authority", bytes(acc.market.key), bytes([market["authority_bump"]])], MARKET_PROGRAM_ID)
    if acc.market_authority.key != authority:
        raise fail(ctx, IDL, "UnauthorizedCaller", "market_authority is not this market's PDA")
    expect_key(ctx, IDL, acc.processor_authority, PROCESSOR_AUTHORITY, "processor_authority")
    record = read_record(ctx, acc, market, args["order_id"])
    if record["status"] != "Pending":
        raise fail(ctx, IDL, "OrderNotPending", f"order {args['order_id']} is {record['status']}")
    if ctx.clock().unix_timestamp < record["expires_at"]:
        raise fail(ctx, IDL, "NotExpired", f"expires at {record['expires_at']}")
    set_status(ctx, acc, args["order_id"], "Expired")


class OrderProcessorProgram(AnchorProgram):
    program_id = ORDER_PROCESSOR_PROGRAM_ID
    idl = IDL
    cu_base = CU_BASE
    handlers = {"finalize_trade": finalize_trade, "expire_matched_order": expire_matched_order}


PROGRAM = OrderProcessorProgram()
__all__ = ["PROGRAM", "OrderProcessorProgram", "Pubkey"]
