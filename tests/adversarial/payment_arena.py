"""The cluster the payment-redirection attacks run against (security issue 10, §1).

Why a module of its own: the attacks (test_payment_redirection.py) and their harness grew past
700 lines together. Here: the parties and the `Cluster` helper (raw solders transactions, rail
HTTP, real proofs, snapshots of everything that must not move) and the module-scoped `cluster`
fixture, a localnet of its own so that a bid meets exactly the ask placed just before it.
"""
from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import pytest
from solana.rpc.async_api import AsyncClient
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import create_idempotent_associated_token_account, get_associated_token_address

from localnet.rails.client import RailClient
from prover.circuits_registry import spec
from prover.engine import Prover
from prover.proof import Proof
from prover.statements import CircuitInputs, PaymentStatement, SolvencyStatement
from protocol import market_codec as mc
from protocol.attestation import (
    SignedAttestation, SignedReceipt, notary_key_hash, order_reference,
    reservation_tag)
from protocol.idl import load_idl
from protocol.market_pdas import bond as bond_pda, nullifier as nullifier_pda, reservation as reservation_pda
from protocol.program_ids import SYSVAR_CLOCK_ID
from protocol.units import fiat_due
from protocol.wallet_link import link_message
from tests.integration.localnet_client import account_data, raw_rpc, send_for_meta
from tests.integration.localnet_process import LocalnetProcess, start_localnet
from tests.integration.program_errors import error_name, split

MARKET, PROCESSOR = load_idl("market"), load_idl("order_processor")

CU_LIMIT = 400_000
REAL_PRICE, REAL_SIZE = 28_500, 100_000_000          # 285 PKR/USDC, 100 USDC: 28,500 PKR due
DECOY_PRICE, DECOY_SIZE = 10_000, 1_000_000             # 100 PKR/USDC, 1 USDC: 100 PKR due (the smallest order the book takes)


@dataclass
class Party:
    name: str
    wallet: Keypair
    handle: str | None = None
    credential: str = "correct-horse-battery"

    @property
    def auth(self) -> tuple[str, str]:
        assert self.handle is not None, f"{self.name} has no rail account"
        return self.handle, self.credential


@dataclass
class Cluster:
    node: LocalnetProcess
    loop: asyncio.AbstractEventLoop
    client: AsyncClient
    rail: RailClient
    prover: Prover
    addr: dict[str, Pubkey]
    mint: Pubkey
    key_hash: int = 0
    parties: dict[str, Party] = field(default_factory=dict)
    handles: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    sent: int = 0
    other_markets: list[dict] = field(default_factory=list)  # markets made by init_market in a test
    bond_tags: dict[tuple[Pubkey, int], bytes] = field(default_factory=dict)     # (market, order id) -> tag
    bond_buyers: dict[tuple[Pubkey, int], Pubkey] = field(default_factory=dict)

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def ata(self, who: Party) -> Pubkey:
        return self.ata_of(who.wallet.pubkey())

    def ata_of(self, owner: Pubkey, mint: Pubkey | None = None) -> Pubkey:
        return get_associated_token_address(owner, mint or self.mint)

    # ------------------------------------------------------------ chain (raw RPC, raw txs)
    async def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> dict[str, Any]:
        """Submit without preflight and return the confirmed meta (localnet_client.send_for_meta);
        a counter in the compute-unit limit makes a resend a new transaction."""
        self.sent += 1
        return await send_for_meta(self.client, self.node.rpc_url, ixs, signers,
                                   cu_limit=CU_LIMIT + self.sent, polls=200)

    async def data(self, key: Pubkey) -> bytes | None:
        return await account_data(self.node.rpc_url, key)

    async def usdc(self, key: Pubkey) -> int:
        data = await self.data(key)
        return 0 if data is None else int.from_bytes(data[64:72], "little")

    async def records(self, m: dict | None = None) -> list[dict]:
        return mc.decode_queue(await self.data((m or self.addr)["settlement_queue"]))["records"]

    async def snapshot(self) -> dict[str, Any]:
        """Everything a refused finalize must leave as it was (on every market of the test)."""
        usdc = {p.name: await self.usdc(self.ata(p)) for p in self.parties.values()}
        usdc["vault"] = await self.usdc(self.addr["vault"])
        pkr = {p.name: self.rail.balance(p.auth) for p in self.parties.values() if p.handle}
        snap = {"usdc": usdc, "pkr": pkr, "queue": await self.records()}
        for i, m in enumerate(self.other_markets):
            snap[f"market{i}"] = {
                "vault": await self.usdc(m["vault"]), "queue": await self.records(m),
                **{p.name: await self.usdc(self.ata_of(p.wallet.pubkey(), m["base_mint"]))
                   for p in self.parties.values()}}
        return snap

    def ix(self, idl, name: str, args: dict, m: dict | None = None, **accounts: Pubkey) -> Instruction:
        merged = {**(m or self.addr), **accounts}
        return idl.instruction(name, args, {n: merged[n] for n in idl.account_names(name) if n in merged})

    def finalize_ix(self, submitter: Party, order_id: int, proof: Proof,
                    destination: Pubkey, m: dict | None = None) -> Instruction:
        nullifier = proof.public_inputs[5].to_bytes(32, "big")
        return self.ix(PROCESSOR, "finalize_trade", m=m, args={
            "order_id": order_id, "attester_index": 0, "nullifier": nullifier,
            "proof": split(proof.solana_proof())},
            payer=submitter.wallet.pubkey(), nullifier_record=nullifier_pda(nullifier)[0],
            buyer_token=destination, **self.bond_accounts(order_id, m))

    def bond_accounts(self, order_id: int, m: dict | None = None) -> dict[str, Pubkey]:
        """finalize_trade's bond, reservation and buyer-wallet accounts for an order this test's
        bids made (the bond returns to the record's buyer; the reservation is the bid's tag's)."""
        market = (m or self.addr)["market"]
        tag = self.bond_tags.get((market, order_id), bytes(32))
        buyer = self.bond_buyers.get((market, order_id), Pubkey.default())
        return {"bond": bond_pda(market, order_id)[0], "reservation": reservation_pda(tag)[0], "buyer": buyer}

    # ------------------------------------------------------------ parties and orders
    async def party(self, name: str, *, usdc: int = 0, rail: bool = True) -> Party:
        who = Party(name, Keypair())
        await raw_rpc(self.node.rpc_url, "requestAirdrop", [str(who.wallet.pubkey()), 10 ** 10])
        if usdc:
            await raw_rpc(self.node.rpc_url, "anomi_requestTokenAirdrop", [str(who.wallet.pubkey()), usdc])
        else:
            meta = await self.send([create_idempotent_associated_token_account(
                who.wallet.pubkey(), who.wallet.pubkey(), self.mint)], [who.wallet])
            assert meta["err"] is None
        if rail:
            who.handle = f"0345-{next(self.handles):07d}"
            self.rail.open_account(who.handle, name, who.credential)
        self.parties[name] = who
        return who

    async def ask(self, seller: Party, price: int, size: int, payee: Party, m: dict | None = None) -> None:
        """An ask paid into `payee`'s rail account (its commitment, read from the rail)."""
        commitment = int(self.rail.commitment(payee.auth)["commitment"])
        m = m or self.addr
        meta = await self.send([self.ix(MARKET, "place_ask_order", {
            "price": price, "size": size, "payee_commitment": commitment.to_bytes(32, "big")}, m,
            seller=seller.wallet.pubkey(), seller_token=self.ata_of(seller.wallet.pubkey(), m["base_mint"]))],
            [seller.wallet])
        assert meta["err"] is None, meta["logMessages"][-5:]

    async def bid(self, bidder: Party, price: int, size: int, rail_account: Party,
                  m: dict | None = None) -> dict:
        """A bid whose solvency attestation comes from `rail_account` (the thief's second wallet
        uses the thief's own rail account, linked to it by that wallet's signature); the proof
        covers what the account already has reserved; the bid carries the Reservation PDA and
        one bond PDA per crossing ask. Returns the one MatchedOrder it makes."""
        m = m or self.addr
        wallet = str(bidder.wallet.pubkey())
        self.rail.link_wallet(rail_account.auth, wallet, bytes(bidder.wallet.sign_message(
            link_message(rail_account.auth[0], wallet, self.key_hash))))
        while True:   # the attestation must postdate the account's last settlement (whole seconds)
            signed = SignedAttestation.from_json(self.rail.balance_attestation(rail_account.auth, wallet))
            tag = reservation_tag(signed.attestation.account_commitment).to_bytes(32, "big")
            held = await self.data(reservation_pda(tag)[0])
            state = MARKET.decode_account("Reservation", held) if held else {"reserved": 0, "settled_at": 0}
            min_ts = min(signed.attestation.timestamp, await self.now())
            if min_ts > state["settled_at"]:
                break
            await asyncio.sleep(1)
        stmt = SolvencyStatement.for_attestation(signed, fiat_due(size, price), min_ts, state["reserved"])
        job = self.prover.prove_solvency(signed, stmt, registered_notaries=[self.key_hash])
        proof = await asyncio.to_thread(job.result, 120)
        queue = await self.data(m["settlement_queue"])
        first = mc.queue_count(queue)          # the next order id (archiving never lowers it)
        crossing = min(8, sum(1 for o in mc.iter_book(await self.data(m["asks"])) if o.price <= price))
        bonds = [AccountMeta(bond_pda(m["market"], first + i)[0], False, True) for i in range(crossing)]
        ix = self.ix(MARKET, "place_bid_order", {
            "price": price, "size": size, "attester_index": 0, "min_timestamp": min_ts,
            "proof": split(proof.solana_proof()), "reserved": state["reserved"], "account_tag": tag}, m,
            bidder=bidder.wallet.pubkey(), reservation=reservation_pda(tag)[0])
        meta = await self.send([Instruction(ix.program_id, ix.data, [*ix.accounts, *bonds])], [bidder.wallet])
        assert meta["err"] is None, meta["logMessages"][-5:]
        records = await self.records(m)
        assert mc.queue_count(await self.data(m["settlement_queue"])) == first + 1, \
            "the bid must make exactly one MatchedOrder"
        rec = records[-1]
        assert rec["buyer"] == bidder.wallet.pubkey() and rec["status"] == "Pending" and rec["order_id"] == first
        self.bond_tags[(m["market"], first)] = tag
        self.bond_buyers[(m["market"], first)] = bidder.wallet.pubkey()
        return rec

    async def now(self) -> int:
        """The cluster's Clock sysvar unix_timestamp (what the programs compare with)."""
        return int.from_bytes((await self.data(SYSVAR_CLOCK_ID))[32:40], "little", signed=True)

    def pay(self, payer: Party, payee: Party, record: dict, key: str) -> int:
        """The honest buyer's transfer, carrying its order's reference; returns the payment id."""
        ref = order_reference(bytes(record["market"]), record["order_id"], bytes(record["buyer"]))
        paid = self.rail.transfer(payer.auth, payee.handle, record["fiat_due"], key, "ANOMI order",
                                  order_ref=ref)
        return int(paid["payment_id"])

    # ------------------------------------------------------------ proofs
    async def genuine_proof(self, receipt: SignedReceipt, record: dict) -> Proof:
        job = self.prover.prove_payment(receipt, statement(record), registered_notaries=[self.key_hash])
        return await asyncio.to_thread(job.result, 120)

    async def crafted_proof(self, receipt: SignedReceipt, target: dict) -> Proof:
        """The thief's best proof for `target`: the target's fiat due and match time (capped so
        the circuit's inequalities hold), the receipt's payee and the one order reference the
        notary's signature allows, the receipt's. The Python statement checks are bypassed, so
        this is exactly what a modified prover could produce."""
        inputs = crafted_inputs(receipt, target)
        public = tuple(inputs[n] for n in spec("payment").public_inputs)
        return await asyncio.to_thread(self.prover.start(CircuitInputs("payment", inputs, public)).result, 120)

    async def refused(self, ixs: Sequence[Instruction], signer: Party, idl, expected: str,
                      nullifier: int) -> None:
        """The tx lands, fails with `expected` (by IDL name), and nothing moved."""
        before = await self.snapshot()
        null_key = nullifier_pda(nullifier.to_bytes(32, "big"))[0]
        null_before = await self.data(null_key)
        meta = await self.send(ixs, [signer.wallet])
        assert error_name(idl, meta) == expected, (meta["err"], meta["logMessages"][-4:])
        assert await self.snapshot() == before
        assert await self.data(null_key) == null_before


def statement(record: dict) -> PaymentStatement:
    return PaymentStatement(bytes(record["market"]), record["order_id"], bytes(record["buyer"]),
                            int.from_bytes(record["payee_commitment"], "big"), record["fiat_due"],
                            record["matched_at"])


def advertised_rail(node: LocalnetProcess) -> str:
    loop = asyncio.new_event_loop()
    try:
        url = loop.run_until_complete(raw_rpc(node.rpc_url, "anomi_clusterInfo"))["result"]["railUrl"]
    finally:
        loop.close()
    assert url, "the cluster advertises no rail"
    return url


def open_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The test module's `cluster` fixture: a localnet of its own and the helper around it."""
    node = start_localnet(tmp_path_factory.mktemp("payment-redirection") / "ledger")
    loop = asyncio.new_event_loop()
    rail = None
    try:
        mint = Pubkey.from_string(node.usdc_mint)
        rail = RailClient(advertised_rail(node))
        c = Cluster(node, loop, AsyncClient(node.rpc_url), rail, Prover(), mc.market_addresses(mint), mint)
        notary = rail.notary()
        c.key_hash = notary_key_hash((int(notary["x"]), int(notary["y"])))
        yield c
        loop.run_until_complete(c.client.close())
    finally:
        if rail is not None:
            rail.close()
        loop.close()
        node.stop()


def crafted_inputs(receipt: SignedReceipt, target: dict) -> dict[str, int]:
    """Circuit inputs claiming `target`'s fiat due and match time with `receipt`'s evidence."""
    rc = receipt.receipt
    ax, ay = receipt.notary_public_key
    r8x, r8y, s = receipt.signature
    return {"notaryKeyHash": notary_key_hash(receipt.notary_public_key), "orderRef": rc.order_ref,
            "payeeCommitment": rc.payee_commitment, "fiatDue": min(target["fiat_due"], rc.amount_paisa),
            "matchedAt": min(target["matched_at"], rc.timestamp), "nullifier": rc.nullifier(),
            "notaryAx": ax, "notaryAy": ay, "payerCommitment": rc.payer_commitment,
            "amount": rc.amount_paisa, "paymentId": rc.payment_id, "timestamp": rc.timestamp,
            "sigR8x": r8x, "sigR8y": r8y, "sigS": s}
