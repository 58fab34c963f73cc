"""The private OTC program (seed 003): deals and offers whose amounts and prices only the MXE sees.

Why it looks like this: every value that matters (amounts, prices, fills) is encrypted, so the
program only keeps plaintext metadata (status, expiry, counters, who may crank/close) and the
ciphertexts the MXE returns. Each user instruction checks the seed's constraints, records what it
can in plaintext and queues the matching encrypted instruction on the arcium program; the
callbacks (``callbacks.py``) store the MXE's results and emit the sealed events.

Answers to the seed's open questions implemented here: settled/aborted offers and deals can be
closed by their controller to return rent to the payer (close_offer / close_deal); plaintext
metadata events (DealOpened, OfferSubmitted, DealStatusChanged, OfferStatusChanged) accompany the
sealed ones for indexers; only the controller cranks before expiry, anyone after. Results are
sealed only to the x25519 key recorded at creation (a permissionless cranker cannot redirect
them to itself). Token transfers stay deferred, as the seed decides.

Encrypted inputs are single-use and bound to their place (``binding.py``): create_deal and
submit_offer refuse an input whose nonce is not derived from (payer, the deal/offer being created,
the client key, nonce_salt) with ``InputNotBound`` and a (key, nonce) already used with
``InputAlreadyUsed``, before anything is queued.
"""
from __future__ import annotations

from localnet.programs.anchor_framework import dispatch, system_create_account
from localnet.programs.otc import callbacks
from localnet.programs.otc.state import (
    IDL, MINT_LEN, TOKEN_PROGRAM_ID, check_deal_pda, close_account, err, init_comp_def, load_deal, load_offer, queue,
    require_open_deal, require_signer, store,
)
from localnet.programs.otc.binding import use_input
from localnet.runtime.program_api import InvokeContext
from protocol import otc_codec as otc
from protocol.program_ids import OTC_PROGRAM_ID

def create_pda(ctx: InvokeContext, acc, target, seeds: list[bytes], size: int, label: str) -> int:
    """Check ``target`` is the OTC PDA of ``seeds`` and create it (payer funds rent); its bump."""
    want, bump = ctx.find_program_address(seeds, OTC_PROGRAM_ID)
    if target.key != want:
        raise err(ctx, "InvalidPda", f"{label} must be {want}")
    system_create_account(ctx, acc.system_program, acc.payer, target, size, OTC_PROGRAM_ID, seeds + [bytes([bump])])
    return bump

class OtcProgram:
    program_id = OTC_PROGRAM_ID

    def process_instruction(self, ctx: InvokeContext, accounts, data: bytes) -> None:
        name, args, acc = dispatch(ctx, IDL, accounts, data)
        if name.startswith("init_") and name.endswith("_comp_def"):
            init_comp_def(ctx, acc, name[len("init_"):-len("_comp_def")])
        elif name.endswith("_callback"):
            getattr(callbacks, name)(ctx, args["output"], acc)
        else:
            getattr(self, "_" + name)(ctx, args, acc)

    # -- create_deal ---------------------------------------------------------------------
    def _create_deal(self, ctx: InvokeContext, args: dict, acc) -> None:
        require_signer(acc.payer, "payer")
        require_signer(acc.create_key, "create_key")
        now = ctx.clock().unix_timestamp
        if args["expires_at"] <= now:
            raise err(ctx, "ExpiryInPast", f"expires_at {args['expires_at']} <= now {now}")
        for mint in (acc.base_mint, acc.quote_mint):
            if mint.owner != TOKEN_PROGRAM_ID or len(mint.data) != MINT_LEN or not mint.data[45]:
                raise err(ctx, "InvalidMint", f"{mint.key} is not an initialized SPL mint")
        if args["encryption_pubkey"] == bytes(32):
            raise err(ctx, "InvalidEncryptionKey")
        use_input(ctx, acc, "create_deal", acc.deal.key, args)
        bump = create_pda(ctx, acc, acc.deal, [b"deal", bytes(acc.create_key.key)], otc.DEAL_ACCOUNT_SIZE, "deal")
        store(acc.deal, "DealAccount", {
            "create_key": acc.create_key.key, "payer": acc.payer.key, "controller": args["controller"],
            "encryption_pubkey": args["encryption_pubkey"], "base_mint": acc.base_mint.key,
            "quote_mint": acc.quote_mint.key, "nonce": args["nonce"], "expires_at": args["expires_at"],
            "allow_partial": args["allow_partial"], "status": otc.DEAL_OPEN, "num_offers": 0, "resolved_offers": 0,
            "pending_offers": 0, "crank_pending": False, "state_ready": False, "created_at": 0, "settled_at": 0,
            "bump": bump, "state_nonce": 0, "encrypted_state": [bytes(32)] * otc.STATE_ELEMENTS})
        queue(ctx, acc, "create_deal", args["computation_offset"],
              otc.create_deal_arguments(args["encryption_pubkey"], args["nonce"], args["encrypted_amount"],
                                        args["encrypted_price"], args["nonce_salt"]),
              [(acc.deal.key, True)])

    # -- submit_offer --------------------------------------------------------------------
    def _submit_offer(self, ctx: InvokeContext, args: dict, acc) -> None:
        require_signer(acc.payer, "payer")
        require_signer(acc.create_key, "create_key")
        deal = load_deal(ctx, acc.deal)
        check_deal_pda(ctx, acc.deal, deal)
        require_open_deal(ctx, deal)
        now = ctx.clock().unix_timestamp
        if deal["expires_at"] <= now:
            raise err(ctx, "DealExpired", f"deal expired at {deal['expires_at']}")
        if deal["crank_pending"]:
            raise err(ctx, "ComputationPending", "crank_deal is pending; no more offers")
        if args["encryption_pubkey"] == bytes(32):
            raise err(ctx, "InvalidEncryptionKey")
        use_input(ctx, acc, "submit_offer", acc.offer.key, args)
        bump = create_pda(ctx, acc, acc.offer, [b"offer", bytes(acc.deal.key), bytes(acc.create_key.key)],
                          otc.OFFER_ACCOUNT_SIZE, "offer")
        store(acc.offer, "OfferAccount", {
            "deal": acc.deal.key, "create_key": acc.create_key.key, "payer": acc.payer.key,
            "controller": args["controller"], "encryption_pubkey": args["encryption_pubkey"], "nonce": args["nonce"],
            "offer_index": deal["num_offers"], "status": otc.OFFER_OPEN, "submit_pending": True,
            "crank_pending": False, "state_ready": False, "submitted_at": 0, "settled_at": 0, "bump": bump,
            "state_nonce": 0, "encrypted_state": [bytes(32)] * otc.STATE_ELEMENTS})
        deal["num_offers"] += 1
        deal["pending_offers"] += 1
        store(acc.deal, "DealAccount", deal)
        queue(ctx, acc, "submit_offer", args["computation_offset"],
              otc.submit_offer_arguments(acc.deal.key, args["encryption_pubkey"], args["nonce"],
                                         args["encrypted_price"], args["encrypted_amount"], args["nonce_salt"]),
              [(acc.deal.key, True), (acc.offer.key, True)])

    # -- crank_deal ----------------------------------------------------------------------
    def _crank_deal(self, ctx: InvokeContext, args: dict, acc) -> None:
        require_signer(acc.payer, "payer")
        deal = load_deal(ctx, acc.deal)
        check_deal_pda(ctx, acc.deal, deal)
        require_open_deal(ctx, deal)
        if deal["crank_pending"]:
            raise err(ctx, "ComputationPending", "a crank_deal is already pending")
        if deal["pending_offers"]:
            # The crank reads the deal state; an offer still being computed would change it.
            # A stuck one expires after 180 slots (arcium.expire_computation aborts it).
            raise err(ctx, "OffersPending", f"{deal['pending_offers']} offer(s) still being computed")
        is_expired = deal["expires_at"] <= ctx.clock().unix_timestamp
        if not is_expired and acc.payer.key != deal["controller"]:
            raise err(ctx, "NotController", "before expiry only the controller may crank")
        if args["creator_encryption_pubkey"] != deal["encryption_pubkey"]:
            raise err(ctx, "EncryptionKeyMismatch")
        deal["crank_pending"] = True
        store(acc.deal, "DealAccount", deal)
        queue(ctx, acc, "crank_deal", args["computation_offset"],
              otc.crank_deal_arguments(acc.deal.key, deal["encryption_pubkey"], args["creator_nonce"], is_expired,
                                       deal["allow_partial"]),
              [(acc.deal.key, True)])

    # -- crank_offer ---------------------------------------------------------------------
    def _crank_offer(self, ctx: InvokeContext, args: dict, acc) -> None:
        require_signer(acc.payer, "payer")
        deal = load_deal(ctx, acc.deal)
        check_deal_pda(ctx, acc.deal, deal)
        offer = load_offer(ctx, acc.offer)
        if offer["deal"] != acc.deal.key:
            raise err(ctx, "WrongDeal")
        if deal["status"] == otc.DEAL_OPEN:
            raise err(ctx, "DealNotSettled")
        if deal["status"] == otc.DEAL_ABORTED:
            raise err(ctx, "DealAborted")
        if offer["status"] == otc.OFFER_SETTLED:
            raise err(ctx, "OfferAlreadySettled")
        if offer["status"] == otc.OFFER_ABORTED:
            raise err(ctx, "OfferAborted")
        if offer["crank_pending"]:
            raise err(ctx, "ComputationPending", "a crank_offer is already pending")
        if not offer["state_ready"]:
            raise err(ctx, "StateNotReady", "wait for OfferCreated")
        if args["offeror_encryption_pubkey"] != offer["encryption_pubkey"]:
            raise err(ctx, "EncryptionKeyMismatch")
        offer["crank_pending"] = True
        store(acc.offer, "OfferAccount", offer)
        queue(ctx, acc, "crank_offer", args["computation_offset"],
              otc.crank_offer_arguments(acc.offer.key, offer["encryption_pubkey"], args["offeror_nonce"],
                                        deal["status"] == otc.DEAL_EXECUTED),
              [(acc.deal.key, True), (acc.offer.key, True)])

    # -- closing (open question 2) -------------------------------------------------------
    def _close_offer(self, ctx: InvokeContext, args: dict, acc) -> None:
        require_signer(acc.controller, "controller")
        offer = load_offer(ctx, acc.offer)
        if acc.controller.key != offer["controller"]:
            raise err(ctx, "NotAllowed")
        if offer["status"] not in (otc.OFFER_SETTLED, otc.OFFER_ABORTED) or offer["crank_pending"]:
            raise err(ctx, "OfferNotSettled")
        if acc.rent_receiver.key != offer["payer"]:
            raise err(ctx, "WrongRentReceiver")
        close_account(ctx, acc.offer, acc.rent_receiver)

    def _close_deal(self, ctx: InvokeContext, args: dict, acc) -> None:
        require_signer(acc.controller, "controller")
        deal = load_deal(ctx, acc.deal)
        if acc.controller.key != deal["controller"]:
            raise err(ctx, "NotAllowed")
        if deal["status"] == otc.DEAL_OPEN:
            raise err(ctx, "DealNotSettled")
        if deal["resolved_offers"] != deal["num_offers"] or deal["pending_offers"] or deal["crank_pending"]:
            raise err(ctx, "OffersOutstanding",
                      f"{deal['num_offers'] - deal['resolved_offers']} offer(s) not settled or aborted")
        if acc.rent_receiver.key != deal["payer"]:
            raise err(ctx, "WrongRentReceiver")
        close_account(ctx, acc.deal, acc.rent_receiver)
