"""The four OTC callbacks: store the MXE's ciphertexts, move plaintext statuses, emit events.

Why they trust their input: ``state.callback_outputs`` accepts a call only from the arcium
program, which verified the MXE node's ed25519 signature over these exact outputs and moved the
computation out of Queued before calling (so each result arrives once). A Failure output (the
node refused malformed/tampered inputs, or the computation expired) leaves every encrypted
state as it was and only releases the pending flags. A submit_offer result is applied only on
top of the deal state it was computed from (``binding.py``); a stale one aborts the offer the
same way, so the chain's state never depends on the order in which results arrive. Every sealed
output must carry the nonce bound to its account and computation (``binding.check_sealed``).
"""
from __future__ import annotations

from localnet.programs.anchor_framework import emit
from localnet.programs.otc.binding import ABORT_STALE_STATE, check_sealed, next_deal_state_nonce
from localnet.programs.otc.state import (
    IDL, aborted, callback_outputs, err, load_deal, load_offer, sealed_fields, split, store,
)
from localnet.runtime.program_api import InvokeContext
from protocol import otc_codec as otc


def _state_fields(state) -> dict:
    return {"state_nonce": state.nonce, "encrypted_state": list(state.ciphertexts)}


def create_deal_callback(ctx: InvokeContext, output: dict, acc) -> None:
    callback_outputs(ctx, acc, "create_deal", output)
    deal = load_deal(ctx, acc.deal)
    if deal["state_ready"] or deal["status"] != otc.DEAL_OPEN:
        raise err(ctx, "InvalidStatus", "deal already initialized")
    now = ctx.clock().unix_timestamp
    if "Failure" in output:
        deal["status"] = otc.DEAL_ABORTED
        deal["settled_at"] = now
        store(acc.deal, "DealAccount", deal)
        aborted(ctx, acc.deal.key, "create_deal", output["Failure"]["reason"])
        emit(ctx, IDL, "DealStatusChanged", {"deal": acc.deal.key, "status": otc.DEAL_ABORTED,
                                             "num_offers": 0, "at": now})
        return
    state, sealed = split(ctx, "create_deal", output["Success"]["output"])
    if sealed.encryption_key != deal["encryption_pubkey"]:
        raise err(ctx, "MalformedOutput", "blob not sealed to the creator")
    check_sealed(ctx, "create_deal", acc.deal.key, acc.computation.key, sealed.nonce)
    deal.update(_state_fields(state), state_ready=True, created_at=now)
    store(acc.deal, "DealAccount", deal)
    emit(ctx, IDL, "DealCreated", {"deal": acc.deal.key, **sealed_fields(sealed)})
    emit(ctx, IDL, "DealOpened", {
        "deal": acc.deal.key, "controller": deal["controller"], "base_mint": deal["base_mint"],
        "quote_mint": deal["quote_mint"], "expires_at": deal["expires_at"], "allow_partial": deal["allow_partial"],
        "created_at": now})


def _stale_read(ctx: InvokeContext, deal: dict, new_state_nonce: int, computation) -> str | None:
    """Why a submit_offer result may not replace the deal state, or None if it may."""
    if deal["status"] != otc.DEAL_OPEN or not deal["state_ready"]:
        return f"the deal is {otc.DEAL_STATUS_NAMES.get(deal['status'])}, not OPEN"
    if new_state_nonce != next_deal_state_nonce(deal["state_nonce"], bytes(computation), ctx.sha256):
        return "it was computed from a deal state that is no longer current"
    return None


def submit_offer_callback(ctx: InvokeContext, output: dict, acc) -> None:
    callback_outputs(ctx, acc, "submit_offer", output)
    deal = load_deal(ctx, acc.deal)
    offer = load_offer(ctx, acc.offer)
    if offer["deal"] != acc.deal.key:
        raise err(ctx, "WrongDeal")
    if not offer["submit_pending"]:
        raise err(ctx, "InvalidStatus", "offer is not awaiting its submit result")
    now = ctx.clock().unix_timestamp
    deal["pending_offers"] -= 1
    offer["submit_pending"] = False
    reason = output["Failure"]["reason"] if "Failure" in output else None
    if reason is None:
        new_deal, offer_state, sealed = split(ctx, "submit_offer", output["Success"]["output"])
        if sealed.encryption_key != offer["encryption_pubkey"]:
            raise err(ctx, "MalformedOutput", "blob not sealed to the offeror")
        check_sealed(ctx, "submit_offer", acc.offer.key, acc.computation.key, sealed.nonce)
        stale = _stale_read(ctx, deal, new_deal.nonce, acc.computation.key)
        if stale:
            ctx.log(f"submit_offer result refused: {stale}; the offer aborts, the deal state stays")
            reason = ABORT_STALE_STATE
    if reason is not None:
        offer["status"] = otc.OFFER_ABORTED
        offer["settled_at"] = now
        deal["resolved_offers"] += 1
        store(acc.deal, "DealAccount", deal)
        store(acc.offer, "OfferAccount", offer)
        aborted(ctx, acc.offer.key, "submit_offer", reason)
        emit(ctx, IDL, "OfferStatusChanged", {"deal": acc.deal.key, "offer": acc.offer.key,
                                              "status": otc.OFFER_ABORTED, "at": now})
        return
    deal.update(_state_fields(new_deal))
    offer.update(_state_fields(offer_state), state_ready=True, submitted_at=now)
    store(acc.deal, "DealAccount", deal)
    store(acc.offer, "OfferAccount", offer)
    emit(ctx, IDL, "OfferCreated", {"offer": acc.offer.key, "deal": acc.deal.key, **sealed_fields(sealed)})
    emit(ctx, IDL, "OfferSubmitted", {"deal": acc.deal.key, "offer": acc.offer.key,
                                      "offer_index": offer["offer_index"], "submitted_at": now})


def crank_deal_callback(ctx: InvokeContext, output: dict, acc) -> None:
    callback_outputs(ctx, acc, "crank_deal", output)
    deal = load_deal(ctx, acc.deal)
    if not deal["crank_pending"] or deal["status"] != otc.DEAL_OPEN:
        raise err(ctx, "InvalidStatus", "deal is not awaiting a crank result")
    now = ctx.clock().unix_timestamp
    deal["crank_pending"] = False
    if "Failure" in output:
        store(acc.deal, "DealAccount", deal)
        aborted(ctx, acc.deal.key, "crank_deal", output["Failure"]["reason"])
        return
    sealed, status = split(ctx, "crank_deal", output["Success"]["output"])
    if status not in (otc.DEAL_OPEN, otc.DEAL_EXECUTED, otc.DEAL_EXPIRED):
        raise err(ctx, "InvalidStatus", f"crank_deal returned status {status}")
    if status == otc.DEAL_OPEN:
        store(acc.deal, "DealAccount", deal)
        ctx.log("early crank rejected: deal not fully filled; state unchanged")
        emit(ctx, IDL, "EarlyCrankRejected", {"deal": acc.deal.key, "at": now})
        return
    if sealed.encryption_key != deal["encryption_pubkey"]:
        raise err(ctx, "MalformedOutput", "blob not sealed to the creator")
    check_sealed(ctx, "crank_deal", acc.deal.key, acc.computation.key, sealed.nonce)
    deal["status"] = status
    deal["settled_at"] = now
    store(acc.deal, "DealAccount", deal)
    emit(ctx, IDL, "DealSettled", {"deal": acc.deal.key, "status": status, **sealed_fields(sealed)})
    emit(ctx, IDL, "DealStatusChanged", {"deal": acc.deal.key, "status": status,
                                         "num_offers": deal["num_offers"], "at": now})


def crank_offer_callback(ctx: InvokeContext, output: dict, acc) -> None:
    callback_outputs(ctx, acc, "crank_offer", output)
    deal = load_deal(ctx, acc.deal)
    offer = load_offer(ctx, acc.offer)
    if offer["deal"] != acc.deal.key:
        raise err(ctx, "WrongDeal")
    if not offer["crank_pending"] or offer["status"] != otc.OFFER_OPEN:
        raise err(ctx, "InvalidStatus", "offer is not awaiting a crank result")
    now = ctx.clock().unix_timestamp
    offer["crank_pending"] = False
    if "Failure" in output:
        store(acc.offer, "OfferAccount", offer)
        aborted(ctx, acc.offer.key, "crank_offer", output["Failure"]["reason"])
        return
    (sealed,) = split(ctx, "crank_offer", output["Success"]["output"])
    if sealed.encryption_key != offer["encryption_pubkey"]:
        raise err(ctx, "MalformedOutput", "blob not sealed to the offeror")
    check_sealed(ctx, "crank_offer", acc.offer.key, acc.computation.key, sealed.nonce)
    offer["status"] = otc.OFFER_SETTLED
    offer["settled_at"] = now
    deal["resolved_offers"] += 1
    store(acc.offer, "OfferAccount", offer)
    store(acc.deal, "DealAccount", deal)
    emit(ctx, IDL, "OfferSettled", {"offer": acc.offer.key, "deal": acc.deal.key, **sealed_fields(sealed)})
    emit(ctx, IDL, "OfferStatusChanged", {"deal": acc.deal.key, "offer": acc.offer.key,
                                          "status": otc.OFFER_SETTLED, "at": now})
