"""The buyer's bond per MatchedOrder: posted by the bid, paid out once, to buyer or seller.

Why its own PDA (["bond", market, order_id LE], owner Market) and not a field of the
MatchedOrder: the settlement queue's record layout stays as it is, and the bond account also
remembers which rail account's reservation the match holds (its tag and fiat due), which the
queue record cannot. It exists exactly while the order is unresolved: the payee directory
reveals a seller's handle only to a buyer whose match has it (localnet/directory/orders.py).

Paid out by closing the account (all its lamports, rent included): to the buyer when the order
settles (``return_bond``, CPI from OrderProcessor.finalize_trade), to the seller when it expires
unpaid (``forfeit_to_seller`` inside reclaim_expired). Sizing: protocol/bond.py.
"""
from __future__ import annotations

from solders.pubkey import Pubkey

from localnet.programs.anchor_framework import Named, emit, fail, system_create_account, system_transfer
from localnet.runtime.program_api import AccountInfo, InvokeContext
from protocol.bond import MATCH_BOND_LEN, bond_lamports
from protocol.market_pdas import BOND_SEED, processor_authority
from protocol.program_ids import MARKET_PROGRAM_ID, ORDER_PROCESSOR_PROGRAM_ID

from . import reservations
from .program import IDL, load_market

PROCESSOR_AUTHORITY = processor_authority()[0]
CU_PER_BOND = 1_200


def _seeds(market_key: Pubkey, order_id: int) -> list[bytes]:
    return [BOND_SEED, bytes(market_key), order_id.to_bytes(8, "little")]


def post_bonds(ctx: InvokeContext, acc: Named, order_ids: list[int], fills: list, buyer: AccountInfo,
               tag: bytes, now: int, reserved_after: int) -> None:
    """One bond PDA per new MatchedOrder, from ``acc.remaining`` in fill order; the bidder pays
    each bond plus its rent. Refused whole when an account is missing/wrong or unaffordable."""
    bonds = acc.remaining
    if len(bonds) < len(order_ids):
        raise fail(ctx, IDL, "BondAccountMissing",
                   f"{len(order_ids)} fills need {len(order_ids)} bond accounts, got {len(bonds)}")
    rent = ctx.rent().minimum_balance(MATCH_BOND_LEN)
    cost = sum(bond_lamports(f.fiat_due) + rent for f in fills)
    if buyer.lamports < cost:
        raise fail(ctx, IDL, "BondUnaffordable", f"bonds and rent cost {cost} lamports, the bidder holds {buyer.lamports}")
    for info, order_id, fill in zip(bonds, order_ids, fills):
        ctx.consume(CU_PER_BOND)
        key, bump = ctx.find_program_address(_seeds(acc.market.key, order_id), MARKET_PROGRAM_ID)
        if info.key != key or not info.is_writable:
            raise fail(ctx, IDL, "BondAccountMissing", f"order {order_id}: expected writable {key}, got {info.key}")
        if info.owner == MARKET_PROGRAM_ID and len(info.data):
            raise fail(ctx, IDL, "BondAccountMissing", f"order {order_id} already has a bond")
        lamports = bond_lamports(fill.fiat_due)
        system_create_account(ctx, acc.system_program, buyer, info, MATCH_BOND_LEN, MARKET_PROGRAM_ID,
                              [*_seeds(acc.market.key, order_id), bytes([bump])])
        system_transfer(ctx, acc.system_program, buyer, info, lamports)
        info.data[:MATCH_BOND_LEN] = IDL.encode_account("MatchBond", {
            "market": acc.market.key, "order_id": order_id, "buyer": buyer.key,
            "seller": Pubkey.from_bytes(fill.maker_owner), "account_tag": tag, "fiat_due": fill.fiat_due,
            "bond_lamports": lamports, "posted_at": now, "bump": bump})
        emit(ctx, IDL, "BondPosted", {"market": acc.market.key, "order_id": order_id, "buyer": buyer.key,
                                       "bond_lamports": lamports, "reserved_after": reserved_after})


def load_bond(ctx: InvokeContext, info: AccountInfo, market_key: Pubkey, order_id: int) -> dict:
    """The bond of ``order_id``, refusing another address, a closed or a foreign account."""
    key = ctx.find_program_address(_seeds(market_key, order_id), MARKET_PROGRAM_ID)[0]
    if info.key != key or info.owner != MARKET_PROGRAM_ID or not len(info.data) or info.lamports == 0:
        raise fail(ctx, IDL, "BondMismatch", f"order {order_id}: its bond is {key}, got {info.key}")
    bond = IDL.decode_account("MatchBond", bytes(info.data))
    if bond["market"] != market_key or bond["order_id"] != order_id:
        raise fail(ctx, IDL, "BondMismatch", f"the bond at {info.key} is not order {order_id}'s")
    return bond


def pay_out(ctx: InvokeContext, acc: Named, record: dict, order_id: int, recipient: AccountInfo,
            forfeited: bool) -> None:
    """Close the order's bond into ``recipient`` (who must be the record's buyer or seller) and
    release the reservation it held."""
    bond = load_bond(ctx, acc.bond, acc.market.key, order_id)
    expected = record["seller"] if forfeited else record["buyer"]
    if recipient.key != expected or bond["buyer"] != record["buyer"] or bond["seller"] != record["seller"]:
        raise fail(ctx, IDL, "BondMismatch", f"the bond of order {order_id} goes to {expected}, not {recipient.key}")
    reservations.release(ctx, acc.reservation, bytes(bond["account_tag"]), bond["fiat_due"], settled=not forfeited)
    lamports = acc.bond.lamports
    recipient.lamports += lamports
    acc.bond.lamports = 0
    acc.bond.data[:] = bytes(len(acc.bond.data))
    emit(ctx, IDL, "BondPaid", {"market": acc.market.key, "order_id": order_id, "recipient": recipient.key,
                                 "lamports": lamports, "forfeited": forfeited})


def return_bond(ctx: InvokeContext, acc: Named, args: dict) -> None:
    """Market.return_bond: only by CPI from OrderProcessor.finalize_trade (its PDA signs), for an
    order whose payment is confirmed."""
    if (ctx.caller_program_id() != ORDER_PROCESSOR_PROGRAM_ID or acc.processor_authority.key != PROCESSOR_AUTHORITY
            or not acc.processor_authority.is_signer):
        raise fail(ctx, IDL, "UnauthorizedRelease", f"caller {ctx.caller_program_id()}")
    load_market(ctx, acc)
    from .settlement import read_record  # settlement imports this module: bind at call time
    record = read_record(ctx, acc, args["order_id"])
    if record["status"] not in ("PaymentConfirmed", "Settled"):
        raise fail(ctx, IDL, "OrderNotConfirmed", f"order {args['order_id']} is {record['status']}")
    pay_out(ctx, acc, record, args["order_id"], acc.buyer, forfeited=False)
