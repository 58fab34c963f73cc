"""Settling a MatchedOrder: the buyer learns the payee, pays on the rail, proves the payment
and finalizes; anyone reclaims an expired escrow for the seller.

Why the wallet keeps notes: the payee details, the rail payment id and the finished proof link
this wallet to a person and a payment, so they live encrypted in the keystore (notes "payees",
"payments", "proofs"), keyed by market and order id. Each step is idempotent: paying twice
re-uses the rail's idempotency key (the rail pays once), proving again re-uses the stored proof
unless asked otherwise, and a finalize that already happened is refused by the program.
"""
from __future__ import annotations

import asyncio

from pathlib import Path
from typing import TYPE_CHECKING

from solders.pubkey import Pubkey

from protocol.attestation import notary_key_hash

from . import offthread
from .market_client import FINALIZE_COMPUTE_UNITS, MatchedOrderView, MarketError
from .payee_directory import PayeeDetails
from .proof_jobs import ProofJobError
from .settlement_results import FinalizeResult, PaymentResult, ReclaimResult
from .trade_steps import payment_reference
from .trade_events import Finalized, PaymentProved, PaymentSent, Reclaimed
from .trader import TradeContext, check_notary

if TYPE_CHECKING:  # the prover loads when a proof is made, not with the window (proof_jobs.py)
    from prover.files import ProofRequest
    from prover.proof import Proof
    from prover.statements import PaymentStatement


class Settlement:
    def __init__(self, ctx: TradeContext):
        self.ctx = ctx
        # one identity creation at a time: the window reveals the payee on selection while a
        # quick user already clicks Pay, and both would create "Payee details"
        self._identity_lock = asyncio.Lock()

    async def key(self, order_id: int) -> str:
        return f"{(await self.ctx.market.addresses())['market']}:{order_id}"

    async def statement(self, record: MatchedOrderView) -> PaymentStatement:
        """What the payment proof for `record` claims; its order reference is the one the
        transfer carried and the one finalize_trade recomputes from the record."""
        from prover.statements import PaymentStatement
        market = (await self.ctx.market.addresses())["market"]
        return PaymentStatement(bytes(market), record.order_id,
                                bytes(Pubkey.from_string(record.buyer)),
                                int.from_bytes(record.payee_commitment, "big"),
                                record.fiat_due, record.matched_at)

    async def my_record(self, order_id: int, role: str = "buyer") -> MatchedOrderView:
        record = await self.ctx.market.record(order_id)
        if role == "buyer" and record.buyer != str(self.ctx.owner):
            raise MarketError(f"matched order #{order_id} belongs to buyer {record.buyer}, "
                              "not to this account")
        return record

    # ------------------------------------------------------------------ payee
    async def payee(self, order_id: int) -> PayeeDetails:
        """The seller's payee details for my matched order (from the directory, sealed to my
        x25519 identity, checked against the on-chain commitment)."""
        key = await self.key(order_id)
        cached = self.ctx.keystore.notes("payees").get(key)
        record = await self.my_record(order_id)
        commitment = int.from_bytes(record.payee_commitment, "big")
        if cached and int(cached["commitment"]) == commitment:
            return PayeeDetails(cached["handle"], int(cached["salt"]), cached["display_name"], commitment)
        if self.ctx.directory is None:
            raise MarketError("no payee directory configured for this cluster")
        async with self._identity_lock:
            book = self.ctx.identities()   # read inside the lock: it sees an identity made meanwhile
            active = [i for i in book.list() if not i.retired]
            ident = active[-1] if active else await offthread.keystore_write(
                self.ctx.keystore, book.create, "Payee details")
        details = await self.ctx.directory.reveal(
            self.ctx.keypair, (await self.ctx.market.addresses())["market"], order_id,
            ident.public_key, book.secret_key(ident.id), commitment)
        await offthread.update_notes(self.ctx.keystore, "payees", lambda n: n.__setitem__(key, {
            "handle": details.handle, "salt": str(details.salt),
            "display_name": details.display_name, "commitment": str(commitment)}))
        return details

    # ------------------------------------------------------------------ pay
    async def pay(self, order_id: int) -> PaymentResult:
        """Pay the order's fiat due to the seller's handle (once, even if run again)."""
        record = await self.my_record(order_id)
        if record.status != "Pending":
            raise MarketError(f"matched order #{order_id} is {record.status}; nothing to pay")
        if record.seconds_left <= 0:
            raise MarketError(f"matched order #{order_id} has expired; paying now cannot settle it")
        details = await self.payee(order_id)
        key = await self.key(order_id)
        rail = await self.ctx.rail()
        idem = f"anomi-{key.split(':')[0][:16]}-{order_id}"
        stmt = await self.statement(record)
        paid = await rail.transfer(self.ctx.rail_login(), details.handle, record.fiat_due, idem,
                                   payment_reference(order_id), stmt.order_ref)
        note = {"payment_id": str(paid["payment_id"]), "amount_paisa": paid["amount_paisa"],
                "payee": details.handle, "timestamp": paid["timestamp"]}
        await offthread.update_notes(self.ctx.keystore, "payments", lambda n: n.__setitem__(key, note))
        self.ctx.bus.publish(PaymentSent(str(self.ctx.owner), order_id, details.handle,
                                         int(paid["amount_paisa"]), note["payment_id"],
                                         bool(paid.get("replayed"))))
        return PaymentResult(order_id, details.handle, details.display_name, int(paid["amount_paisa"]),
                             note["payment_id"], bool(paid.get("replayed")))

    # ------------------------------------------------------------------ prove
    async def payment_request(self, order_id: int) -> ProofRequest:
        from prover.files import ProofRequest
        record = await self.my_record(order_id)
        payment = self.ctx.keystore.notes("payments").get(await self.key(order_id))
        if not payment:
            raise MarketError(f"no rail payment recorded for matched order #{order_id}: "
                              f"`anomi pay {order_id}` first")
        rail = await self.ctx.rail()
        details = await self.payee(order_id)   # the ask's own salt: the receipt must commit like the order
        _payment, signed = await rail.receipt(self.ctx.rail_login(), int(payment["payment_id"]), details.salt)
        check_notary(self.ctx.profile, notary_key_hash(signed.notary_public_key), "the rail's payment receipt")
        await self.ctx.market.attester_index(signed.notary_public_key)
        stmt = await self.statement(record)
        notaries = tuple(await self.ctx.market.registered_notaries())
        return await offthread.blocking(   # hashes the circuit files
            self.ctx.proofs.request_for, ProofRequest("payment", stmt, signed, "0" * 64, notaries))

    async def prove(self, order_id: int, *, force: bool = False) -> Proof:
        """Prove the payment (progress as ProofProgress events); the proof is kept in the wallet."""
        key = await self.key(order_id)
        stored = self.ctx.keystore.notes("proofs").get(key)
        if stored and not force:
            return await offthread.blocking(self.ctx.proofs.import_text, stored, "payment")
        request = await self.payment_request(order_id)
        job = self.ctx.proofs.submit(f"payment for matched order #{order_id}", request)
        proof = await self.ctx.proofs.run(job.job_id)
        from prover.files import proof_file_json
        text = proof_file_json(proof, request.statement)
        await offthread.update_notes(self.ctx.keystore, "proofs", lambda n: n.__setitem__(key, text))
        self.ctx.bus.publish(PaymentProved(str(self.ctx.owner), order_id))
        return proof

    async def import_proof(self, order_id: int, path: Path) -> Proof:
        """Adopt a proof file made offline (`anomi prove`); it must be for this order."""
        proof = await offthread.blocking(self.ctx.proofs.import_proof, path, "payment")
        check_notary(self.ctx.profile, proof.public_inputs[0], f"the payment proof in {path}")
        record = await self.my_record(order_id)
        if proof.public_inputs[1] != (await self.statement(record)).order_ref or proof.public_inputs[2] != int.from_bytes(
                record.payee_commitment, "big") or proof.public_inputs[3] != record.fiat_due:
            raise ProofJobError(f"{path} proves a payment for another order")
        key = await self.key(order_id)
        text = await offthread.blocking(Path(path).read_text)
        await offthread.update_notes(self.ctx.keystore, "proofs", lambda n: n.__setitem__(key, text))
        self.ctx.bus.publish(PaymentProved(str(self.ctx.owner), order_id))
        return proof

    # ------------------------------------------------------------------ finalize / reclaim
    async def finalize(self, order_id: int) -> FinalizeResult:
        record = await self.my_record(order_id)
        if record.status != "Pending":
            raise MarketError(f"matched order #{order_id} is {record.status}, not Pending")
        if record.seconds_left <= 0:
            raise MarketError(f"matched order #{order_id} expired; the seller may reclaim the escrow")
        stored = self.ctx.keystore.notes("proofs").get(await self.key(order_id))
        if not stored:
            raise MarketError(f"no payment proof for matched order #{order_id}: "
                              f"`anomi prove {order_id}` first")
        proof = await offthread.blocking(self.ctx.proofs.import_text, stored, "payment")
        check_notary(self.ctx.profile, proof.public_inputs[0], f"the stored payment proof for #{order_id}")
        hashes = await self.ctx.market.registered_notaries()
        if proof.public_inputs[0] not in hashes:
            raise MarketError("the proof's notary is not in the market's attester registry")
        buyer = Pubkey.from_string(record.buyer)
        ixs = [await self.ctx.market.ensure_usdc_account_ix(self.ctx.owner, buyer),
               await self.ctx.market.finalize_ix(self.ctx.owner, record,
                                                 hashes.index(proof.public_inputs[0]),
                                                 proof.public_inputs[5], proof.solana_proof())]
        sent = await self.ctx.sender.send(ixs, [self.ctx.keypair],
                                          compute_unit_limit=FINALIZE_COMPUTE_UNITS)
        self.ctx.proofs.mark_submitted_proof(proof, str(sent.signature))   # the proof's receipt
        self.ctx.bus.publish(Finalized(str(self.ctx.owner), order_id, str(sent.signature),
                                       record.base_amount, record.buyer))
        return FinalizeResult(order_id, str(sent.signature), record.base_amount, record.buyer,
                              str(proof.public_inputs[5]))

    async def reclaim(self, order_id: int) -> ReclaimResult:
        record = await self.ctx.market.record(order_id)
        if record.status != "Pending":
            raise MarketError(f"matched order #{order_id} is {record.status}; nothing to reclaim")
        if not record.reclaimable:
            raise MarketError(f"matched order #{order_id} expires in {record.seconds_left} s; "
                              "its escrow can be reclaimed only after that")
        sent = await self.ctx.sender.send([await self.ctx.market.reclaim_ix(record)], [self.ctx.keypair])
        self.ctx.bus.publish(Reclaimed(str(self.ctx.owner), order_id, str(sent.signature),
                                       record.base_amount, record.seller))
        return ReclaimResult(order_id, str(sent.signature), record.base_amount, record.seller)

