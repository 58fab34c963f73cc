"""Private OTC deals (seed 003): create, offer, crank, close, and the decrypted results.

Why results are kept in the keystore: each party's figures (its deal or offer, what it filled,
received and gets back) are sealed to that party's x25519 identity and appear only once, in the
callback's event. The wallet waits for that event after each action it sends, opens it with the
identity's secret and stores the plaintext in its encrypted notes ("deals"), so `deal show`
can show them later. Amounts are the mints' base units (u64); prices are X64.64.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from solders.keypair import Keypair
from solders.pubkey import Pubkey

from protocol import otc_codec as otc

from .identities import Identity, IdentityBook
from .otc_client import DealError, OtcClient, format_price, otc_events
from .trader import TradeContext

OUTCOMES = {otc.OUTCOME_EXECUTED: "EXECUTED", otc.OUTCOME_PARTIAL: "PARTIAL", otc.OUTCOME_FAILED: "FAILED"}


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

    def to_json(self) -> dict[str, Any]:
        d = self.fields
        return {"deal": self.address, "status": otc.DEAL_STATUS_NAMES.get(d["status"], str(d["status"])),
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

    # ------------------------------------------------------------------ identities + notes
    def _identity(self) -> tuple[Identity, bytes]:
        book = IdentityBook(self.ctx.keystore)
        active = [i for i in book.list() if not i.retired]
        ident = active[-1] if active else book.create("OTC")
        return ident, book.secret_key(ident.id)

    def _secret_for(self, public_key: bytes) -> bytes | None:
        book = IdentityBook(self.ctx.keystore)
        for ident in book.list():
            if ident.public_key == bytes(public_key):
                return book.secret_key(ident.id)
        return None

    def _note(self, key: str, update: dict[str, Any]) -> None:
        def change(notes: dict[str, Any]) -> dict[str, Any]:
            notes.setdefault(key, {}).update(update)
            return dict(notes[key])
        self.ctx.bus.publish(DealResultStored(key, self.ctx.keystore.update_notes("deals", change)))

    async def _open(self, fields: dict[str, Any], n: int, types: list[str]) -> list[Any] | None:
        secret = self._secret_for(fields["encryption_key"])
        if secret is None:
            return None
        return otc.sealed_event_blob(fields, n).open(secret, await self.otc.mxe_public_key(), types)

    # ------------------------------------------------------------------ actions
    async def create(self, amount: int, price: int, expires_in: int, allow_partial: bool,
                     base_mint: Pubkey | None = None, quote_mint: Pubkey | None = None) -> dict[str, Any]:
        if amount <= 0 or amount >= 2**64 or expires_in <= 0:
            raise DealError("amount must be a positive u64 and the deal must expire in the future")
        usdc = (await self.ctx.chain.cluster_info()).usdc_mint
        ident, secret = self._identity()
        mxe = await self.otc.mxe_public_key()
        create_key, nonce = Keypair(), otc.random_nonce()
        cts = otc.encrypt_for_mxe(secret, mxe, otc.DEAL_INPUT, [amount, price], nonce)
        expires_at = await self.ctx.chain.unix_time() + expires_in
        deal = otc.deal_pda(create_key.pubkey())[0]
        ix = otc.create_deal_ix(
            payer=self.ctx.owner, create_key=create_key.pubkey(), base_mint=base_mint or usdc,
            quote_mint=quote_mint or usdc, computation_offset=otc.random_computation_offset(),
            controller=self.ctx.owner, encryption_pubkey=ident.public_key, nonce=nonce,
            expires_at=expires_at, allow_partial=allow_partial, encrypted_amount=cts[0],
            encrypted_price=cts[1])
        async with otc_events(self.ctx.profile.ws_url) as events:
            sent = await self.ctx.sender.send([ix], [self.ctx.keypair, create_key])
            name, fields = await events.wait({"DealCreated", "ComputationAborted"},
                                             lambda f: deal in (f.get("deal"), f.get("account")))
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted create_deal for {deal} (reason {fields['reason']})")
        got = await self._open(fields, 2, otc.DEAL_CREATED_BLOB)
        if got != [amount, price]:
            raise DealError("the MXE's confirmation does not match the deal that was sent")
        self._note(str(deal), {"role": "creator", "identity": ident.id, "amount": amount,
                               "price": str(price), "expires_at": expires_at})
        return {"deal": str(deal), "signature": str(sent.signature), "amount": amount,
                "price": format_price(price), "expires_at": expires_at, "allow_partial": allow_partial}

    async def offer(self, deal: Pubkey, amount: int, price: int) -> dict[str, Any]:
        if amount <= 0 or amount >= 2**64:
            raise DealError("amount must be a positive u64")
        fields_deal = await self.otc.deal(deal)
        if fields_deal["status"] != otc.DEAL_OPEN:
            raise DealError(f"deal {deal} is {otc.DEAL_STATUS_NAMES[fields_deal['status']]}, not OPEN")
        if fields_deal["expires_at"] <= await self.ctx.chain.unix_time():
            raise DealError(f"deal {deal} has expired")
        ident, secret = self._identity()
        mxe = await self.otc.mxe_public_key()
        create_key, nonce = Keypair(), otc.random_nonce()
        cts = otc.encrypt_for_mxe(secret, mxe, otc.OFFER_INPUT, [price, amount], nonce)
        offer = otc.offer_pda(deal, create_key.pubkey())[0]
        ix = otc.submit_offer_ix(
            payer=self.ctx.owner, create_key=create_key.pubkey(), deal=deal,
            computation_offset=otc.random_computation_offset(), controller=self.ctx.owner,
            encryption_pubkey=ident.public_key, nonce=nonce, encrypted_price=cts[0],
            encrypted_amount=cts[1])
        async with otc_events(self.ctx.profile.ws_url) as events:
            sent = await self.ctx.sender.send([ix], [self.ctx.keypair, create_key])
            name, fields = await events.wait({"OfferCreated", "ComputationAborted"},
                                             lambda f: offer in (f.get("offer"), f.get("account")))
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted submit_offer for {offer} (reason {fields['reason']})")
        got = await self._open(fields, 2, otc.OFFER_CREATED_BLOB)
        if got != [price, amount]:
            raise DealError("the MXE's confirmation does not match the offer that was sent")
        self._note(str(offer), {"role": "offeror", "deal": str(deal), "identity": ident.id,
                                "amount": amount, "price": str(price)})
        return {"offer": str(offer), "deal": str(deal), "signature": str(sent.signature),
                "amount": amount, "price": format_price(price)}

    async def crank(self, deal: Pubkey, offers: str = "mine") -> dict[str, Any]:
        """Crank the deal if it is still OPEN, then its OPEN offers (`mine`, `all` or `none`);
        returns the status and every result sealed to this wallet."""
        fields = await self.otc.deal(deal)
        out: dict[str, Any] = {"deal": str(deal), "offers": []}
        if fields["status"] == otc.DEAL_OPEN:
            out["deal_crank"] = await self._crank_deal(deal, fields)
            fields = await self.otc.deal(deal)
        out["status"] = otc.DEAL_STATUS_NAMES[fields["status"]]
        if fields["status"] == otc.DEAL_OPEN or offers == "none":
            return out
        me = self.ctx.owner
        for key, offer in await self.otc.offers(deal):
            if offer["status"] != otc.OFFER_OPEN or offer["crank_pending"]:
                continue
            if offers == "mine" and offer["controller"] != me:
                continue
            out["offers"].append(await self._crank_offer(deal, key, offer))
        return out

    async def _crank_deal(self, deal: Pubkey, fields: dict[str, Any]) -> dict[str, Any]:
        now = await self.ctx.chain.unix_time()
        if now < fields["expires_at"] and fields["controller"] != self.ctx.owner:
            raise DealError(f"deal {deal} expires in {fields['expires_at'] - now} s; before that only "
                            "its controller may crank it")
        ix = otc.crank_deal_ix(payer=self.ctx.owner, deal=deal,
                               computation_offset=otc.random_computation_offset(),
                               creator_encryption_pubkey=fields["encryption_pubkey"])
        async with otc_events(self.ctx.profile.ws_url) as events:
            await self.ctx.sender.send([ix], [self.ctx.keypair])
            name, ev = await events.wait({"DealSettled", "EarlyCrankRejected", "ComputationAborted"},
                                         lambda f: deal in (f.get("deal"), f.get("account")))
        if name == "EarlyCrankRejected":
            return {"result": "rejected", "detail": "not fully filled yet: crank again after expiry"}
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted crank_deal for {deal} (reason {ev['reason']})")
        result: dict[str, Any] = {"result": otc.DEAL_STATUS_NAMES[ev["status"]]}
        opened = await self._open(ev, 3, otc.DEAL_SETTLED_BLOB)
        if opened is not None:
            settled = dict(zip(("total_filled", "creator_receives", "creator_refund"), opened))
            result["settled"] = settled
            self._note(str(deal), {"settled": settled, "status": result["result"]})
        return result

    async def _crank_offer(self, deal: Pubkey, key: Pubkey, offer: dict[str, Any]) -> dict[str, Any]:
        ix = otc.crank_offer_ix(payer=self.ctx.owner, deal=deal, offer=key,
                                computation_offset=otc.random_computation_offset(),
                                offeror_encryption_pubkey=offer["encryption_pubkey"])
        async with otc_events(self.ctx.profile.ws_url) as events:
            await self.ctx.sender.send([ix], [self.ctx.keypair])
            name, ev = await events.wait({"OfferSettled", "ComputationAborted"},
                                         lambda f: key in (f.get("offer"), f.get("account")))
        if name == "ComputationAborted":
            raise DealError(f"the MXE aborted crank_offer for {key} (reason {ev['reason']})")
        result: dict[str, Any] = {"offer": str(key), "settled": True}
        opened = await self._open(ev, 3, otc.OFFER_SETTLED_BLOB)
        if opened is not None:
            settled = {"outcome": OUTCOMES[opened[0]], "executed_amt": opened[1], "refund_amt": opened[2]}
            result["result"] = settled
            self._note(str(key), {"settled": settled})
        return result

    async def close(self, deal: Pubkey) -> dict[str, Any]:
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
        return {"deal": str(deal), "closed": closed}

    # ------------------------------------------------------------------ views
    async def show(self, deal: Pubkey) -> DealView:
        fields = await self.otc.deal(deal)
        offers = [(str(k), o) for k, o in await self.otc.offers(deal)]
        notes = self.ctx.keystore.notes("deals")
        mine = {k: v for k, v in notes.items() if k == str(deal) or v.get("deal") == str(deal)}
        return DealView(str(deal), fields, offers, mine)

    async def list(self) -> list[dict[str, Any]]:
        notes = self.ctx.keystore.notes("deals")
        my_deals = {v.get("deal") for v in notes.values()} | set(notes)
        me = self.ctx.owner
        rows = []
        for key, d in sorted(await self.otc.deals(), key=lambda kv: kv[1]["created_at"]):
            role = "creator" if d["controller"] == me else "offeror" if str(key) in my_deals else "-"
            rows.append({"deal": str(key), "status": otc.DEAL_STATUS_NAMES.get(d["status"], str(d["status"])),
                         "role": role, "num_offers": d["num_offers"], "expires_at": d["expires_at"],
                         "allow_partial": d["allow_partial"]})
        return rows
