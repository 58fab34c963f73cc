"""Private OTC deals (seed 003): create, offer, crank, close, and the decrypted results.

Why results are kept in the keystore: each party's figures (its deal or offer, what it filled,
received and gets back) are sealed to that party's x25519 identity and appear only in the logs
of the MXE callback that produced them. The wallet waits for that event after each action it
sends, opens it with the identity's secret and stores the plaintext in its encrypted notes
("deals"), so `deal show` can show them later.

Why history recovery as well: anyone may crank an offer once its deal settled, so my offer's
result may be sealed by a callback my wallet never waited for (it was not running, or it
crashed mid-action, or the wallet was restored from its phrase). `recover(deal)` walks the
deal's transactions (getSignaturesForAddress; every OTC callback names the deal account),
parses the OTC events from each transaction's logs with the IDL, and opens each sealed event
addressed to one of this wallet's identities - the recorded ones and the next few derivable
from its seed, so a restored wallet finds its results too. `show` recovers before it reads.
Amounts are the mints' base units (u64); prices are X64.64.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from nacl.bindings import crypto_scalarmult_base
from solders.keypair import Keypair
from solders.pubkey import Pubkey

from protocol import arcium_encoding as enc
from protocol import otc_binding
from protocol import otc_codec as otc

from . import offthread
from .chain import ChainError
from .chain_history import ChainHistory
from .identities import Identity, IdentityBook, derive_identity_secret
from .deal_results import (
    ClosedAccounts, CrankResult, CreatedDeal, DealCrank, DealRow, OfferCrank, SubmittedOffer)
from .otc_client import DealError, OtcClient, format_price, otc_events
from .trader import TradeContext

log = logging.getLogger(__name__)

OUTCOMES = {otc.OUTCOME_EXECUTED: "EXECUTED", otc.OUTCOME_PARTIAL: "PARTIAL", otc.OUTCOME_FAILED: "FAILED"}
# sealed event -> (ciphertexts, their types)
SEALED_EVENTS = {"DealCreated": (2, otc.DEAL_CREATED_BLOB), "OfferCreated": (2, otc.OFFER_CREATED_BLOB),
                 "DealSettled": (3, otc.DEAL_SETTLED_BLOB), "OfferSettled": (3, otc.OFFER_SETTLED_BLOB)}
# identities past the highest recorded index that recovery also tries (a restored wallet has none
# recorded, yet its results were sealed to identities derived from the same phrase)
RECOVERY_LOOKAHEAD = 5
SYNC_NOTES = "deal_sync"  # deal -> how far its chain history has been read, and with which identities


def sealed_note(name: str, fields: dict[str, Any], opened: list[Any]) -> tuple[str, dict[str, Any]]:
    """The wallet note (account, figures) for a sealed OTC event this wallet opened."""
    if name == "DealCreated":
        return str(fields["deal"]), {"role": "creator", "amount": opened[0], "price": str(opened[1])}
    if name == "OfferCreated":
        return str(fields["offer"]), {"role": "offeror", "deal": str(fields["deal"]),
                                      "amount": opened[1], "price": str(opened[0])}
    if name == "DealSettled":
        settled = dict(zip(("total_filled", "creator_receives", "creator_refund"), opened))
        return str(fields["deal"]), {"settled": settled,
                                     "status": otc.DEAL_STATUS_NAMES.get(fields["status"], str(fields["status"]))}
    settled = {"outcome": OUTCOMES.get(opened[0], str(opened[0])), "executed_amt": opened[1],
               "refund_amt": opened[2]}
    return str(fields["offer"]), {"settled": settled}


def _check_sealed(circuit: str, account: Pubkey, computation_offset: int, fields: dict[str, Any]) -> None:
    """The sealed result must be the one our computation produced for our account (its nonce says
    so; the program checks the same before emitting it, this guards against a lying RPC node)."""
    computation = otc.OTC_ARCIUM.queue_accounts(circuit, computation_offset)["computation"]
    if fields["nonce"] != otc_binding.sealed_nonce(circuit, account, computation):
        raise DealError(f"the {circuit} result for {account} is not bound to the computation this wallet queued")


@dataclass(frozen=True)
class DealResultStored:
    """A deal or offer figure this wallet decrypted (confirmation or settlement) was stored."""
    account: str
    note: dict[str, Any]


@dataclass(frozen=True)
class DealView:
    address: str
    fields: dict[str, Any]
    offers: list[tuple[str, dict[str, Any]]]
    mine: dict[str, Any]
    history_error: str | None = None   # the chain history could not be read: `mine` may be incomplete

    def to_json(self) -> dict[str, Any]:
        d = self.fields
        extra = {} if self.history_error is None else {"history_error": self.history_error}
        return {**extra, "deal": self.address, "status": otc.DEAL_STATUS_NAMES.get(d["status"], str(d["status"])),
                "controller": str(d["controller"]), "expires_at": d["expires_at"],
                "allow_partial": d["allow_partial"], "num_offers": d["num_offers"],
                "resolved_offers": d["resolved_offers"], "created_at": d["created_at"],
                "settled_at": d["settled_at"], "base_mint": str(d["base_mint"]),
                "quote_mint": str(d["quote_mint"]),
                "offers": [{"offer": k, "index": o["offer_index"], "controller": str(o["controller"]),
                            "status": otc.OFFER_STATUS_NAMES.get(o["status"], str(o["status"])),
                            "submitted_at": o["submitted_at"]} for k, o in self.offers],
                "mine": self.mine}


class DealService:
    def __init__(self, ctx: TradeContext):
        self.ctx = ctx
        self.otc = OtcClient(ctx.chain)
        self.history = ChainHistory(ctx.chain)
        self._locks: dict[str, asyncio.Lock] = {}

    # ------------------------------------------------------------------ identities + notes
    async def _identity(self) -> tuple[Identity, bytes]:
        book = IdentityBook(self.ctx.keystore)
        active = [i for i in book.list() if not i.retired]
        ident = active[-1] if active else await offthread.keystore_write(self.ctx.keystore, book.create, "OTC")
        return ident, book.secret_key(ident.id)

    def _secret_for(self, public_key: bytes) -> bytes | None:
        book = IdentityBook(self.ctx.keystore)
        for ident in book.list():
            if ident.public_key == bytes(public_key):
                return book.secret_key(ident.id)
        return None

    async def _note(self, key: str, update: dict[str, Any]) -> None:
        def change(notes: dict[str, Any]) -> dict[str, Any]:
            notes.setdefault(key, {}).update(update)
            return dict(notes[key])
        stored = await offthread.update_notes(self.ctx.keystore, "deals", change)   # fsync off the loop
        self.ctx.bus.publish(DealResultStored(key, stored))

    async def _open(self, fields: dict[str, Any], n: int, types: list[str]) -> list[Any] | None:
        secret = self._secret_for(fields["encryption_key"])
        if secret is None:
            return None
        return otc.sealed_event_blob(fields, n).open(secret, await self.otc.mxe_public_key(), types)

    # ------------------------------------------------------------------ actions
    async def create(self, amount: int, price: int, expires_in: int, allow_partial: bool,
                     base_mint: Pubkey | None = None, quote_mint: Pubkey | None = None) -> CreatedDeal:
        if amount <= 0 or amount >= 2**64 or expires_in <= 0:
            raise DealError("amount must be a positive u64 and the deal must expire in the future")
        usdc = (await self.ctx.chain.cluster_info()).usdc_mint
        ident, secret = await self._identity()
        mxe = await self.otc.mxe_public_key()
        create_key = Keypair()
        expires_at = await self.ctx.chain.unix_time() + expires_in
        deal = otc.deal_pda(create_key.pubkey())[0]
        # bound to this payer and this deal: a copy in any other deal is refused (protocol/otc_binding.py)
        bound = otc.deal_input(secret, mxe, self.ctx.owner, deal, amount, price)
        computation_offset = otc.random_computation_offset()
        ix = otc.create_deal_ix(
            payer=self.ctx.owner, create_key=create_key.pubkey(), base_mint=base_mint or usdc,
            quote_mint=quote_mint or usdc, computation_offset=computation_offset,
            controller=self.ctx.owner, encryption_pubkey=bound.encryption_pubkey, nonce=bound.nonce,
            nonce_salt=bound.nonce_salt, expires_at=expires_at, allow_partial=allow_partial,
            encrypted_amount=bound.ciphertexts[0], encrypted_price=bound.ciphertexts[1])
        async with otc_events(self.ctx.profile.ws_url, self.ctx.profile.rpc_url) as events:
            sent = await self.ctx.sender.send([ix], [self.ctx.keypair, create_key])
            name, fields = await events.wait({"DealCreated", "ComputationAborted"},
                                             lambda f: deal in (f.get("deal"), f.get("account")))
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted create_deal for {deal} (reason {fields['reason']})")
        _check_sealed("create_deal", deal, computation_offset, fields)
        got = await self._open(fields, 2, otc.DEAL_CREATED_BLOB)
        if got != [amount, price]:
            raise DealError("the MXE's confirmation does not match the deal that was sent")
        await self._note(str(deal), {"role": "creator", "identity": ident.id, "amount": amount,
                               "price": str(price), "expires_at": expires_at})
        return CreatedDeal(str(deal), str(sent.signature), amount, format_price(price), expires_at,
                           allow_partial)

    async def offer(self, deal: Pubkey, amount: int, price: int) -> SubmittedOffer:
        if amount <= 0 or amount >= 2**64:
            raise DealError("amount must be a positive u64")
        fields_deal = await self.otc.deal(deal)
        if fields_deal["status"] != otc.DEAL_OPEN:
            raise DealError(f"deal {deal} is {otc.DEAL_STATUS_NAMES[fields_deal['status']]}, not OPEN")
        if fields_deal["expires_at"] <= await self.ctx.chain.unix_time():
            raise DealError(f"deal {deal} has expired")
        ident, secret = await self._identity()
        mxe = await self.otc.mxe_public_key()
        create_key = Keypair()
        offer = otc.offer_pda(deal, create_key.pubkey())[0]
        # bound to this payer and this offer account (protocol/otc_binding.py)
        bound = otc.offer_input(secret, mxe, self.ctx.owner, offer, price, amount)
        computation_offset = otc.random_computation_offset()
        ix = otc.submit_offer_ix(
            payer=self.ctx.owner, create_key=create_key.pubkey(), deal=deal,
            computation_offset=computation_offset, controller=self.ctx.owner,
            encryption_pubkey=bound.encryption_pubkey, nonce=bound.nonce, nonce_salt=bound.nonce_salt,
            encrypted_price=bound.ciphertexts[0], encrypted_amount=bound.ciphertexts[1])
        async with otc_events(self.ctx.profile.ws_url, self.ctx.profile.rpc_url) as events:
            sent = await self.ctx.sender.send([ix], [self.ctx.keypair, create_key])
            name, fields = await events.wait({"OfferCreated", "ComputationAborted"},
                                             lambda f: offer in (f.get("offer"), f.get("account")))
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted submit_offer for {offer} (reason {fields['reason']})")
        _check_sealed("submit_offer", offer, computation_offset, fields)
        got = await self._open(fields, 2, otc.OFFER_CREATED_BLOB)
        if got != [price, amount]:
            raise DealError("the MXE's confirmation does not match the offer that was sent")
        await self._note(str(offer), {"role": "offeror", "deal": str(deal), "identity": ident.id,
                                "amount": amount, "price": str(price)})
        return SubmittedOffer(str(offer), str(deal), str(sent.signature), amount, format_price(price))

    async def crank(self, deal: Pubkey, offers: str = "mine") -> CrankResult:
        """Crank the deal if it is still OPEN, then its OPEN offers (`mine`, `all` or `none`);
        returns the status and every result sealed to this wallet."""
        fields = await self.otc.deal(deal)
        out = CrankResult(str(deal))
        if fields["status"] == otc.DEAL_OPEN:
            out.deal_crank = await self._crank_deal(deal, fields)
            fields = await self.otc.deal(deal)
        out.status = otc.DEAL_STATUS_NAMES[fields["status"]]
        if fields["status"] == otc.DEAL_OPEN or offers == "none":
            return out
        me = self.ctx.owner
        for key, offer in await self.otc.offers(deal):
            if offer["status"] != otc.OFFER_OPEN or offer["crank_pending"]:
                continue
            if offers == "mine" and offer["controller"] != me:
                continue
            out.offers.append(await self._crank_offer(deal, key, offer))
        return out

    async def _crank_deal(self, deal: Pubkey, fields: dict[str, Any]) -> DealCrank:
        now = await self.ctx.chain.unix_time()
        if now < fields["expires_at"] and fields["controller"] != self.ctx.owner:
            raise DealError(f"deal {deal} expires in {fields['expires_at'] - now} s; before that only "
                            "its controller may crank it")
        computation_offset = otc.random_computation_offset()
        ix = otc.crank_deal_ix(payer=self.ctx.owner, deal=deal, computation_offset=computation_offset,
                               creator_encryption_pubkey=fields["encryption_pubkey"])
        async with otc_events(self.ctx.profile.ws_url, self.ctx.profile.rpc_url) as events:
            await self.ctx.sender.send([ix], [self.ctx.keypair])
            name, ev = await events.wait({"DealSettled", "EarlyCrankRejected", "ComputationAborted"},
                                         lambda f: deal in (f.get("deal"), f.get("account")))
        if name == "EarlyCrankRejected":
            return DealCrank("rejected", detail="not fully filled yet: crank again after expiry")
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted crank_deal for {deal} (reason {ev['reason']})")
        _check_sealed("crank_deal", deal, computation_offset, ev)
        opened = await self._open(ev, 3, otc.DEAL_SETTLED_BLOB)
        if opened is None:
            return DealCrank(otc.DEAL_STATUS_NAMES[ev["status"]])
        key, note = sealed_note("DealSettled", ev, opened)
        await self._note(key, note)
        return DealCrank(otc.DEAL_STATUS_NAMES[ev["status"]], settled=note["settled"])

    async def _crank_offer(self, deal: Pubkey, key: Pubkey, offer: dict[str, Any]) -> OfferCrank:
        computation_offset = otc.random_computation_offset()
        ix = otc.crank_offer_ix(payer=self.ctx.owner, deal=deal, offer=key, computation_offset=computation_offset,
                                offeror_encryption_pubkey=offer["encryption_pubkey"])
        async with otc_events(self.ctx.profile.ws_url, self.ctx.profile.rpc_url) as events:
            await self.ctx.sender.send([ix], [self.ctx.keypair])
            name, ev = await events.wait({"OfferSettled", "ComputationAborted"},
                                         lambda f: key in (f.get("offer"), f.get("account")))
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted crank_offer for {key} (reason {ev['reason']})")
        _check_sealed("crank_offer", key, computation_offset, ev)
        opened = await self._open(ev, 3, otc.OFFER_SETTLED_BLOB)
        if opened is None:
            return OfferCrank(str(key))
        note_key, note = sealed_note("OfferSettled", ev, opened)
        await self._note(note_key, note)
        return OfferCrank(str(key), note["settled"])

    async def close(self, deal: Pubkey) -> ClosedAccounts:
        """Close my settled offers of the deal and, if I control it, the deal (rent back)."""
        me = self.ctx.owner
        closed = []
        for key, offer in await self.otc.offers(deal):
            if offer["controller"] == me:
                ix = otc.close_offer_ix(controller=me, offer=key, rent_receiver=offer["payer"])
                await self.ctx.sender.send([ix], [self.ctx.keypair])
                closed.append(str(key))
        fields = await self.otc.deal(deal)
        if fields["controller"] == me:
            ix = otc.close_deal_ix(controller=me, deal=deal, rent_receiver=fields["payer"])
            await self.ctx.sender.send([ix], [self.ctx.keypair])
            closed.append(str(deal))
        if not closed:
            raise DealError(f"nothing of deal {deal} is controlled by this account")
        return ClosedAccounts(str(deal), closed)

    # ------------------------------------------------------------------ history recovery
    def _identity_keys(self) -> dict[bytes, tuple[str, bytes]]:
        """x25519 public key -> (identity id, secret) for every identity of this wallet: the
        recorded ones and the next RECOVERY_LOOKAHEAD indexes of each seed."""
        recorded = IdentityBook(self.ctx.keystore).list()
        keys: dict[bytes, tuple[str, bytes]] = {}
        for seed_id in self.ctx.keystore.seed_ids():
            seed = self.ctx.keystore.seed_bytes(seed_id)
            top = max((i.index for i in recorded if i.seed_id == seed_id), default=-1)
            for index in range(top + 1 + RECOVERY_LOOKAHEAD):
                secret = derive_identity_secret(seed, index)
                keys[crypto_scalarmult_base(secret)] = (f"i{seed_id}-{index}", secret)
        return keys

    async def _note_if_new(self, key: str, update: dict[str, Any]) -> bool:
        have = self.ctx.keystore.notes("deals").get(key, {})
        if all(have.get(k) == v for k, v in update.items()):
            return False
        await self._note(key, update)
        return True

    async def recover(self, deal: Pubkey) -> int:
        """Open every result sealed to this wallet in the deal's chain history (whoever sent
        the transaction that produced it) and keep the new ones; returns how many were new."""
        async with self._locks.setdefault(str(deal), asyncio.Lock()):   # one walk per deal at a time
            return await self._recover(deal)

    async def _recover(self, deal: Pubkey) -> int:
        identities = self._identity_keys()
        fingerprint = hashlib.sha256(b"".join(sorted(identities))).hexdigest()[:32]
        synced = self.ctx.keystore.notes(SYNC_NOTES).get(str(deal), {})
        # The cursor holds only for the identities it was read with: an identity imported or
        # derived since may open results the earlier walk had to skip, so then walk it all again.
        cursor = synced.get("signature") if synced.get("identities") == fingerprint else None
        signatures = await self.history.since(deal, until=cursor)
        if not signatures:
            return 0
        mxe: bytes | None = None
        new = 0
        read_up_to = cursor
        for info in reversed(signatures):        # oldest first: a settlement after its creation
            if info.err is None:
                tx = await self.history.transaction(info.signature)
                if tx is None:
                    break                        # listed but not served yet: read it next time
                for name, fields in otc.OTC_IDL.parse_events(tx.logs) if tx.err is None else ():
                    if name not in SEALED_EVENTS or fields.get("deal") != deal:
                        continue
                    mine = identities.get(bytes(fields["encryption_key"]))
                    if mine is None:
                        continue                 # sealed to someone else
                    mxe = mxe or await self.otc.mxe_public_key()
                    count, types = SEALED_EVENTS[name]
                    try:
                        opened = otc.sealed_event_blob(fields, count).open(mine[1], mxe, types)
                    except (enc.EncodingError, ValueError) as exc:
                        log.warning("cannot open %s in %s: %s", name, info.signature, exc)
                        continue
                    key, update = sealed_note(name, fields, opened)
                    if "role" in update:
                        update["identity"] = mine[0]
                    new += await self._note_if_new(key, update)
            read_up_to = info.signature
        if read_up_to != cursor:  # one keystore write per walk: the next `show` reads only what is newer
            await offthread.update_notes(self.ctx.keystore, SYNC_NOTES, lambda notes: notes.__setitem__(
                str(deal), {"signature": read_up_to, "identities": fingerprint}))
        return new

    # ------------------------------------------------------------------ views
    async def show(self, deal: Pubkey) -> DealView:
        """The deal, its offers and my decrypted figures (recovered from chain history first)."""
        history_error = None
        try:
            await self.recover(deal)
        except ChainError as exc:   # e.g. an RPC node without getSignaturesForAddress
            history_error = str(exc)
        fields = await self.otc.deal(deal)
        offers = [(str(k), o) for k, o in await self.otc.offers(deal)]
        notes = self.ctx.keystore.notes("deals")
        mine = {k: v for k, v in notes.items() if k == str(deal) or v.get("deal") == str(deal)}
        return DealView(str(deal), fields, offers, mine, history_error)

    async def list(self) -> list[DealRow]:
        notes = self.ctx.keystore.notes("deals")
        my_deals = {v.get("deal") for v in notes.values() if v.get("deal")}   # deals I offered on
        me = self.ctx.owner
        rows = []
        for key, d in sorted(await self.otc.deals(), key=lambda kv: kv[1]["created_at"]):
            role = "creator" if d["controller"] == me else "offeror" if str(key) in my_deals else "-"
            rows.append(DealRow(str(key), otc.DEAL_STATUS_NAMES.get(d["status"], str(d["status"])), role,
                                int(d["num_offers"]), int(d["expires_at"]), bool(d["allow_partial"])))
        return rows
