"""One rail balance backs at most what it holds; every match is bonded (security issue 10).

Runs the Market/OrderProcessor on the real executor with simulated-setup proofs (the production
verifier, keys whose trapdoor the harness knows), so each rule is shown at unit-test speed. The
same attacks with real proofs on a real cluster: tests/adversarial/test_solvency_reuse.py and
tests/adversarial/test_bond.py.
"""
from __future__ import annotations

import pytest
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair

from protocol.bond import bond_lamports
from protocol.market_pdas import bond as bond_pda, nullifier as nullifier_pda, reservation as reservation_pda
from protocol.units import fiat_due
from tests.unit.zkp2p_harness import MARKET, PROCESSOR, Ledger, refused

PRICE, SIZE = 28_500, 10_000_000          # 28,500 PKR for 10 USDC
DUE = fiat_due(SIZE, PRICE)               # 2,850,000 paisa
PAYEE = (987654321).to_bytes(32, "big")
E = {n: MARKET.error_code(n) for n in MARKET.errors}
EP = {n: PROCESSOR.error_code(n) for n in PROCESSOR.errors}
TAG = (424242).to_bytes(32, "big")        # one rail account, shared by the wallets below


@pytest.fixture()
def L() -> Ledger:
    return Ledger(book_capacity=16)


def swap(ix: Instruction, old, new) -> Instruction:
    """The instruction with account ``old`` replaced by ``new`` (same flags)."""
    return Instruction(ix.program_id, ix.data, [AccountMeta(new if m.pubkey == old else m.pubkey, m.is_signer,
                                                            m.is_writable) for m in ix.accounts])


def asks(L: Ledger, n: int) -> list[tuple[Keypair, object]]:
    out = []
    for _ in range(n):
        seller, stok = L.new_user(SIZE)
        assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
        out.append((seller, stok))
    return out


def proof(L: Ledger, who: Keypair, reserved: int, size: int = SIZE) -> dict:
    """What a prover with a balance of exactly DUE could make: only reserved + due <= DUE."""
    assert reserved + fiat_due(size, PRICE) <= DUE, "the circuit would refuse this statement"
    return L.bid_proof(who.pubkey(), PRICE, size, L.now - 60, reserved=reserved, tag=TAG)


def test_n_bids_on_one_balance_only_the_first_matches(L: Ledger) -> None:
    asks(L, 3)
    buyer, _ = L.new_user()
    mt = L.now - 60
    first = proof(L, buyer, 0)
    r = L.send([L.bid(buyer, PRICE, SIZE, first, mt, tag=TAG)], [buyer])
    assert r.err is None and len(L.queue()["records"]) == 1 and L.reserved(TAG) == DUE
    # the same proof bytes again (it says reservedSoFar = 0): refused, nothing moves
    refused(L, [L.bid(buyer, PRICE, SIZE, first, mt, tag=TAG, reserved=0)], [buyer], E["BalanceAlreadyReserved"])
    # claiming the current total with the old proof: the proof does not verify
    refused(L, [L.bid(buyer, PRICE, SIZE, first, mt, tag=TAG)], [buyer], E["InvalidSolvencyProof"])
    # another wallet linked to the same rail account (same tag) gets nothing either
    other, _ = L.new_user()
    refused(L, [L.bid(other, PRICE, SIZE, proof(L, other, 0), mt, tag=TAG, reserved=0)], [other],
            E["BalanceAlreadyReserved"])
    # a reservation account that is not the tag's PDA
    ix = L.bid(other, PRICE, SIZE, proof(L, other, 0), mt, tag=TAG, reserved=0)
    refused(L, [swap(ix, reservation_pda(TAG)[0], reservation_pda((5).to_bytes(32, "big"))[0])], [other],
            E["WrongReservationAccount"])
    assert len(L.queue()["records"]) == 1 and len(L.book("Ask")) == 2


def test_bond_posted_per_match_and_remainder_cancelled(L: Ledger) -> None:
    asks(L, 2)
    buyer, _ = L.new_user()
    before = L.lamports(buyer.pubkey())
    size = 3 * SIZE   # two asks fill 2×; the third part must not rest
    r = L.send([L.bid(buyer, PRICE, size, L.bid_proof(buyer.pubkey(), PRICE, size, L.now - 60), L.now - 60)], [buyer])
    assert r.err is None, r.logs[-5:]
    placed = [e[1] for e in r.events() if e[0] == "OrderPlaced"][0]
    assert (placed["filled"], placed["resting"], placed["cancelled"]) == (2 * SIZE, 0, SIZE)
    assert L.book("Bid") == []
    rent = L.lamports(bond_pda(L.addr["market"], 0)[0]) - bond_lamports(DUE)
    for oid in (0, 1):
        st = L.bond_state(oid)
        assert st["buyer"] == buyer.pubkey() and st["fiat_due"] == DUE and st["bond_lamports"] == bond_lamports(DUE)
    assert L.reserved(L.tag_for(buyer.pubkey())) == 2 * DUE
    paid = before - L.lamports(buyer.pubkey())
    assert paid >= 2 * (bond_lamports(DUE) + rent)


def test_bond_accounts_missing_or_wrong(L: Ledger) -> None:
    asks(L, 2)
    buyer, _ = L.new_user()
    mt = L.now - 60
    p = L.bid_proof(buyer.pubkey(), PRICE, 2 * SIZE, mt)
    refused(L, [L.bid(buyer, PRICE, 2 * SIZE, p, mt, bonds=[])], [buyer], E["BondAccountMissing"])
    one = L.next_bonds(PRICE)[:1]
    refused(L, [L.bid(buyer, PRICE, 2 * SIZE, p, mt, bonds=one)], [buyer], E["BondAccountMissing"])
    swapped = list(reversed(L.next_bonds(PRICE)))
    refused(L, [L.bid(buyer, PRICE, 2 * SIZE, p, mt, bonds=swapped)], [buyer], E["BondAccountMissing"])
    poor = Keypair()
    L.accounts[poor.pubkey()] = type(L.accounts[buyer.pubkey()])(10_000_000, b"", L.accounts[buyer.pubkey()].owner)
    pp = L.bid_proof(poor.pubkey(), PRICE, 2 * SIZE, mt)
    refused(L, [L.bid(poor, PRICE, 2 * SIZE, pp, mt)], [poor], E["BondUnaffordable"])
    assert L.send([L.bid(buyer, PRICE, 2 * SIZE, p, mt)], [buyer]).err is None


def test_reclaim_pays_the_bond_to_the_seller_and_releases_the_reservation(L: Ledger) -> None:
    [(seller, stok)] = asks(L, 1)
    buyer, btok = L.new_user()
    mt = L.now - 60
    assert L.send([L.bid(buyer, PRICE, SIZE, proof(L, buyer, 0), mt, tag=TAG)], [buyer]).err is None
    bond_key = bond_pda(L.addr["market"], 0)[0]
    held = L.lamports(bond_key)
    L.warp(86_400)
    cranker, _ = L.new_user()
    # the bond must go to the order's seller and come from the order's bond account
    refused(L, [swap(L.reclaim(0, stok), seller.pubkey(), cranker.pubkey())], [cranker], E["BondMismatch"])
    seller_before = L.lamports(seller.pubkey())
    r = L.send([L.reclaim(0, stok)], [cranker])
    assert r.err is None, r.logs[-5:]
    assert L.lamports(seller.pubkey()) - seller_before == held and L.lamports(bond_key) == 0
    assert L.token_balance(stok) == SIZE and L.reserved(TAG) == 0
    # the balance is free again: a new bid against reservedSoFar = 0 matches
    asks(L, 1)
    assert L.send([L.bid(buyer, PRICE, SIZE, proof(L, buyer, 0), L.now - 60, tag=TAG)], [buyer]).err is None


def test_finalize_returns_the_bond_and_return_bond_is_processor_only(L: Ledger) -> None:
    asks(L, 1)
    buyer, btok = L.new_user()
    assert L.send([L.bid(buyer, PRICE, SIZE, proof(L, buyer, 0), L.now - 60, tag=TAG)], [buyer]).err is None
    bond_key = bond_pda(L.addr["market"], 0)[0]
    held = L.lamports(bond_key)
    acc = L.bond_accounts(0)
    direct = MARKET.instruction("return_bond", {"order_id": 0}, {
        "processor_authority": L.addr["processor_authority"], "market": L.addr["market"],
        "settlement_queue": L.addr["settlement_queue"], "bond": acc["bond"], "reservation": acc["reservation"],
        "buyer": buyer.pubkey()})
    metas = [AccountMeta(m.pubkey, False, m.is_writable) for m in direct.accounts]
    refused(L, [Instruction(direct.program_id, direct.data, metas)], [buyer], E["UnauthorizedRelease"])
    n = (77).to_bytes(32, "big")
    fin = L.finalize(buyer, 0, n, L.payment_proof(L.payment_inputs(0, 77)), btok)
    thief, _ = L.new_user()
    wrong = Instruction(fin.program_id, fin.data, [*fin.accounts[:-1], AccountMeta(thief.pubkey(), False, True)])
    refused(L, [wrong], [buyer], E["BondMismatch"])
    before = L.lamports(buyer.pubkey())
    r = L.send([fin], [buyer])
    assert r.err is None, r.logs[-5:]
    nullifier_rent = L.lamports(nullifier_pda(n)[0])
    assert L.lamports(buyer.pubkey()) - before == held - 5000 - nullifier_rent
    assert L.lamports(bond_key) == 0 and L.reserved(TAG) == 0 and L.token_balance(btok) == SIZE


def test_attestations_from_before_a_settlement_no_longer_count(L: Ledger) -> None:
    """The buyer paid (fiat left the account) and finalized: a proof from an older attestation
    overstates the balance, even though the reservation is free again."""
    asks(L, 2)
    buyer, btok = L.new_user()
    mt = L.now - 60
    old = proof(L, buyer, 0)
    assert L.send([L.bid(buyer, PRICE, SIZE, old, mt, tag=TAG)], [buyer]).err is None
    n = (78).to_bytes(32, "big")
    assert L.send([L.finalize(buyer, 0, n, L.payment_proof(L.payment_inputs(0, 78)), btok)], [buyer]).err is None
    assert L.reserved(TAG) == 0
    refused(L, [L.bid(buyer, PRICE, SIZE, old, mt, tag=TAG)], [buyer], E["AttestationPredatesSettlement"])
    L.warp(1)
    fresh = L.bid_proof(buyer.pubkey(), PRICE, SIZE, L.now, reserved=0, tag=TAG)
    assert L.send([L.bid(buyer, PRICE, SIZE, fresh, L.now, tag=TAG)], [buyer]).err is None
