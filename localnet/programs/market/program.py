"""The Market program: escrowed asks, ZK solvency-gated bids, on-chain price-time matching.

Why it is shaped this way (DESIGN.md "zk-p2p programs", seed 000): the seller's USDC moves into a
vault owned by the market's PDA authority the moment an ask is accepted, so the seller can go
offline; a bid is accepted only with a Groth16 proof that a registered notary attested a fiat
balance covering ceil(size × price / 10^6) paisa for this very wallet; every fill becomes a
persistent MatchedOrder in the OrderStore; escrow leaves the vault only by the OrderProcessor's
signed CPI (payment proven) or after expiry back to the seller.
"""
from __future__ import annotations

import dataclasses

from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from localnet.programs.groth16.verifier import require_valid_proof
from localnet.runtime.program_api import AccountInfo, InvokeContext, ProgramError
from protocol import market_codec as mc
from protocol.attestation import pubkey_to_fields
from protocol.idl import load_idl
from protocol.market_pdas import MARKET_AUTHORITY_SEED, MARKET_SEED, VAULT_SEED
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_STORE_PROGRAM_ID, TOKEN_PROGRAM_ID
from protocol.units import SETTLEMENT_WINDOW_SECONDS, U64_MAX, fiat_due

from localnet.programs.anchor_framework import (AnchorProgram, Named, emit, expect_key, fail, field_bytes, load, system_create_account,
                     token_account, token_initialize_account3, token_transfer)
from .book import Book, BookFullError
from .matching import SelfTradeError, TooManyFillsError, TooManyOpenOrdersError, place

IDL = load_idl("market")
STORE_IDL = load_idl("order_store")
MARKET_LEN = 8 + IDL.codec.size_of({"defined": {"name": "Market"}})
# Compute units charged for the program's own work (what the SBF code would cost).
CU_BASE = 3_000
CU_PER_BOOK_STEP = 60
CU_PER_FILL = 1_500
# An order must be worth at least this much fiat (100 PKR) as well as min_size USDC: together
# they put a floor under what each resting slot of the book costs its owner (security issue 10).
MIN_ORDER_VALUE_PAISA = int(IDL.constants["MIN_ORDER_VALUE_PAISA"]["value"])


# ---------------------------------------------------------------- helpers
def load_market(ctx: InvokeContext, acc: Named) -> dict:
    market = load(ctx, IDL, acc.market, "Market", MARKET_PROGRAM_ID, "AccountMismatch")
    for name in ("bids", "asks", "vault", "settlement_queue"):
        if name in acc:
            expect_key(ctx, IDL, acc[name], market[name], name)
    if "market_authority" in acc:
        authority = ctx.create_program_address(
            [MARKET_AUTHORITY_SEED, bytes(acc.market.key), bytes([market["authority_bump"]])], MARKET_PROGRAM_ID)
        expect_key(ctx, IDL, acc.market_authority, authority, "market_authority")
    return market


def authority_seeds(market_key: Pubkey, market: dict) -> list[bytes]:
    return [MARKET_AUTHORITY_SEED, bytes(market_key), bytes([market["authority_bump"]])]


def save_market(acc: Named, market: dict) -> None:
    acc.market.data[:MARKET_LEN] = IDL.encode_account("Market", market)


def check_order(ctx: InvokeContext, market: dict, price: int, size: int) -> None:
    if price <= 0 or price > U64_MAX or price % market["tick_size"]:
        raise fail(ctx, IDL, "InvalidPrice", f"price {price} with tick size {market['tick_size']}")
    if size < market["min_size"] or size > U64_MAX:
        raise fail(ctx, IDL, "InvalidSize", f"size {size}, minimum {market['min_size']}")
    if fiat_due(size, price) > U64_MAX:
        raise fail(ctx, IDL, "ArithmeticOverflow", "fiat due does not fit in a u64")
    if fiat_due(size, price) < MIN_ORDER_VALUE_PAISA:
        raise fail(ctx, IDL, "OrderValueTooSmall",
                   f"{size} at {price} is worth {fiat_due(size, price)} paisa, minimum {MIN_ORDER_VALUE_PAISA}")


def open_books(ctx: InvokeContext, acc: Named) -> tuple[Book, Book]:
    try:
        return Book(acc.bids.data), Book(acc.asks.data)
    except ValueError as exc:
        raise fail(ctx, IDL, "InvalidBookAccount", str(exc)) from None


def run_matching(ctx: InvokeContext, acc: Named, market: dict, side: int, owner: Pubkey, price: int, size: int,
                 payee: bytes) -> tuple:
    bids, asks = open_books(ctx, acc)
    own, opposite = (bids, asks) if side == mc.SIDE_BID else (asks, bids)
    now = ctx.clock().unix_timestamp
    seq = market["next_seq"]
    market["next_seq"] = seq + 1
    try:
        result = place(side, bytes(owner), price, size, seq, now, payee, own, opposite)
    except SelfTradeError:
        raise fail(ctx, IDL, "SelfTrade") from None
    except TooManyFillsError:
        raise fail(ctx, IDL, "TooManyFills", f"still crossing after {mc.SIDES[side]} filled the maximum") from None
    except TooManyOpenOrdersError:
        raise fail(ctx, IDL, "TooManyOpenOrders", f"{owner} on the {mc.SIDES[side]} side") from None
    except BookFullError:
        raise fail(ctx, IDL, "BookFull", f"{mc.SIDES[side]} side holds {own.capacity} orders, none priced worse "
                                         f"than {price}") from None
    finally:
        ctx.consume(CU_PER_BOOK_STEP * (bids.steps + asks.steps))
    save_market(acc, market)
    return result, now


def record_fills(ctx: InvokeContext, acc: Named, market: dict, result, side: int, taker: Pubkey,
                 taker_payee: bytes, now: int, payer: AccountInfo) -> list[int]:
    """One MatchedOrder per maker, stored by CPI to the OrderStore (signed by the market authority).
    Returns the new MatchedOrders' ids, in fill order."""
    seeds = authority_seeds(acc.market.key, market)
    order_ids: list[int] = []
    if acc.settlement_queue.owner != ORDER_STORE_PROGRAM_ID:
        raise fail(ctx, IDL, "AccountMismatch", "settlement_queue is not owned by the OrderStore")
    for fill in result.fills:
        ctx.consume(CU_PER_FILL)
        order_id = mc.queue_count(acc.settlement_queue.data)
        maker = Pubkey.from_bytes(fill.maker_owner)
        buyer, seller = (taker, maker) if side == mc.SIDE_BID else (maker, taker)
        payee = fill.maker_payee_commitment if side == mc.SIDE_BID else taker_payee
        expires = now + market["settlement_window"]
        record = {"order_id": order_id, "market": acc.market.key, "buyer": buyer, "seller": seller,
                  "maker_order_id": fill.maker_order_id, "taker_side": mc.SIDES[side],
                  "base_amount": fill.base_amount, "price": fill.price, "fiat_due": fill.fiat_due,
                  "payee_commitment": payee, "matched_at": now, "expires_at": expires,
                  "status": "Pending", "updated_at": now}
        ix = Instruction(ORDER_STORE_PROGRAM_ID, STORE_IDL.encode_instruction("store_matched_order", {"order": record}), [
            AccountMeta(payer.key, True, True), AccountMeta(acc.market_authority.key, True, False),
            AccountMeta(acc.settlement_queue.key, False, True), AccountMeta(acc.system_program.key, False, False)])
        ctx.invoke_signed(ix, [payer, acc.market_authority, acc.settlement_queue, acc.system_program,
                               acc.order_store_program], [seeds])
        order_ids.append(order_id)
        emit(ctx, IDL, "OrderMatched", {
            "market": acc.market.key, "matched_order_id": order_id, "maker_order_id": fill.maker_order_id,
            "taker_side": mc.SIDES[side], "buyer": buyer, "seller": seller, "base_amount": fill.base_amount,
            "price": fill.price, "fiat_due": fill.fiat_due, "matched_at": now, "expires_at": expires})
    return order_ids


def settle_eviction(ctx: InvokeContext, acc: Named, market: dict, side: int, result) -> None:
    """A full side gave its worst order's slot to this better-priced one: refund an evicted ask's
    escrow to its owner's USDC account (the instruction's first remaining account — the placer
    reads the book to find it; missing or wrong → EvicteeAccountMissing, nothing moves) and log
    OrderEvicted. A bid holds no escrow."""
    leaf = result.evicted
    if leaf is None:
        return
    owner = Pubkey.from_bytes(leaf.owner)
    if side == mc.SIDE_ASK:
        refund_to = acc.remaining[0] if acc.remaining else None
        parsed = token_account(refund_to) if refund_to is not None else None
        if refund_to is None or not refund_to.is_writable or parsed is None \
                or parsed[0] != market["base_mint"] or parsed[1] != owner:
            raise fail(ctx, IDL, "EvicteeAccountMissing", f"the worst ask {leaf.key} belongs to {owner}")
        token_transfer(ctx, acc.token_program, acc.vault, refund_to, acc.market_authority, leaf.quantity,
                       [authority_seeds(acc.market.key, market)])
    emit(ctx, IDL, "OrderEvicted", {"market": acc.market.key, "order_id": leaf.key, "owner": owner,
                                    "side": mc.SIDES[side], "price": leaf.price, "unfilled": leaf.quantity,
                                    "by_order_id": result.order_id})


def emit_placed(ctx: InvokeContext, acc: Named, side: int, owner: Pubkey, price: int, size: int, result, now: int) -> None:
    emit(ctx, IDL, "OrderPlaced", {
        "market": acc.market.key, "order_id": result.order_id, "owner": owner, "side": mc.SIDES[side],
        "price": price, "size": size, "filled": result.filled, "resting": result.resting,
        "cancelled": result.cancelled, "placed_at": now})


def check_token_account(ctx: InvokeContext, info: AccountInfo, mint: Pubkey, owner: Pubkey, what: str) -> int:
    parsed = token_account(info)
    if parsed is None or parsed[0] != mint or parsed[1] != owner:
        raise fail(ctx, IDL, "WrongDestination", f"{what} must be {owner}'s token account for mint {mint}")
    return parsed[2]


# ---------------------------------------------------------------- instructions
def init_market(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if not acc.admin.is_signer:
        raise ProgramError("MissingRequiredSignature")
    if args["tick_size"] <= 0 or args["min_size"] <= 0 or args["max_attestation_age"] <= 0:
        raise fail(ctx, IDL, "InvalidConfig", "tick_size, min_size and max_attestation_age must be positive")
    if acc.base_mint.owner != TOKEN_PROGRAM_ID:
        raise fail(ctx, IDL, "InvalidConfig", "base_mint is not an SPL token mint")
    market_key, bump = ctx.find_program_address([MARKET_SEED, bytes(acc.base_mint.key)], MARKET_PROGRAM_ID)
    expect_key(ctx, IDL, acc.market, market_key, "market")
    if acc.market.owner == MARKET_PROGRAM_ID and len(acc.market.data):
        raise fail(ctx, IDL, "MarketAlreadyInitialized")
    authority, authority_bump = ctx.find_program_address([MARKET_AUTHORITY_SEED, bytes(market_key)], MARKET_PROGRAM_ID)
    expect_key(ctx, IDL, acc.market_authority, authority, "market_authority")
    vault, vault_bump = ctx.find_program_address([VAULT_SEED, bytes(market_key)], MARKET_PROGRAM_ID)
    expect_key(ctx, IDL, acc.vault, vault, "vault")
    load(ctx, IDL, acc.attester_registry, "AttesterRegistry", MARKET_PROGRAM_ID, "InvalidConfig")
    vk = load(ctx, IDL, acc.solvency_vk, "VerifyingKey", MARKET_PROGRAM_ID, "InvalidVerifyingKey")
    if vk["circuit"] != "solvency" or len(vk["ic"]) != 8:
        raise fail(ctx, IDL, "InvalidVerifyingKey", "solvency_vk must be the 7-input solvency key")
    for side, book in ((mc.SIDE_BID, acc.bids), (mc.SIDE_ASK, acc.asks)):
        capacity = mc.book_capacity(len(book.data))
        if book.owner != MARKET_PROGRAM_ID or capacity < 1 or any(book.data[:mc.BOOK_HEADER_LEN]) \
                or acc.bids.key == acc.asks.key:
            raise fail(ctx, IDL, "InvalidBookAccount", f"{book.key} must be a zeroed Market-owned account")
        book.data[:mc.BOOK_HEADER_LEN] = mc.new_book(market_key, side, 1)[:mc.BOOK_HEADER_LEN]
        book.data[mc.H_CAPACITY:mc.H_CAPACITY + 4] = capacity.to_bytes(4, "little")
    system_create_account(ctx, acc.system_program, acc.admin, acc.market, MARKET_LEN, MARKET_PROGRAM_ID,
                          [MARKET_SEED, bytes(acc.base_mint.key), bytes([bump])])
    system_create_account(ctx, acc.system_program, acc.admin, acc.vault, 165, TOKEN_PROGRAM_ID,
                          [VAULT_SEED, bytes(market_key), bytes([vault_bump])])
    token_initialize_account3(ctx, acc.token_program, acc.vault, acc.base_mint, authority)
    market = {"admin": acc.admin.key, "base_mint": acc.base_mint.key, "vault": vault, "bids": acc.bids.key,
              "asks": acc.asks.key, "settlement_queue": acc.settlement_queue.key,
              "attester_registry": acc.attester_registry.key, "solvency_vk": acc.solvency_vk.key,
              "tick_size": args["tick_size"], "min_size": args["min_size"],
              "max_attestation_age": args["max_attestation_age"], "settlement_window": SETTLEMENT_WINDOW_SECONDS,
              "next_seq": 1, "bump": bump, "authority_bump": authority_bump, "vault_bump": vault_bump}
    save_market(acc, market)
    ix = Instruction(ORDER_STORE_PROGRAM_ID, STORE_IDL.encode_instruction("initialize_queue", {}), [
        AccountMeta(acc.admin.key, True, True), AccountMeta(authority, True, False),
        AccountMeta(market_key, False, False), AccountMeta(acc.settlement_queue.key, False, True),
        AccountMeta(acc.system_program.key, False, False)])
    ctx.invoke_signed(ix, [acc.admin, acc.market_authority, acc.market, acc.settlement_queue, acc.system_program,
                           acc.order_store_program], [authority_seeds(market_key, market)])


def place_ask_order(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if not acc.seller.is_signer:
        raise ProgramError("MissingRequiredSignature")
    market = load_market(ctx, acc)
    price, size, payee = args["price"], args["size"], bytes(args["payee_commitment"])
    check_order(ctx, market, price, size)
    if field_bytes(payee) <= 0:
        raise fail(ctx, IDL, "InvalidPayeeCommitment")
    check_token_account(ctx, acc.seller_token, market["base_mint"], acc.seller.key, "seller_token")
    result, now = run_matching(ctx, acc, market, mc.SIDE_ASK, acc.seller.key, price, size, payee)
    escrow = result.filled + result.resting
    if escrow:
        token_transfer(ctx, acc.token_program, acc.seller_token, acc.vault, acc.seller, escrow)
    settle_eviction(ctx, acc, market, mc.SIDE_ASK, result)
    record_fills(ctx, acc, market, result, mc.SIDE_ASK, acc.seller.key, payee, now, acc.seller)
    emit_placed(ctx, acc, mc.SIDE_ASK, acc.seller.key, price, size, result, now)


def place_bid_order(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if not acc.bidder.is_signer:
        raise ProgramError("MissingRequiredSignature")
    market = load_market(ctx, acc)
    price, size = args["price"], args["size"]
    check_order(ctx, market, price, size)
    expect_key(ctx, IDL, acc.attester_registry, market["attester_registry"], "attester_registry")
    expect_key(ctx, IDL, acc.solvency_vk, market["solvency_vk"], "solvency_vk")
    registry = load(ctx, IDL, acc.attester_registry, "AttesterRegistry", MARKET_PROGRAM_ID, "AccountMismatch")
    if args["attester_index"] >= len(registry["attesters"]):
        raise fail(ctx, IDL, "UnknownAttester", f"index {args['attester_index']} of {len(registry['attesters'])}")
    key_hash = field_bytes(bytes(registry["attesters"][args["attester_index"]]["key_hash"]))
    now = ctx.clock().unix_timestamp
    min_ts = args["min_timestamp"]
    if min_ts > now or min_ts < now - market["max_attestation_age"]:
        raise fail(ctx, IDL, "StaleAttestation",
                   f"min_timestamp {min_ts} must lie in [{now - market['max_attestation_age']}, {now}]")
    # one balance backs at most what it holds: the proof covers what its account already reserves
    tag = bytes(args["account_tag"])
    tag_value = reservations.account_tag_value(ctx, tag)
    reservation = reservations.current(ctx, acc.reservation, tag)
    reservations.require_unchanged(ctx, reservation, args["reserved"])
    reservations.require_after_settlement(ctx, reservation, min_ts)
    hi, lo = pubkey_to_fields(bytes(acc.bidder.key))
    require_valid_proof(ctx, IDL, acc.solvency_vk, MARKET_PROGRAM_ID, args["proof"],
                        [key_hash, hi, lo, min_ts, fiat_due(size, price), args["reserved"], tag_value],
                        "InvalidSolvencyProof")
    result, now = run_matching(ctx, acc, market, mc.SIDE_BID, acc.bidder.key, price, size, bytes(32))
    result = cancel_bid_remainder(ctx, acc, result)
    settle_eviction(ctx, acc, market, mc.SIDE_BID, result)
    order_ids = record_fills(ctx, acc, market, result, mc.SIDE_BID, acc.bidder.key, bytes(32), now, acc.bidder)
    if order_ids:
        reserved_after = reservations.reserve(ctx, acc, acc.bidder, reservation,
                                              sum(f.fiat_due for f in result.fills), len(order_ids))
        bond.post_bonds(ctx, acc, order_ids, result.fills, acc.bidder, tag, now, reserved_after)
    emit_placed(ctx, acc, mc.SIDE_BID, acc.bidder.key, price, size, result, now)


def cancel_bid_remainder(ctx: InvokeContext, acc: Named, result):
    """Bids are takers: the unmatched part is cancelled, never rests. A resting bid could later be
    matched by an ask with no bond posted and no reservation made (docs/protocol.md)."""
    if not result.resting:
        return result
    bids = Book(acc.bids.data)
    bids.remove(result.order_id)
    bids.flush()
    ctx.consume(CU_PER_BOOK_STEP * bids.steps)
    return dataclasses.replace(result, resting=0, cancelled=result.cancelled + result.resting)


def cancel_order(ctx: InvokeContext, acc: Named, args: dict) -> None:
    if not acc.owner.is_signer:
        raise ProgramError("MissingRequiredSignature")
    market = load_market(ctx, acc)
    side = mc.SIDES.index(args["side"])
    bids, asks = open_books(ctx, acc)
    book = bids if side == mc.SIDE_BID else asks
    leaf = book.find(args["order_id"])
    if leaf is None:
        raise fail(ctx, IDL, "OrderNotFound", f"order {args['order_id']} on the {args['side']} side")
    if leaf.owner != bytes(acc.owner.key):
        raise fail(ctx, IDL, "NotOrderOwner")
    if side == mc.SIDE_ASK:
        check_token_account(ctx, acc.owner_token, market["base_mint"], acc.owner.key, "owner_token")
    book.remove(leaf.key)
    book.flush()
    ctx.consume(CU_PER_BOOK_STEP * book.steps)
    if side == mc.SIDE_ASK:
        token_transfer(ctx, acc.token_program, acc.vault, acc.owner_token, acc.market_authority, leaf.quantity,
                       [authority_seeds(acc.market.key, market)])
    emit(ctx, IDL, "OrderCancelled", {"market": acc.market.key, "order_id": leaf.key, "owner": acc.owner.key,
                                      "side": args["side"], "price": leaf.price, "unfilled": leaf.quantity})


from . import settlement  # noqa: E402  (settlement builds on the helpers above)
from . import bond, reservations  # noqa: E402  (bond builds on the helpers above)


class MarketProgram(AnchorProgram):
    program_id = MARKET_PROGRAM_ID
    idl = IDL
    cu_base = CU_BASE
    handlers = {
        "init_market": init_market, "place_ask_order": place_ask_order,
        "place_bid_order": place_bid_order, "cancel_order": cancel_order,
        "release_escrowed_funds": settlement.release_escrowed_funds,
        "reclaim_expired": settlement.reclaim_expired,
        "return_bond": bond.return_bond,
    }


PROGRAM = MarketProgram()
