"""What a thief needs to attack the zk-p2p market over JSON-RPC: raw solders transactions, account
reads, funding, and a market of his own.

Why a private market: ``init_market`` is permissionless for any SPL mint, so an attacker (or a
test) can open a market with small books and a small queue on a mint he controls; the programs,
the verifying key and the attester registry are the genesis ones, so everything measured on it
holds for the genesis market (whose books hold 12,288 orders per side). No wallet code is used.
"""
from __future__ import annotations

import asyncio
import base64
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from solders.compute_budget import set_compute_unit_limit
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.system_program import CreateAccountParams, create_account
from spl.token.constants import TOKEN_PROGRAM_ID
from spl.token.instructions import (
    create_idempotent_associated_token_account, get_associated_token_address, initialize_mint2, mint_to)
from spl.token.models import InitializeMint2Params, MintToParams

from protocol import market_codec as mc
from protocol import market_pdas as pdas
from protocol.idl import load_idl
from protocol.program_ids import MARKET_PROGRAM_ID, SYSVAR_CLOCK_ID
from tests.integration.localnet_client import b64, raw_rpc, sign
from tests.integration.localnet_process import LocalnetProcess
from tests.integration.program_errors import error_name, split  # noqa: F401 (re-exported)

MARKET, STORE, PROCESSOR = load_idl("market"), load_idl("order_store"), load_idl("order_processor")
MINT_LEN = 82


def new_account(payer: Pubkey, key: Pubkey, lamports: int, space: int, owner: Pubkey) -> Instruction:
    return create_account(CreateAccountParams(from_pubkey=payer, to_pubkey=key, lamports=lamports, space=space,
                                              owner=owner))


@dataclass
class Kit:
    node: LocalnetProcess
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    sent: int = 0

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.loop.close()

    # ---------------------------------------------------------------- chain
    def rpc(self, method: str, params: Any = None) -> dict:
        return self.run(raw_rpc(self.node.rpc_url, method, params))

    def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair], cu: int = 1_400_000) -> dict:
        """Submit without preflight (a refusal lands on-chain as a failed transaction) and return
        the confirmed meta (err, fee, logMessages, computeUnitsConsumed)."""
        self.sent += 1
        recent = self.rpc("getLatestBlockhash", [{"commitment": "confirmed"}])["result"]["value"]["blockhash"]
        from solders.hash import Hash
        tx = sign([set_compute_unit_limit(cu - self.sent % 1000), *ixs], signers, Hash.from_string(recent))
        sig = self.rpc("sendTransaction", [b64(tx), {"encoding": "base64", "skipPreflight": True}])["result"]
        for _ in range(400):
            got = self.rpc("getTransaction", [sig, {"encoding": "json", "commitment": "confirmed",
                                                    "maxSupportedTransactionVersion": 0}])
            if got.get("result"):
                return got["result"]["meta"]
            time.sleep(0.03)
        raise AssertionError(f"transaction {sig} never confirmed")

    def ok(self, ixs: Sequence[Instruction], signers: Sequence[Keypair], cu: int = 1_400_000) -> dict:
        meta = self.send(ixs, signers, cu)
        assert meta["err"] is None, meta["logMessages"][-6:]
        return meta

    def data(self, key: Pubkey) -> bytes | None:
        value = self.rpc("getAccountInfo", [str(key), {"encoding": "base64", "commitment": "confirmed"}])["result"]["value"]
        return None if value is None else base64.b64decode(value["data"][0])

    def lamports(self, key: Pubkey) -> int:
        return self.rpc("getBalance", [str(key), {"commitment": "confirmed"}])["result"]["value"]

    def token(self, key: Pubkey) -> int:
        data = self.data(key)
        return 0 if data is None else int.from_bytes(data[64:72], "little")

    def now(self) -> int:
        return int.from_bytes(self.data(SYSVAR_CLOCK_ID)[32:40], "little", signed=True)

    def fund(self, who: Keypair, sol: int = 10 ** 10) -> None:
        self.rpc("requestAirdrop", [str(who.pubkey()), sol])
        deadline = time.monotonic() + 30
        while self.lamports(who.pubkey()) < sol:
            assert time.monotonic() < deadline, "airdrop never landed"
            time.sleep(0.05)

    def rent(self, size: int) -> int:
        return self.rpc("getMinimumBalanceForRentExemption", [size])["result"]


@dataclass(frozen=True)
class Solvency:
    """A real solvency proof and what a bid must carry with it: the proof's reserved total and
    account tag are public inputs, so place_bid_order names them (and the tag's Reservation PDA)."""
    proof: bytes
    min_ts: int
    reserved: int
    tag: bytes
    login: Any = None   # the rail account (wallet.core.rail_client.RailLogin) it was proven from


def solvency_proof(kit: Kit, bidder: Keypair, due: int, balance: int | None = None, *,
                   login: Any = None, reserved: int = 0) -> Solvency:
    """A real Groth16 solvency proof (the cluster's rail and notary, the installed circuit) that
    ``bidder`` can pay ``due`` paisa on top of ``reserved`` paisa its rail account already has
    reserved. Opens a fresh rail account holding ``balance`` (default ``due``) unless ``login`` is
    given, links ``bidder`` to it by the wallet's own signature (the notary attests only for a
    linked wallet), and proves over a fresh attestation. One proof backs one bid: a second bid
    from the same account must prove again over the reserved total the first one left."""
    import secrets

    from prover.engine import Prover
    from prover.statements import SolvencyStatement
    from protocol.attestation import notary_key_hash, reservation_tag
    from protocol.wallet_link import link_message
    from wallet.core.rail_client import RailClient, RailLogin   # the rail's HTTP client; not the attacker's code

    rail = RailClient(kit.rpc("anomi_clusterInfo")["result"]["railUrl"])
    try:
        notary = kit.run(rail.notary())
        key_hash = notary_key_hash((int(notary["x"]), int(notary["y"])))
        if login is None:
            handle = f"03{secrets.randbelow(100):02d}-{secrets.randbelow(10 ** 7):07d}"
            login = RailLogin(handle, RailLogin.new_credential())
            kit.run(rail.open_account(handle, "Thief", login.credential))
            kit.run(rail.top_up(login, balance or due))
        wallet = str(bidder.pubkey())
        kit.run(rail.link_wallet(login, wallet, bytes(bidder.sign_message(link_message(login.handle, wallet, key_hash)))))
        signed = kit.run(rail.balance_attestation(login, wallet))
        min_ts = min(signed.attestation.timestamp, kit.now())
        job = Prover().prove_solvency(signed, SolvencyStatement.for_attestation(signed, due, min_ts, reserved),
                                      registered_notaries=[key_hash])
        tag = reservation_tag(signed.attestation.account_commitment).to_bytes(32, "big")
        return Solvency(job.result(180).solana_proof(), min_ts, reserved, tag, login)
    finally:
        kit.run(rail.close())  # its HTTP session


@dataclass
class ThiefMarket:
    """A market on a mint the creator controls (books of ``capacity`` orders per side)."""
    kit: Kit
    admin: Keypair
    mint: Pubkey
    addr: dict[str, Pubkey]

    @classmethod
    def open(cls, kit: Kit, capacity: int, *, min_size: int = 1_000_000, tick: int = 1,
             max_attestation_age: int = 24 * 3600) -> "ThiefMarket":
        admin, mint_kp = Keypair(), Keypair()
        kit.fund(admin, 10 ** 11)
        kit.ok([new_account(admin.pubkey(), mint_kp.pubkey(), kit.rent(MINT_LEN), MINT_LEN, TOKEN_PROGRAM_ID),
                initialize_mint2(InitializeMint2Params(decimals=6, program_id=TOKEN_PROGRAM_ID, mint=mint_kp.pubkey(),
                                                       mint_authority=admin.pubkey()))],
               [admin, mint_kp])
        mint = mint_kp.pubkey()
        addr = mc.market_addresses(mint)
        books = {}
        for side in ("bids", "asks"):
            kp = Keypair()
            size = mc.book_len(capacity)
            kit.ok([new_account(admin.pubkey(), kp.pubkey(), kit.rent(size), size, MARKET_PROGRAM_ID)], [admin, kp])
            books[side] = kp.pubkey()
        addr.update(books)
        ix = MARKET.instruction("init_market", {"tick_size": tick, "min_size": min_size,
                                                "max_attestation_age": max_attestation_age},
                                {**addr, "admin": admin.pubkey()})
        kit.ok([ix], [admin])
        return cls(kit, admin, mint, addr)

    # ---------------------------------------------------------------- funds
    def ata(self, owner: Pubkey) -> Pubkey:
        return get_associated_token_address(owner, self.mint)

    def new_trader(self, usdc: int = 0, sol: int = 10 ** 10) -> Keypair:
        who = Keypair()
        self.kit.fund(who, sol)
        ixs = [create_idempotent_associated_token_account(who.pubkey(), who.pubkey(), self.mint)]
        self.kit.ok(ixs, [who])
        if usdc:
            self.kit.ok([mint_to(MintToParams(program_id=TOKEN_PROGRAM_ID, mint=self.mint, dest=self.ata(who.pubkey()),
                                              mint_authority=self.admin.pubkey(), amount=usdc))], [self.admin])
        return who

    def usdc(self, who: Keypair | Pubkey) -> int:
        key = who.pubkey() if isinstance(who, Keypair) else who
        return self.kit.token(self.ata(key))

    def vault(self) -> int:
        return self.kit.token(self.addr["vault"])

    def book(self, side: str) -> list[mc.RestingOrder]:
        return list(mc.iter_book(self.kit.data(self.addr["bids" if side == "Bid" else "asks"])))

    def queue(self) -> bytes:
        return self.kit.data(self.addr["settlement_queue"])

    # ---------------------------------------------------------------- instructions
    def ix(self, idl, name: str, args: dict, **accounts: Pubkey) -> Instruction:
        merged = {**self.addr, **accounts}
        return idl.instruction(name, args, {n: merged[n] for n in idl.account_names(name) if n in merged})

    def ask(self, seller: Keypair, price: int, size: int, payee: bytes = (77).to_bytes(32, "big"),
            evictee: Pubkey | None = None) -> Instruction:
        ix = self.ix(MARKET, "place_ask_order", {"price": price, "size": size, "payee_commitment": payee},
                     seller=seller.pubkey(), seller_token=self.ata(seller.pubkey()))
        if evictee is None:
            return ix
        return Instruction(ix.program_id, ix.data, [*ix.accounts, AccountMeta(evictee, False, True)])

    def bid(self, bidder: Keypair, price: int, size: int, solvency: "Solvency | bytes", min_ts: int | None = None,
            *, reserved: int | None = None, tag: bytes | None = None) -> Instruction:
        """place_bid_order with the proof's reserved total and account tag, the tag's Reservation
        PDA, and one bond PDA per ask the bid may cross (at most 8, the next order ids: the
        queue's next id + i; archiving never lowers it). Raw proof bytes (forgeries) take
        ``min_ts``/``reserved``/``tag`` explicitly."""
        if isinstance(solvency, Solvency):
            proof, min_ts = solvency.proof, solvency.min_ts
            reserved = solvency.reserved if reserved is None else reserved
            tag = solvency.tag if tag is None else tag
        else:
            proof = solvency
        reserved, tag = reserved or 0, tag or (1).to_bytes(32, "big")
        ix = self.ix(MARKET, "place_bid_order", {"price": price, "size": size, "attester_index": 0,
                                                  "min_timestamp": min_ts, "proof": split(proof),
                                                  "reserved": reserved, "account_tag": tag},
                     bidder=bidder.pubkey(), reservation=pdas.reservation(tag)[0])
        return Instruction(ix.program_id, ix.data, [*ix.accounts, *(AccountMeta(b, False, True)
                                                                   for b in self.next_bonds(price))])

    def next_bonds(self, price: int) -> list[Pubkey]:
        crossing = min(8, sum(1 for o in self.book("Ask") if o.price <= price))
        first = mc.queue_count(self.queue())
        return [pdas.bond(self.addr["market"], first + i)[0] for i in range(crossing)]

    def cancel(self, owner: Keypair, side: str, order_id: int) -> Instruction:
        return self.ix(MARKET, "cancel_order", {"side": side, "order_id": order_id}, owner=owner.pubkey(),
                       owner_token=self.ata(owner.pubkey()))

    def reclaim(self, order_id: int, seller: Pubkey) -> Instruction:
        """reclaim_expired with the order's bond PDA, the Reservation its bond holds and the seller's
        wallet (the forfeited bond goes there)."""
        bond = pdas.bond(self.addr["market"], order_id)[0]
        data = self.kit.data(bond)
        tag = bytes(MARKET.decode_account("MatchBond", data)["account_tag"]) if data else bytes(32)
        return self.ix(MARKET, "reclaim_expired", {"order_id": order_id}, seller_token=self.ata(seller),
                       bond=bond, reservation=pdas.reservation(tag)[0], seller=seller)

    def archive(self, payer: Keypair, order_id: int) -> Instruction:
        return STORE.instruction("archive_record", {"order_id": order_id}, {
            "payer": payer.pubkey(), "settlement_queue": self.addr["settlement_queue"],
            "archived_order": mc.archived_order_address(self.addr["market"], order_id)})

    def record(self, order_id: int) -> dict | None:
        """MatchedOrder ``order_id`` as any reader finds it: protocol.market_codec.lookup_record."""
        queue = self.queue()
        archive = self.kit.data(mc.archived_order_address(self.addr["market"], order_id))
        return mc.lookup_record(queue, order_id, archive)


__all__ = ["Kit", "Solvency", "ThiefMarket", "solvency_proof", "error_name", "split", "MARKET", "STORE", "PROCESSOR", "pdas"]
