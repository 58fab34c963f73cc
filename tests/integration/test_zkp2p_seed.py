"""Seed 000 at program level on a REAL `anomi localnet up` process: the embedded fiat rail signs
the attestation and the receipt, the cluster's payee directory service hands the handle to the matched
buyer, and every proof is a real Groth16 proof of the solvency/payment circuits (prover/).

Then, on the same cluster and with real proofs, the attacks that real proofs make possible: a
solvency proof reused by another wallet, a payment proof for another order, one payment for two
orders (its receipt names one order, so the prover refuses the other), finalizing twice — each refused with the IDL's named error and no token moved. Finally
every file of the ledger directory (SQLite database, WAL, MXE files; not the data dirs of the
rail and the payee directory, which hold handles by design) is scanned for the seller's handle.

Why a cluster of its own (not the session one): the scan must see only this module's ledger, and
the bid must meet exactly the seller's ask, not a resting order some other test left behind.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import pytest
from nacl.public import PrivateKey
from solana.rpc.async_api import AsyncClient
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from spl.token.instructions import create_idempotent_associated_token_account, get_associated_token_address

from prover.engine import Prover
from prover.statements import PaymentStatement, SolvencyStatement, StatementError
from protocol import market_codec as mc
from protocol.attestation import handle_to_field, notary_key_hash, reservation_tag
from protocol.idl import load_idl
from protocol.market_pdas import bond as bond_pda, nullifier as nullifier_pda, reservation as reservation_pda
from protocol.wallet_link import link_message
from protocol.program_ids import SYSVAR_CLOCK_ID
from protocol.units import fiat_due
from tests.integration.localnet_client import account_data, raw_rpc, send_for_meta
from tests.integration.localnet_process import LocalnetProcess, start_localnet
from wallet.core.payee_directory import DirectoryClient, DirectoryError
from wallet.core.rail_client import RailClient, RailLogin
from tests.integration.program_errors import error_name, split  # noqa: F401 (re-exported)

MARKET, PROCESSOR = load_idl("market"), load_idl("order_processor")
PRICE = 28_500                  # paisa per USDC: 285 PKR/USDC
SIZE = 100_000_000              # 100 USDC
DUE = 2_850_000                 # 28,500 PKR in paisa
SELLER_HANDLE, BUYER_HANDLE = "0345-7391642", "0300-5518203"
CU_LIMIT = 400_000


@dataclass
class World:
    node: LocalnetProcess
    loop: asyncio.AbstractEventLoop
    client: AsyncClient
    rail: RailClient
    directory: DirectoryClient
    prover: Prover
    addr: dict[str, Pubkey]
    mint: Pubkey
    seller: Keypair = field(default_factory=Keypair)
    buyer: Keypair = field(default_factory=Keypair)
    mallory: Keypair = field(default_factory=Keypair)
    state: dict[str, Any] = field(default_factory=dict)
    sent: int = 0

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def ata(self, owner: Keypair) -> Pubkey:
        return get_associated_token_address(owner.pubkey(), self.mint)

    # ---------------------------------------------------------------- chain
    async def send(self, ixs: Sequence[Instruction], signers: Sequence[Keypair]) -> dict[str, Any]:
        """Submit without preflight and return the confirmed meta (localnet_client.send_for_meta);
        a counter in the compute-unit limit makes a resend a new transaction."""
        self.sent += 1
        return await send_for_meta(self.client, self.node.rpc_url, ixs, signers,
                                   cu_limit=CU_LIMIT + self.sent, polls=100)

    async def data(self, key: Pubkey) -> bytes | None:
        return await account_data(self.node.rpc_url, key)

    async def usdc(self, key: Pubkey) -> int:
        data = await self.data(key)
        return 0 if data is None else int.from_bytes(data[64:72], "little")

    async def balances(self) -> dict[str, int]:
        keys = {"seller": self.ata(self.seller), "buyer": self.ata(self.buyer),
                "mallory": self.ata(self.mallory), "vault": self.addr["vault"]}
        return {name: await self.usdc(key) for name, key in keys.items()}

    async def records(self) -> list[dict]:
        return mc.decode_queue(await self.data(self.addr["settlement_queue"]))["records"]

    async def now(self) -> int:
        """The cluster's Clock sysvar unix_timestamp (what the programs compare with)."""
        return int.from_bytes((await self.data(SYSVAR_CLOCK_ID))[32:40], "little", signed=True)

    # ---------------------------------------------------------------- instructions
    def ix(self, idl, name: str, args: dict, **accounts: Pubkey) -> Instruction:
        merged = {**self.addr, **accounts}
        return idl.instruction(name, args, {n: merged[n] for n in idl.account_names(name) if n in merged})

    async def bid_ix(self, bidder: Keypair, proof, min_ts: int, size: int = SIZE) -> Instruction:
        """The proof's public reserved total and account tag go in as they are (a replayed proof
        keeps its old total); one bond PDA per crossing ask follows as remaining accounts."""
        reserved, tag = proof.public_inputs[5], proof.public_inputs[6].to_bytes(32, "big")
        ix = self.ix(MARKET, "place_bid_order", {
            "price": PRICE, "size": size, "attester_index": 0, "min_timestamp": min_ts,
            "proof": split(proof.solana_proof()), "reserved": reserved, "account_tag": tag},
            bidder=bidder.pubkey(), reservation=reservation_pda(tag)[0])
        asks = [o for o in mc.iter_book(await self.data(self.addr["asks"])) if o.price <= PRICE][:8]
        first = mc.queue_count(await self.data(self.addr["settlement_queue"]))   # next order id
        bonds = [AccountMeta(bond_pda(self.addr["market"], first + i)[0], False, True) for i in range(len(asks))]
        return Instruction(ix.program_id, ix.data, [*ix.accounts, *bonds])

    async def bond_accounts(self, order_id: int) -> dict[str, Pubkey]:
        rec = (await self.records())[order_id]
        data = await self.data(bond_pda(self.addr["market"], order_id)[0])
        tag = bytes(MARKET.decode_account("MatchBond", data)["account_tag"]) if data else bytes(32)
        return {"bond": bond_pda(self.addr["market"], order_id)[0], "reservation": reservation_pda(tag)[0],
                "buyer": rec["buyer"], "seller": rec["seller"]}

    async def finalize_ix(self, payer: Keypair, order_id: int, proof) -> Instruction:
        nullifier = proof.public_inputs[5].to_bytes(32, "big")
        return self.ix(PROCESSOR, "finalize_trade", {
            "order_id": order_id, "attester_index": 0, "nullifier": nullifier,
            "proof": split(proof.solana_proof())},
            payer=payer.pubkey(), nullifier_record=nullifier_pda(nullifier)[0], buyer_token=self.ata(self.buyer),
            **await self.bond_accounts(order_id))

    # ---------------------------------------------------------------- proofs
    async def link(self, login: RailLogin, wallet: Keypair) -> None:
        """The wallet proves to the rail that it belongs to the account's owner."""
        notary = await self.rail.notary()
        msg = link_message(login.handle, str(wallet.pubkey()), int(notary["key_hash"]))
        await self.rail.link_wallet(login, str(wallet.pubkey()), bytes(wallet.sign_message(msg)))

    async def solvency_proof(self, login: RailLogin, wallet: Keypair, due: int):
        signed = await self.rail.balance_attestation(login, str(wallet.pubkey()))
        min_ts = min(signed.attestation.timestamp, await self.now())
        tag = reservation_tag(signed.attestation.account_commitment).to_bytes(32, "big")
        data = await self.data(reservation_pda(tag)[0])
        reserved = MARKET.decode_account("Reservation", data)["reserved"] if data else 0
        stmt = SolvencyStatement.for_attestation(signed, due, min_ts, reserved)
        job = self.prover.prove_solvency(signed, stmt, registered_notaries=[self.state["key_hash"]])
        return await asyncio.to_thread(job.result, 60), min_ts

    def statement(self, record: dict) -> PaymentStatement:
        return PaymentStatement(bytes(record["market"]), record["order_id"], bytes(record["buyer"]),
                                int.from_bytes(record["payee_commitment"], "big"),
                                record["fiat_due"], record["matched_at"])

    async def pay(self, login: RailLogin, payee: str, record: dict, key: str) -> dict:
        """The buyer's rail transfer for `record`, carrying the order's reference."""
        return await self.rail.transfer(login, payee, record["fiat_due"], key,
                                        order_ref=self.statement(record).order_ref)

    async def payment_proof(self, login: RailLogin, payment_id: int, record: dict):
        _payment, signed = await self.rail.receipt(login, payment_id)
        stmt = self.statement(record)
        job = self.prover.prove_payment(signed, stmt, registered_notaries=[self.state["key_hash"]])
        return await asyncio.to_thread(job.result, 60)


def advertised(node: LocalnetProcess, key: str) -> str:
    """A side service's URL as the cluster advertises it (anomi_clusterInfo) and a wallet finds it."""
    url = asyncio.run(raw_rpc(node.rpc_url, "anomi_clusterInfo"))["result"][key]
    assert url, f"the cluster advertises no {key}"
    return url


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("zkp2p-seed")
    node = start_localnet(root / "ledger")
    loop = asyncio.new_event_loop()
    try:
        mint = Pubkey.from_string(node.usdc_mint)
        w = World(node, loop, AsyncClient(node.rpc_url), RailClient(advertised(node, "railUrl")),
                  DirectoryClient(advertised(node, "directoryUrl")), Prover(), mc.market_addresses(mint), mint)
        yield w
        loop.run_until_complete(w.client.close())
        loop.run_until_complete(w.rail.close())
        loop.run_until_complete(w.directory.close())
    finally:
        loop.close()
        node.stop()


async def fund(w: World, who: Keypair, usdc: int) -> None:
    await raw_rpc(w.node.rpc_url, "requestAirdrop", [str(who.pubkey()), 10 ** 10])
    if usdc:
        await raw_rpc(w.node.rpc_url, "anomi_requestTokenAirdrop", [str(who.pubkey()), usdc])
    else:
        meta = await w.send([create_idempotent_associated_token_account(who.pubkey(), who.pubkey(), w.mint)], [who])
        assert meta["err"] is None


# ==================================================================== seed 000
def test_seed_000_four_phases(world: World) -> None:
    w = world
    w.run(_seed(w))


async def _seed(w: World) -> None:
    notary = await w.rail.notary()
    w.state["key_hash"] = notary_key_hash((int(notary["x"]), int(notary["y"])))
    for who, usdc in ((w.seller, 3 * SIZE), (w.buyer, 0), (w.mallory, 0)):
        await fund(w, who, usdc)
    seller_login = RailLogin(SELLER_HANDLE, RailLogin.new_credential())
    buyer_login = RailLogin(BUYER_HANDLE, RailLogin.new_credential())
    await w.rail.open_account(SELLER_HANDLE, "Ali", seller_login.credential)
    await w.rail.open_account(BUYER_HANDLE, "Farzan", buyer_login.credential)
    w.state.update(seller_login=seller_login, buyer_login=buyer_login)
    await w.link(buyer_login, w.buyer)

    # ---- phase 1: the seller escrows 100 USDC at 285 PKR/USDC with the rail account's commitment
    opened = await w.rail.commitment(seller_login)
    commitment = await w.directory.deposit(w.seller, SELLER_HANDLE, int(opened["salt"]), "Ali")
    assert commitment == int(opened["commitment"])
    ask = w.ix(MARKET, "place_ask_order", {"price": PRICE, "size": SIZE,
                                           "payee_commitment": commitment.to_bytes(32, "big")},
               seller=w.seller.pubkey(), seller_token=w.ata(w.seller))
    meta = await w.send([ask], [w.seller])
    assert meta["err"] is None, meta["logMessages"][-5:]
    assert await w.balances() == {"seller": 2 * SIZE, "buyer": 0, "mallory": 0, "vault": SIZE}
    # the seller is offline from here on: nothing below signs with its key

    # ---- phase 2: balance attestation bound to the buyer's wallet, solvency proof, bid, match
    await w.rail.top_up(buyer_login, 5_000_000)
    proof, min_ts = await w.solvency_proof(buyer_login, w.buyer, fiat_due(SIZE, PRICE))
    assert fiat_due(SIZE, PRICE) == DUE
    w.state.update(solvency=proof, min_ts=min_ts)
    meta = await w.send([await w.bid_ix(w.buyer, proof, min_ts)], [w.buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    w.state["cu_bid"] = meta["computeUnitsConsumed"]
    [rec] = await w.records()
    assert (rec["order_id"], rec["buyer"], rec["seller"], rec["status"]) == (0, w.buyer.pubkey(), w.seller.pubkey(), "Pending")
    assert (rec["base_amount"], rec["price"], rec["fiat_due"]) == (SIZE, PRICE, DUE)
    assert rec["payee_commitment"] == commitment.to_bytes(32, "big")
    assert rec["expires_at"] == rec["matched_at"] + 24 * 3600
    assert mc.decode_queue(await w.data(w.addr["settlement_queue"]))["records"] == [rec]

    # ---- phase 3: only the matched buyer learns the handle (sealed to its x25519 key), pays, proves
    box = PrivateKey.generate()
    for stranger in (w.seller, w.mallory):
        with pytest.raises(DirectoryError) as refused:
            await w.directory.reveal(stranger, w.addr["market"], 0, bytes(box.public_key), bytes(box), commitment)
        assert refused.value.code == "not_buyer"
    details = await w.directory.reveal(w.buyer, w.addr["market"], 0, bytes(box.public_key), bytes(box),
                                       int.from_bytes(rec["payee_commitment"], "big"))
    assert (details.handle, details.display_name) == (SELLER_HANDLE, "Ali")
    paid = await w.pay(buyer_login, details.handle, rec, "seed-000-order-0")
    assert paid["amount_paisa"] == DUE and paid["payee"] == SELLER_HANDLE
    assert (await w.rail.balance(seller_login))["balance_paisa"] == DUE
    payment = await w.payment_proof(buyer_login, int(paid["payment_id"]), rec)
    w.state["payment0"] = payment

    # ---- phase 4: finalize; the escrow goes to the buyer, the record is Settled, the nullifier spent
    meta = await w.send([await w.finalize_ix(w.buyer, 0, payment)], [w.buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    w.state["cu_finalize"] = meta["computeUnitsConsumed"]
    assert await w.balances() == {"seller": 2 * SIZE, "buyer": SIZE, "mallory": 0, "vault": 0}
    assert (await w.records())[0]["status"] == "Settled"
    null_account = await w.data(nullifier_pda(payment.public_inputs[5].to_bytes(32, "big"))[0])
    assert null_account is not None
    assert PROCESSOR.decode_account("NullifierRecord", null_account)["order_id"] == 0
    print(f"\nreal proofs on the cluster: place_bid_order {w.state['cu_bid']:,} CU, "
          f"finalize_trade {w.state['cu_finalize']:,} CU")


# ==================================================================== attacks with real proofs
async def refused(w: World, ixs: Sequence[Instruction], signer: Keypair, idl, expected: str) -> None:
    """The tx lands, fails with ``expected`` (by IDL name), and no USDC moves."""
    before = await w.balances()
    queue_before = await w.records()
    meta = await w.send(ixs, [signer])
    assert error_name(idl, meta) == expected, (meta["err"], meta["logMessages"][-4:])
    assert await w.balances() == before
    assert await w.records() == queue_before


def test_real_proof_attacks_refused(world: World) -> None:
    w = world
    if "payment0" not in w.state:
        pytest.fail("needs the seed scenario's state (test_seed_000_four_phases) first")
    w.run(_attacks(w))


async def _attacks(w: World) -> None:
    s, seller_login, buyer_login = w.state, w.state["seller_login"], w.state["buyer_login"]
    # finalizing the settled seed order again with its own valid proof (its bond is gone too)
    await refused(w, [await w.finalize_ix(w.buyer, 0, s["payment0"])], w.buyer, PROCESSOR, "OrderNotPending")

    # two more asks escrowed by the (offline-capable) seller with the same commitment
    commitment = (await w.records())[0]["payee_commitment"]
    for _ in range(2):
        ask = w.ix(MARKET, "place_ask_order", {"price": PRICE, "size": SIZE, "payee_commitment": commitment},
                   seller=w.seller.pubkey(), seller_token=w.ata(w.seller))
        assert (await w.send([ask], [w.seller]))["err"] is None

    # the buyer itself re-sending the seed proof: the attestation predates the buyer's settled payment
    await refused(w, [await w.bid_ix(w.buyer, s["solvency"], s["min_ts"])], w.buyer, MARKET,
                  "AttestationPredatesSettlement")

    # fresh attestations and proofs, each over what is already reserved: orders 1 and 2
    await w.rail.top_up(buyer_login, 2 * DUE)
    await asyncio.sleep(1.1)  # attestations strictly after the settlement's second
    for expected in (1, 2):
        proof, min_ts = await w.solvency_proof(buyer_login, w.buyer, DUE)
        assert proof.public_inputs[5] == (expected - 1) * DUE   # reservedSoFar
        # the buyer's real solvency proof, submitted by another wallet: bound to the buyer's key
        await refused(w, [await w.bid_ix(w.mallory, proof, min_ts)], w.mallory, MARKET, "InvalidSolvencyProof")
        meta = await w.send([await w.bid_ix(w.buyer, proof, min_ts)], [w.buyer])
        assert meta["err"] is None, meta["logMessages"][-5:]
        assert (await w.records())[-1]["order_id"] == expected
    # and the last proof again: it was made against a reserved total that is no longer current
    await refused(w, [await w.bid_ix(w.buyer, proof, min_ts)], w.buyer, MARKET, "BalanceAlreadyReserved")
    recs = await w.records()
    assert [r["status"] for r in recs] == ["Settled", "Pending", "Pending"]

    # one rail payment, after both matches; proven for order 1
    await w.rail.top_up(buyer_login, DUE)
    paid = await w.pay(buyer_login, SELLER_HANDLE, recs[1], "seed-000-order-1")
    pay1 = await w.payment_proof(buyer_login, int(paid["payment_id"]), recs[1])
    # a payment proof for order 1 does not settle order 2
    await refused(w, [await w.finalize_ix(w.buyer, 2, pay1)], w.buyer, PROCESSOR, "InvalidPaymentProof")
    meta = await w.send([await w.finalize_ix(w.buyer, 1, pay1)], [w.buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    # finalizing twice
    await refused(w, [await w.finalize_ix(w.buyer, 1, pay1)], w.buyer, PROCESSOR, "OrderNotPending")
    # the same payment cannot even be proven for order 2: its receipt names order 1
    with pytest.raises(StatementError, match="pays for another order"):
        await w.payment_proof(buyer_login, int(paid["payment_id"]), recs[2])

    assert [r["status"] for r in await w.records()] == ["Settled", "Settled", "Pending"]
    assert await w.balances() == {"seller": 0, "buyer": 2 * SIZE, "mallory": 0, "vault": SIZE}
    assert (await w.rail.balance(seller_login))["balance_paisa"] == 2 * DUE


# ==================================================================== the handle never reaches the ledger
def needles(handle: str) -> dict[str, bytes]:
    digits = handle_to_field(handle)    # the 11-digit integer (leading 0 dropped)
    out = {"ascii": handle.encode(), "ascii-no-dash": handle.replace("-", "").encode(),
           "ascii-10-digits": handle.replace("-", "")[1:].encode(), "utf-16le": handle.encode("utf-16-le")}
    for width in (8, 16, 32):
        out[f"u{8 * width}-le"] = digits.to_bytes(width, "little")
        out[f"u{8 * width}-be"] = digits.to_bytes(width, "big")
    return out


HANDLE_HOLDERS = ("rails", "directory")  # side services' data dirs: they serve handles by design


def scan(ledger: Path, handle: str) -> tuple[list[Path], list[str]]:
    files = [p for p in sorted(ledger.rglob("*"))
             if p.is_file() and not set(HANDLE_HOLDERS) & set(p.relative_to(ledger).parts)]
    hits = [f"{name} in {p}" for p in files for name, needle in needles(handle).items() if needle in p.read_bytes()]
    return files, hits


def test_handle_bytes_are_nowhere_in_the_ledger_dir(world: World) -> None:
    """4-byte encodings of the 32-bit handle integer are left out on purpose: MBs of random keys
    and hashes contain any given 4 bytes with probability ~1e-3, which would make this flaky."""
    w = world
    if "payment0" not in w.state:
        pytest.fail("needs the seed scenario's state (test_seed_000_four_phases) first")
    ledger = w.node.ledger_dir
    # positive control: the side services' own data dirs do hold the handle, where bytes are found
    for holder in HANDLE_HOLDERS:
        assert any(SELLER_HANDLE.encode() in p.read_bytes() for p in (ledger / holder).iterdir() if p.is_file()), holder
    files, hits = scan(ledger, SELLER_HANDLE)
    names = {p.name for p in files}
    assert {"ledger.sqlite", "ledger.sqlite-wal"} <= names, names
    assert not hits, hits
    # and after a clean shutdown (WAL checkpointed into the database file)
    w.node.stop()
    files, hits = scan(ledger, SELLER_HANDLE)
    assert not hits, hits
    assert sum(p.stat().st_size for p in files) > 1_000_000
