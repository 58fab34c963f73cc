"""A thief's toolkit against a real `anomi localnet up`: raw solders transactions, the rail's
HTTP API, the prover, and balance snapshots of everything that could move.

Why not the wallet: an attacker builds the instruction bytes and account lists themself (a
replayed proof, a missing bond account, someone else's wallet as the payee of a bond); the
wallet would refuse or fix those before sending. Only the protocol's public pieces are used:
the IDLs, the PDA seeds, the prover, and the rail's HTTP client.
"""
from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from solders.compute_budget import set_compute_unit_limit
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import create_idempotent_associated_token_account, get_associated_token_address

from localnet.rails.client import RailClient
from prover.engine import Prover
from prover.statements import PaymentStatement, SolvencyStatement
from protocol import market_codec as mc
from protocol.attestation import (
    SignedAttestation, SignedReceipt, notary_key_hash, order_reference, reservation_tag)
from protocol.idl import load_idl
from protocol.market_pdas import bond as bond_pda, nullifier as nullifier_pda, reservation as reservation_pda
from protocol.program_ids import SYSVAR_CLOCK_ID
from protocol.wallet_link import link_message
from tests.integration.localnet_client import raw_rpc, sign
from tests.integration.localnet_process import LocalnetProcess
from tests.integration.program_errors import error_name, split  # noqa: F401 (re-exported)

MARKET, PROCESSOR = load_idl("market"), load_idl("order_processor")
PRICE = 28_500            # paisa per USDC
SIZE = 100_000_000        # 100 USDC
DUE = 2_850_000           # 28,500 PKR
CU_LIMIT = 400_000
FEE = 5_000               # lamports per signature (no priority fee)


@dataclass
class Arena:
    node: LocalnetProcess
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    prover: Prover = field(default_factory=Prover)
    sent: int = 0

    def __post_init__(self) -> None:
        self.mint = Pubkey.from_string(self.node.usdc_mint)
        self.addr = mc.market_addresses(self.mint)
        info = self.rpc("anomi_clusterInfo")["result"]
        self.rail = RailClient(info["railUrl"])
        self.directory_url = info["directoryUrl"]
        self.notary_hash = int(self.rail.notary()["key_hash"])
        self._handles = iter(range(1_000_000, 9_999_999, 7919))

    def close(self) -> None:
        self.rail.close()
        self.loop.close()

    # ------------------------------------------------------------------ cluster
    def rpc(self, method: str, params: Any = None) -> dict:
        return self.loop.run_until_complete(raw_rpc(self.node.rpc_url, method, params))

    def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> dict:
        """Submit without preflight (a refusal lands as a failed tx, fee charged) and return the
        confirmed meta. The CU limit carries a counter so a resent instruction is a new tx."""
        self.sent += 1
        recent = Hash.from_string(self.rpc("getLatestBlockhash")["result"]["value"]["blockhash"])
        tx = sign([set_compute_unit_limit(CU_LIMIT + self.sent), *ixs], signers, recent)
        sig = self.rpc("sendTransaction", [base64.b64encode(bytes(tx)).decode(),
                                           {"encoding": "base64", "skipPreflight": True}])["result"]
        for _ in range(200):
            got = self.rpc("getTransaction", [sig, {"encoding": "json", "commitment": "confirmed",
                                                    "maxSupportedTransactionVersion": 0}])
            if got.get("result"):
                return got["result"]["meta"]
            time.sleep(0.05)
        raise AssertionError(f"transaction {sig} never confirmed")

    def data(self, key: Pubkey) -> bytes | None:
        value = self.rpc("getAccountInfo", [str(key), {"encoding": "base64", "commitment": "confirmed"}])["result"]["value"]
        return None if value is None else base64.b64decode(value["data"][0])

    def lamports(self, key: Pubkey) -> int:
        return self.rpc("getBalance", [str(key), {"commitment": "confirmed"}])["result"]["value"]

    def ata(self, owner: Pubkey) -> Pubkey:
        return get_associated_token_address(owner, self.mint)

    def usdc(self, owner: Pubkey) -> int:
        data = self.data(self.ata(owner))
        return 0 if data is None else int.from_bytes(data[64:72], "little")

    def records(self) -> list[dict]:
        return mc.decode_queue(self.data(self.addr["settlement_queue"]))["records"]

    def asks(self) -> list[mc.RestingOrder]:
        return list(mc.iter_book(self.data(self.addr["asks"])))

    def now(self) -> int:
        return int.from_bytes(self.data(SYSVAR_CLOCK_ID)[32:40], "little", signed=True)

    def reserved(self, tag: bytes) -> int:
        data = self.data(reservation_pda(tag)[0])
        return MARKET.decode_account("Reservation", data)["reserved"] if data else 0

    def bond(self, order_id: int) -> dict | None:
        data = self.data(bond_pda(self.addr["market"], order_id)[0])
        return MARKET.decode_account("MatchBond", data) if data else None

    def wallet(self, usdc: int = 0, sol: int = 10 ** 10) -> Keypair:
        kp = Keypair()
        self.rpc("requestAirdrop", [str(kp.pubkey()), sol])
        if usdc:
            self.rpc("anomi_requestTokenAirdrop", [str(kp.pubkey()), usdc])
        else:
            assert self.send([create_idempotent_associated_token_account(kp.pubkey(), kp.pubkey(), self.mint)],
                             [kp])["err"] is None
        deadline = time.monotonic() + 20
        while self.lamports(kp.pubkey()) == 0 or (usdc and self.usdc(kp.pubkey()) < usdc):
            assert time.monotonic() < deadline, "airdrop did not land"
            time.sleep(0.1)
        return kp

    # ------------------------------------------------------------------ rail
    def rail_account(self, balance: int = 0) -> tuple[str, str]:
        handle = f"0311-{next(self._handles):07d}"
        auth = (handle, f"credential-{handle}")
        self.rail.open_account(handle, f"Acct {handle}", auth[1])
        if balance:
            self.rail.top_up(auth, balance)
        return auth

    def link(self, auth: tuple[str, str], kp: Keypair) -> None:
        msg = link_message(auth[0], str(kp.pubkey()), self.notary_hash)
        self.rail.link_wallet(auth, str(kp.pubkey()), bytes(kp.sign_message(msg)))

    def pkr(self, auth: tuple[str, str]) -> int:
        return self.rail.balance(auth)

    def attestation(self, auth: tuple[str, str], kp: Keypair, *, not_before: int | None = None) -> SignedAttestation:
        """A fresh attestation. After a clock warp the rail follows the cluster's Clock about once
        a second (localnet/rails/clock.py): until it has, it stamps the old time, which the
        market rightly calls stale, so wait (bounded) for a stamp within a minute of the chain's
        (or at least ``not_before``)."""
        floor = self.now() - 60 if not_before is None else not_before
        deadline = time.monotonic() + 30
        while True:
            signed = SignedAttestation.from_json(self.rail.balance_attestation(auth, str(kp.pubkey())))
            if signed.attestation.timestamp >= floor or time.monotonic() > deadline:
                return signed
            time.sleep(0.25)

    def wait_rail_clock(self, auth: tuple[str, str], kp: Keypair, at_least: int) -> None:
        """Until the rail stamps ``at_least`` or later: a payment made in the same second as its
        match, while the rail's clock trails a warped cluster by its 1 s sync, would carry a
        time before the match (a real buyer pays minutes later)."""
        self.attestation(auth, kp, not_before=at_least)

    # ------------------------------------------------------------------ proofs
    def solvency(self, auth: tuple[str, str], kp: Keypair, due: int = DUE, reserved: int | None = None):
        """A real solvency proof from a fresh attestation, over the chain's current reserved total
        unless ``reserved`` is given. Returns (proof, min_timestamp)."""
        signed = self.attestation(auth, kp)
        tag = reservation_tag(signed.attestation.account_commitment).to_bytes(32, "big")
        reserved = self.reserved(tag) if reserved is None else reserved
        min_ts = min(signed.attestation.timestamp, self.now())
        stmt = SolvencyStatement.for_attestation(signed, due, min_ts, reserved)
        return self.prover.prove_solvency(signed, stmt, registered_notaries=[self.notary_hash]).result(120), min_ts

    def order_ref(self, record: dict) -> int:
        """The reference the buyer's transfer must carry for ``record`` (receipt version 2)."""
        return order_reference(bytes(record["market"]), record["order_id"], bytes(record["buyer"]))

    def payment(self, auth: tuple[str, str], payment_id: int, record: dict):
        signed = SignedReceipt.from_json(self.rail.receipt(auth, payment_id)["receipt"])
        stmt = PaymentStatement(bytes(record["market"]), record["order_id"], bytes(record["buyer"]),
                                int.from_bytes(record["payee_commitment"], "big"),
                                record["fiat_due"], record["matched_at"])
        return self.prover.prove_payment(signed, stmt, registered_notaries=[self.notary_hash]).result(120)

    # ------------------------------------------------------------------ instructions
    def ix(self, idl, name: str, args: dict, **accounts: Pubkey) -> Instruction:
        merged = {**self.addr, **accounts}
        return idl.instruction(name, args, {n: merged[n] for n in idl.account_names(name) if n in merged})

    def ask_ix(self, seller: Keypair, commitment: int, price: int = PRICE, size: int = SIZE) -> Instruction:
        return self.ix(MARKET, "place_ask_order", {"price": price, "size": size,
                                                   "payee_commitment": commitment.to_bytes(32, "big")},
                       seller=seller.pubkey(), seller_token=self.ata(seller.pubkey()))

    def next_bonds(self, price: int = PRICE) -> list[Pubkey]:
        crossing = min(8, sum(1 for o in self.asks() if o.price <= price))
        first = mc.queue_count(self.data(self.addr["settlement_queue"]))   # next order id (archiving never lowers it)
        return [bond_pda(self.addr["market"], first + i)[0] for i in range(crossing)]

    def bid_ix(self, bidder: Keypair, proof, min_ts: int, *, price: int = PRICE, size: int = SIZE,
               reserved: int | None = None, bonds: list[AccountMeta] | None = None) -> Instruction:
        """place_bid_order carrying the proof's own public reserved total and tag unless told
        otherwise; bonds default to the honest list (one writable bond PDA per crossing ask)."""
        tag = proof.public_inputs[6].to_bytes(32, "big")
        ix = self.ix(MARKET, "place_bid_order", {
            "price": price, "size": size, "attester_index": 0, "min_timestamp": min_ts,
            "proof": split(proof.solana_proof()),
            "reserved": proof.public_inputs[5] if reserved is None else reserved, "account_tag": tag},
            bidder=bidder.pubkey(), reservation=reservation_pda(tag)[0])
        if bonds is None:
            bonds = [AccountMeta(b, False, True) for b in self.next_bonds(price)]
        return Instruction(ix.program_id, ix.data, [*ix.accounts, *bonds])

    def bond_accounts(self, order_id: int) -> dict[str, Pubkey]:
        rec = self.records()[order_id]
        state = self.bond(order_id)
        tag = bytes(state["account_tag"]) if state else bytes(32)
        return {"bond": bond_pda(self.addr["market"], order_id)[0], "reservation": reservation_pda(tag)[0],
                "buyer": rec["buyer"], "seller": rec["seller"]}

    def reclaim_ix(self, order_id: int, **override: Pubkey) -> Instruction:
        rec = self.records()[order_id]
        return self.ix(MARKET, "reclaim_expired", {"order_id": order_id},
                       seller_token=self.ata(rec["seller"]), **{**self.bond_accounts(order_id), **override})

    def finalize_ix(self, payer: Keypair, order_id: int, proof, **override: Pubkey) -> Instruction:
        rec = self.records()[order_id]
        nullifier = proof.public_inputs[5].to_bytes(32, "big")
        return self.ix(PROCESSOR, "finalize_trade", {
            "order_id": order_id, "attester_index": 0, "nullifier": nullifier, "proof": split(proof.solana_proof())},
            payer=payer.pubkey(), nullifier_record=nullifier_pda(nullifier)[0], buyer_token=self.ata(rec["buyer"]),
            **{**self.bond_accounts(order_id), **override})

    # ------------------------------------------------------------------ what could move
    def snapshot(self, wallets: Sequence[Keypair | Pubkey], rails: Sequence[tuple[str, str]],
                 extra: Sequence[Pubkey] = ()) -> dict:
        keys = [w.pubkey() if isinstance(w, Keypair) else w for w in wallets]
        return {"usdc": {str(k): self.usdc(k) for k in keys} | {"vault": self.usdc_account(self.addr["vault"])},
                "lamports": {str(k): self.lamports(k) for k in [*keys, *extra]},
                "pkr": {a[0]: self.pkr(a) for a in rails},
                "queue": self.records(), "asks": [(o.order_id, o.quantity) for o in self.asks()]}

    def usdc_account(self, key: Pubkey) -> int:
        data = self.data(key)
        return 0 if data is None else int.from_bytes(data[64:72], "little")

    def refused(self, ixs: Sequence[Instruction], signer: Keypair, idl, expected: str, *,
                wallets: Sequence[Keypair | Pubkey] = (), rails: Sequence[tuple[str, str]] = (),
                extra: Sequence[Pubkey] = ()) -> dict:
        """The tx lands, fails with ``expected`` (IDL name, logged by name), and nothing moved:
        USDC, lamports (the signer pays exactly the fee), PKR, the queue and the book."""
        watched = [signer, *wallets]
        before = self.snapshot(watched, rails, extra)
        meta = self.send(ixs, [signer])
        assert error_name(idl, meta) == expected, (meta["err"], meta["logMessages"][-5:])
        after = self.snapshot(watched, rails, extra)
        before["lamports"][str(signer.pubkey())] -= FEE
        assert after == before
        return meta


__all__ = ["Arena", "CU_LIMIT", "DUE", "FEE", "MARKET", "PRICE", "PROCESSOR", "SIZE", "error_name",
           "notary_key_hash", "split"]
