"""How much of one rail account's balance open matches already hold: the Reservation PDA.

Why (security issue 10): a solvency proof says "balance >= reservedSoFar + fiatDue" for the rail
account whose public tag it reveals. The Market keeps reservedSoFar per tag, checks the proof was
made against the current total, and adds each fill's fiat due to it; settlement (return_bond)
and expiry (reclaim_expired) take it off again. So however many proofs, bids or linked wallets
one account uses, the fiat due of its Pending matches never exceeds the balance the notary
attested. A replayed proof names an out-of-date total and is refused (BalanceAlreadyReserved).
"""
from __future__ import annotations

from localnet.programs.anchor_framework import Named, expect_key, fail, field_bytes, system_create_account
from localnet.runtime.program_api import AccountInfo, InvokeContext
from protocol.bond import RESERVATION_LEN
from protocol.market_pdas import RESERVATION_SEED
from protocol.program_ids import MARKET_PROGRAM_ID
from protocol.idl import load_idl

IDL = load_idl("market")


def account_tag_value(ctx: InvokeContext, tag: bytes) -> int:
    """The tag as a public input; refuses non-field encodings (the PDA seed is the raw bytes)."""
    value = field_bytes(tag)
    if value <= 0:
        raise fail(ctx, IDL, "InvalidAccountTag", f"tag {tag.hex()}")
    return value


def _address(ctx: InvokeContext, tag: bytes):
    return ctx.find_program_address([RESERVATION_SEED, tag], MARKET_PROGRAM_ID)


def current(ctx: InvokeContext, info: AccountInfo, tag: bytes) -> dict:
    """The reservation for ``tag`` (zero totals while its PDA does not exist yet)."""
    key, bump = _address(ctx, tag)
    expect_key(ctx, IDL, info, key, "reservation", "WrongReservationAccount")
    if info.owner != MARKET_PROGRAM_ID or not len(info.data):
        return {"account_tag": tag, "reserved": 0, "open_matches": 0, "settled_at": 0, "bump": bump}
    return IDL.decode_account("Reservation", bytes(info.data))


def require_unchanged(ctx: InvokeContext, state: dict, claimed: int) -> None:
    """The proof's reservedSoFar must be the on-chain total: an older proof (replay, or one of N
    bids racing on one balance) is refused before any work is done."""
    if claimed != state["reserved"]:
        raise fail(ctx, IDL, "BalanceAlreadyReserved",
                   f"proof made against {claimed} paisa reserved; {state['reserved']} paisa are reserved now")


def require_after_settlement(ctx: InvokeContext, state: dict, min_timestamp: int) -> None:
    """A settlement means fiat left the account (the buyer paid); an attestation from before it
    overstates the balance, so the proof's time bound must lie after the last settlement."""
    if state["settled_at"] and min_timestamp <= state["settled_at"]:
        raise fail(ctx, IDL, "AttestationPredatesSettlement",
                   f"min_timestamp {min_timestamp} must be after the last settlement at {state['settled_at']}")


def reserve(ctx: InvokeContext, acc: Named, payer: AccountInfo, state: dict, amount: int, matches: int) -> int:
    """Add ``amount`` paisa for ``matches`` new Pending matches; creates the PDA on first use."""
    info = acc.reservation
    tag = bytes(state["account_tag"])
    if info.owner != MARKET_PROGRAM_ID or not len(info.data):
        system_create_account(ctx, acc.system_program, payer, info, RESERVATION_LEN, MARKET_PROGRAM_ID,
                              [RESERVATION_SEED, tag, bytes([state["bump"]])])
    state = {**state, "reserved": state["reserved"] + amount, "open_matches": state["open_matches"] + matches}
    info.data[:RESERVATION_LEN] = IDL.encode_account("Reservation", state)
    return state["reserved"]


def release(ctx: InvokeContext, info: AccountInfo, tag: bytes, amount: int, settled: bool) -> None:
    """Take one match's fiat due off its account's reservation (settled or expired); a settlement
    also stamps ``settled_at`` (older attestations no longer count, require_after_settlement)."""
    expect_key(ctx, IDL, info, _address(ctx, tag)[0], "reservation", "WrongReservationAccount")
    if info.owner != MARKET_PROGRAM_ID or not len(info.data):
        raise fail(ctx, IDL, "WrongReservationAccount", "the reservation account does not exist")
    state = IDL.decode_account("Reservation", bytes(info.data))
    state["reserved"] = max(0, state["reserved"] - amount)
    state["open_matches"] = max(0, state["open_matches"] - 1)
    if settled:
        state["settled_at"] = ctx.clock().unix_timestamp
    info.data[:RESERVATION_LEN] = IDL.encode_account("Reservation", state)
