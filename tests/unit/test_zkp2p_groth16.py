"""The programs' real Groth16 path (alt_bn128 syscalls) with simulated-setup proofs:
valid proofs settle, anything bound to other public inputs or tampered is refused, and the
compute units stay within budget; and real prover proofs under the real circuit keys."""
from __future__ import annotations

import pytest

from protocol.attestation import order_reference
from protocol.bn254 import BASE_FIELD
from tests.unit.zkp2p_harness import MARKET, PROCESSOR, CircuitProofs, Ledger

PRICE, SIZE = 28_500, 100_000_000
PAYEE = (31337).to_bytes(32, "big")


@pytest.fixture(scope="module")
def world():
    L = Ledger(book_capacity=16)
    solvency, payment = L.sim
    return L, solvency, payment


def test_real_verifier_end_to_end_and_refusals(world) -> None:
    L, sv, pv = world
    seller, stok = L.new_user(SIZE)
    buyer, btok = L.new_user()
    other, _ = L.new_user()
    assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
    mt = L.now - 60
    good = sv.prove(L.solvency_inputs(buyer.pubkey(), PRICE, SIZE, mt))
    bad_code = MARKET.error_code("InvalidSolvencyProof")
    assert L.send([L.bid(other, PRICE, SIZE, good, mt)], [other]).custom == bad_code       # other wallet
    assert L.send([L.bid(buyer, PRICE, SIZE // 2, good, mt)], [buyer]).custom == bad_code  # other fiat due
    unnegated = dict(good, a=good["a"][:32] + ((BASE_FIELD
                                                 - int.from_bytes(good["a"][32:], "big")).to_bytes(32, "big")))
    assert L.send([L.bid(buyer, PRICE, SIZE, unnegated, mt)], [buyer]).custom == bad_code  # A not negated
    off_curve = dict(good, c=(1).to_bytes(32, "big") + (3).to_bytes(32, "big"))
    assert L.send([L.bid(buyer, PRICE, SIZE, off_curve, mt)], [buyer]).custom == MARKET.error_code("MalformedProof")
    r = L.send([L.bid(buyer, PRICE, SIZE, good, mt)], [buyer])
    assert r.err is None and r.cu <= 200_000, r.cu
    n = 4242
    wrong = pv.prove(L.payment_inputs(0, n)[:3] + [2_849_999] + L.payment_inputs(0, n)[4:])  # underpaid fiat due
    assert L.send([L.finalize(buyer, 0, n.to_bytes(32, "big"), wrong, btok)], [buyer]).custom == \
        PROCESSOR.error_code("InvalidPaymentProof")
    proof = pv.prove(L.payment_inputs(0, n))
    assert L.send([L.finalize(buyer, 0, (n + 1).to_bytes(32, "big"), proof, btok)], [buyer]).custom == \
        PROCESSOR.error_code("InvalidPaymentProof")                                           # other nullifier
    # a payment whose reference names this order id and buyer on another market, another
    # order id, or another buyer: a valid proof of it never settles this order
    rec = L.queue()["records"][0]
    for ref in (order_reference(bytes(other.pubkey()), 0, bytes(rec["buyer"])),
                order_reference(bytes(rec["market"]), 1, bytes(rec["buyer"])),
                order_reference(bytes(rec["market"]), 0, bytes(other.pubkey()))):
        elsewhere = pv.prove(L.payment_inputs(0, n)[:1] + [ref] + L.payment_inputs(0, n)[2:])
        assert L.send([L.finalize(buyer, 0, n.to_bytes(32, "big"), elsewhere, btok)], [buyer]).custom == \
            PROCESSOR.error_code("InvalidPaymentProof")
    r = L.send([L.finalize(buyer, 0, n.to_bytes(32, "big"), proof, btok)], [buyer])
    assert r.err is None and r.cu <= 200_000, (r.cu, r.logs[-3:])
    assert L.token_balance(btok) == SIZE and L.token_balance(L.addr["vault"]) == 0
    assert L.queue()["records"][0]["status"] == "Settled"


def test_verifying_key_must_match_input_count(world) -> None:
    L, sv, _ = world
    seller, stok = L.new_user(SIZE)
    buyer, _ = L.new_user()
    L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller])
    mt = L.now - 60
    proof = sv.prove(L.solvency_inputs(buyer.pubkey(), PRICE, SIZE, mt))
    saved = L.accounts[L.addr["solvency_vk"]]
    vk = dict(sv.vk, ic=sv.vk["ic"][:-1])
    L.put(L.addr["solvency_vk"], saved.owner, MARKET.encode_account("VerifyingKey", vk))
    try:
        assert L.send([L.bid(buyer, PRICE, SIZE, proof, mt)], [buyer]).custom == MARKET.error_code("MalformedProof")
    finally:
        L.accounts[L.addr["solvency_vk"]] = saved


def test_real_circuit_proofs_under_the_genesis_keys() -> None:
    """Prover output (resources/circuits keys) is what the programs' verifier accepts, bound to
    the bidder and the order; the CU figures of bench/compute_units.py come from this path."""
    proofs = CircuitProofs()
    L = Ledger([proofs.notary_public], keys="circuits", book_capacity=16)
    seller, stok = L.new_user(SIZE)
    buyer, btok = L.new_user()
    other, _ = L.new_user()
    assert L.send([L.ask(seller, stok, PRICE, SIZE, PAYEE)], [seller]).err is None
    mt = L.now - 60
    proof = proofs.solvency(L, buyer.pubkey(), PRICE, SIZE, mt)
    assert L.send([L.bid(other, PRICE, SIZE, proof, mt)], [other]).custom == MARKET.error_code("InvalidSolvencyProof")
    r = L.send([L.bid(buyer, PRICE, SIZE, proof, mt)], [buyer])
    assert r.err is None and r.cu <= 200_000, (r.err, r.logs[-3:])
    nullifier, pay = proofs.payment(L, 0, 4242)
    assert L.send([L.finalize(buyer, 0, bytes(32), pay, btok)], [buyer]).custom == \
        PROCESSOR.error_code("InvalidPaymentProof")                                           # other nullifier
    r = L.send([L.finalize(buyer, 0, nullifier, pay, btok)], [buyer])
    assert r.err is None and r.cu <= 200_000, (r.err, r.logs[-3:])
    assert L.token_balance(btok) == SIZE and L.queue()["records"][0]["status"] == "Settled"
