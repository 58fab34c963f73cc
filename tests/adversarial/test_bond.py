"""An unpaid match costs the buyer: the bond behind every MatchedOrder, attacked on a real cluster.

A bid that matches posts, per MatchedOrder, a lamport bond into the Market PDA
["bond", market, order_id] (protocol/bond.py sizes it). The attacks: a bid whose bond account is
missing, swapped, read-only or unaffordable; a reclaim or finalize that names someone else's
wallet as the bond's recipient or another order's bond; and the two honest endings -- reclaim
after 24 h pays the bond to the seller, finalize returns it to the buyer. Each refusal is a named
error with nothing moved (USDC, lamports beyond the fee, PKR, queue, book). The payee directory
reveals a seller's handle only while the match's bond is open.

Real `anomi localnet up` with clock warp (its own per module), the real rail and notary, real
Groth16 proofs; attacker transactions are raw solders built from the IDL.
"""
from __future__ import annotations

from typing import Iterator

import pytest
from nacl.public import PrivateKey
from solders.instruction import AccountMeta
from solders.keypair import Keypair

from protocol.bond import bond_lamports
from protocol.market_pdas import bond as bond_pda, nullifier as nullifier_pda
from tests.adversarial.market_arena import DUE, FEE, MARKET, SIZE, Arena
from wallet.core.payee_directory import DirectoryClient, DirectoryError

DAY = 24 * 3600


@pytest.fixture(scope="module")
def arena(warp_localnet) -> Iterator[Arena]:
    a = Arena(warp_localnet)
    yield a
    a.close()


def seller_with_ask(a: Arena, directory: bool = False) -> tuple[Keypair, tuple[str, str], int]:
    seller = a.wallet(usdc=SIZE)
    rail = a.rail_account()
    opened = a.rail.commitment(rail)
    commitment = int(opened["commitment"])
    if directory:
        async def deposit() -> int:
            async with DirectoryClient(a.directory_url) as directory:
                return await directory.deposit(seller, rail[0], int(opened["salt"]), "Seller")
        got = a.loop.run_until_complete(deposit())
        assert got == commitment
    assert a.send([a.ask_ix(seller, commitment)], [seller])["err"] is None
    return seller, rail, commitment


def buyer_with_balance(a: Arena, pkr: int = DUE) -> tuple[Keypair, tuple[str, str]]:
    buyer, rail = a.wallet(), a.rail_account(pkr)
    a.link(rail, buyer)
    return buyer, rail


def reveal(a: Arena, buyer: Keypair, order_id: int, commitment: int):
    box = PrivateKey.generate()

    async def ask() -> object:
        async with DirectoryClient(a.directory_url) as directory:
            return await directory.reveal(buyer, a.addr["market"], order_id, bytes(box.public_key),
                                          bytes(box), commitment)
    return a.loop.run_until_complete(ask())


def test_a_bid_without_its_bond_accounts_is_refused(arena: Arena) -> None:
    a = arena
    s1, r1, _ = seller_with_ask(a)
    s2, r2, _ = seller_with_ask(a)
    buyer, rail = buyer_with_balance(a, 2 * DUE)
    proof, ts = a.solvency(rail, buyer, due=2 * DUE)
    size = 2 * SIZE
    look = {"wallets": [s1, s2], "rails": [r1, r2, rail], "extra": a.next_bonds()}
    honest = a.next_bonds()
    assert len(honest) == 2
    cases = {
        "none": [],
        "one of two": [AccountMeta(honest[0], False, True)],
        "swapped": [AccountMeta(honest[1], False, True), AccountMeta(honest[0], False, True)],
        "read-only": [AccountMeta(honest[0], False, False), AccountMeta(honest[1], False, True)],
        "the buyer's own wallet": [AccountMeta(buyer.pubkey(), False, True), AccountMeta(honest[1], False, True)],
        "another order's bond": [AccountMeta(bond_pda(a.addr["market"], 99)[0], False, True),
                                 AccountMeta(honest[1], False, True)],
    }
    for name, bonds in cases.items():
        a.refused([a.bid_ix(buyer, proof, ts, size=size, bonds=bonds)], buyer, MARKET, "BondAccountMissing", **look)
    # a bidder who cannot pay the bonds: refused before anything is created
    poor = a.wallet(sol=bond_lamports(DUE) // 2)
    a.link(rail, poor)
    poor_proof, poor_ts = a.solvency(rail, poor, due=2 * DUE)
    a.refused([a.bid_ix(poor, poor_proof, poor_ts, size=size)], poor, MARKET, "BondUnaffordable", **look)
    # the honest bid: one bond per match, each the size protocol/bond.py says, paid by the buyer
    before = a.lamports(buyer.pubkey())
    meta = a.send([a.bid_ix(buyer, proof, ts, size=size)], [buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    ids = [r["order_id"] for r in a.records() if r["buyer"] == buyer.pubkey()]
    assert len(ids) == 2
    held = 0
    for oid in ids:
        state = a.bond(oid)
        assert (state["buyer"], state["bond_lamports"], state["fiat_due"]) == (buyer.pubkey(), bond_lamports(DUE), DUE)
        held += a.lamports(bond_pda(a.addr["market"], oid)[0])
    assert before - a.lamports(buyer.pubkey()) >= held + FEE > 2 * bond_lamports(DUE)


def test_reclaim_pays_the_bond_to_the_seller(arena: Arena) -> None:
    a = arena
    seller, seller_rail, commitment = seller_with_ask(a, directory=True)
    buyer, buyer_rail = buyer_with_balance(a)
    proof, ts = a.solvency(buyer_rail, buyer)
    meta = a.send([a.bid_ix(buyer, proof, ts)], [buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    rec = a.records()[-1]
    oid, tag = rec["order_id"], proof.public_inputs[6].to_bytes(32, "big")
    bond_key = bond_pda(a.addr["market"], oid)[0]
    held = a.lamports(bond_key)
    assert held > bond_lamports(DUE) and a.reserved(tag) == DUE
    # while the bond is open the matched buyer learns the handle (positive control for the directory)
    assert reveal(a, buyer, oid, commitment).handle == seller_rail[0]

    a.rpc("anomi_warpClock", [rec["expires_at"] - a.now() + 1])
    assert a.now() >= rec["expires_at"]
    cranker = a.wallet()
    look = {"wallets": [seller, buyer], "rails": [seller_rail, buyer_rail], "extra": [bond_key]}
    # the cranker names itself (or the buyer) as the seller who gets the bond
    for wrong in (cranker.pubkey(), buyer.pubkey()):
        a.refused([a.reclaim_ix(oid, seller=wrong)], cranker, MARKET, "BondMismatch", **look)
    # another account in the bond's place
    other_bond = bond_pda(a.addr["market"], 0)[0]
    a.refused([a.reclaim_ix(oid, bond=other_bond)], cranker, MARKET, "BondMismatch", **look)

    seller_lamports, seller_usdc = a.lamports(seller.pubkey()), a.usdc(seller.pubkey())
    buyer_lamports = a.lamports(buyer.pubkey())
    meta = a.send([a.reclaim_ix(oid)], [cranker])
    assert meta["err"] is None, meta["logMessages"][-5:]
    assert a.lamports(seller.pubkey()) - seller_lamports == held          # the whole bond, rent included
    assert a.usdc(seller.pubkey()) - seller_usdc == SIZE                 # and the escrow
    assert a.lamports(buyer.pubkey()) == buyer_lamports and a.lamports(bond_key) == 0
    assert a.records()[oid]["status"] == "Expired" and a.reserved(tag) == 0
    # reclaiming twice
    a.refused([a.reclaim_ix(oid)], cranker, MARKET, "OrderNotPending", **look)
    # no bond behind the match any more: the directory keeps the handle hidden
    with pytest.raises(DirectoryError) as hidden:
        reveal(a, buyer, oid, commitment)
    assert hidden.value.code == "no_bond"
    # the old proof cannot come back once the reservation is free: its attestation is too old by now
    a.refused([a.bid_ix(buyer, proof, ts)], buyer, MARKET, "StaleAttestation", **look)


def test_finalize_returns_the_bond_to_the_buyer(arena: Arena) -> None:
    a = arena
    seller, seller_rail, commitment = seller_with_ask(a, directory=True)
    buyer, buyer_rail = buyer_with_balance(a)
    proof, ts = a.solvency(buyer_rail, buyer)
    assert a.send([a.bid_ix(buyer, proof, ts)], [buyer])["err"] is None
    rec = a.records()[-1]
    oid, tag = rec["order_id"], proof.public_inputs[6].to_bytes(32, "big")
    bond_key = bond_pda(a.addr["market"], oid)[0]
    held = a.lamports(bond_key)
    details = reveal(a, buyer, oid, commitment)
    a.wait_rail_clock(buyer_rail, buyer, rec["matched_at"])
    paid = a.rail.transfer(buyer_rail, details.handle, rec["fiat_due"], f"bond-test-{oid}",
                           order_ref=a.order_ref(rec))
    payment = a.payment(buyer_rail, int(paid["payment_id"]), rec)
    look = {"wallets": [seller, buyer], "rails": [seller_rail, buyer_rail], "extra": [bond_key]}
    thief = a.wallet()
    # the bond paid to someone else's wallet, or another order's bond account in its place
    for override in ({"buyer": thief.pubkey()}, {"buyer": seller.pubkey()},
                     {"bond": bond_pda(a.addr["market"], 0)[0]}):
        a.refused([a.finalize_ix(thief, oid, payment, **override)], thief, MARKET, "BondMismatch", **look)
    buyer_lamports = a.lamports(buyer.pubkey())
    meta = a.send([a.finalize_ix(buyer, oid, payment)], [buyer])
    assert meta["err"] is None, meta["logMessages"][-5:]
    nullifier_rent = a.lamports(nullifier_pda(payment.public_inputs[5].to_bytes(32, "big"))[0])
    assert a.lamports(buyer.pubkey()) - buyer_lamports == held - FEE - nullifier_rent
    assert a.lamports(bond_key) == 0 and a.usdc(buyer.pubkey()) == SIZE
    assert a.records()[oid]["status"] == "Settled" and a.reserved(tag) == 0
    # a settled order's bond cannot be paid out again
    a.refused([a.reclaim_ix(oid)], thief, MARKET, "OrderNotPending", **look)
