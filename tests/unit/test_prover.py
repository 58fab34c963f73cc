"""Real Groth16 proofs for both circuits: verification three ways, tampering, false statements
refused before proving, binding to the order, cancellation, offline request/proof files."""
from __future__ import annotations

import json
import threading
from dataclasses import replace

import pytest

from protocol.attestation import (
    BalanceAttestation, PaymentReceipt, SignedAttestation, account_commitment, notary_key_hash,
    order_reference, reservation_tag, sign_balance_attestation, sign_payment_receipt)
from prover.artifacts import load_keys
from prover.engine import STAGES, ProofCancelled, Prover, ProverError, verify_proof
from prover.files import (
    ProofFileError, ProofRequest, load_proof_file, parse_request, proof_file_json)
from prover.proof import Proof
from prover.solana_encoding import verify_with_py_ecc, verifying_key_to_solana
from prover.statements import (
    CircuitInputs, PaymentStatement, SolvencyStatement, StatementError, payment_inputs,
    solvency_inputs)

NOTARY = bytes(range(7, 39))
OTHER_NOTARY = bytes(range(50, 82))
WALLET = bytes(range(32))
OTHER_WALLET = bytes(range(1, 33))
PAYEE = account_commitment("0345-1234567", 777)
PAYER = account_commitment("0300-1111111", 555)
T0 = 1_700_000_000
MARKET = bytes(range(64, 96))
BUYER = bytes(range(96, 128))
ORDER_REF = order_reference(MARKET, 41, BUYER)


def _attestation(**kw) -> SignedAttestation:
    base = dict(account_commitment=PAYER, balance_paisa=3_000_000, timestamp=T0 + 50,
                wallet_pubkey=WALLET)
    base.update(kw)
    return sign_balance_attestation(NOTARY, BalanceAttestation(**base))


def _receipt(**kw):
    base = dict(payer_commitment=PAYER, payee_commitment=PAYEE, amount_paisa=2_850_000,
                payment_id=123456789, timestamp=T0 + 100, order_ref=ORDER_REF)
    base.update(kw)
    return sign_payment_receipt(NOTARY, PaymentReceipt(**base))


SOLVENCY = SolvencyStatement(WALLET, 2_850_000, T0, 0, reservation_tag(PAYER))
PAYMENT = PaymentStatement(market=MARKET, order_id=41, buyer=BUYER, payee_commitment=PAYEE,
                           fiat_due_paisa=2_850_000, matched_at=T0)


@pytest.fixture(scope="module")
def prover() -> Prover:
    return Prover()


@pytest.fixture(scope="module")
def solvency_run(prover):
    stages: list[tuple[str, str]] = []

    def progress(stage: str, i: int, n: int) -> None:
        stages.append((stage, threading.current_thread().name))

    job = prover.prove_solvency(_attestation(), SOLVENCY, progress=progress)
    return job.result(timeout=120), stages


@pytest.fixture(scope="module")
def payment_proof(prover) -> Proof:
    return prover.prove_payment(_receipt(), PAYMENT).result(timeout=120)


def test_solvency_proof_verifies_three_ways(solvency_run) -> None:
    proof, stages = solvency_run
    assert [s for s, _ in stages] == list(STAGES)
    assert all(t != threading.main_thread().name for _, t in stages)  # off the calling thread
    keys = load_keys("solvency")
    assert verify_proof(proof)
    assert keys.verifier.verify_snarkjs(json.dumps(proof.snarkjs_proof()),
                                        json.dumps(proof.snarkjs_public()))
    vk = verifying_key_to_solana(keys.verifying_key_json)
    assert verify_with_py_ecc(vk, proof.solana_proof(), proof.solana_public_inputs())
    # the bidder's wallet and the notary hash are what the chain will supply
    assert proof.public_inputs[0] == notary_key_hash(_attestation().notary_public_key)
    assert proof.public_inputs[1:3] == (int.from_bytes(WALLET[:16], "big"),
                                        int.from_bytes(WALLET[16:], "big"))


def test_tampered_public_inputs_and_proofs_are_rejected(solvency_run) -> None:
    proof, _ = solvency_run
    for i in range(len(proof.public_inputs)):
        bumped = list(proof.public_inputs)
        bumped[i] += 1
        assert not verify_proof(replace(proof, public_inputs=tuple(bumped))), i
    flipped = bytearray(proof.proof)
    flipped[200] ^= 1
    assert not verify_proof(replace(proof, proof=bytes(flipped)))
    # the solvency proof is not valid for another wallet (a reused proof)
    other = list(proof.public_inputs)
    other[1:3] = [int.from_bytes(OTHER_WALLET[:16], "big"), int.from_bytes(OTHER_WALLET[16:], "big")]
    assert not verify_proof(replace(proof, public_inputs=tuple(other)))
    vk = verifying_key_to_solana(load_keys("solvency").verifying_key_json)
    bad = proof.solana_public_inputs()
    bad[4] = (proof.public_inputs[4] - 1).to_bytes(32, "big")
    assert not verify_with_py_ecc(vk, proof.solana_proof(), bad)
    assert not verify_with_py_ecc(vk, proof.solana_proof()[:-1], proof.solana_public_inputs())


def test_payment_proof_is_bound_to_its_order(payment_proof) -> None:
    assert verify_proof(payment_proof)
    assert payment_proof.public_inputs[5] == _receipt().receipt.nullifier()
    assert payment_proof.public_inputs[1] == ORDER_REF == PAYMENT.order_ref
    vk = verifying_key_to_solana(load_keys("payment").verifying_key_json)
    assert verify_with_py_ecc(vk, payment_proof.solana_proof(),
                              payment_proof.solana_public_inputs())
    for index, value in ((1, order_reference(MARKET, 42, BUYER)), (2, PAYEE + 1), (3, 2_849_999), (4, T0 - 1), (5, 99)):
        other = list(payment_proof.public_inputs)
        other[index] = value
        assert not verify_proof(replace(payment_proof, public_inputs=tuple(other))), index
    other = payment_proof.solana_public_inputs()
    # another order's reference, as the chain would encode it (same market and buyer, order 42)
    other[1] = order_reference(MARKET, 42, BUYER).to_bytes(32, "big")
    assert not verify_with_py_ecc(vk, payment_proof.solana_proof(), other)
    # a payment proof is not a solvency proof
    keys = load_keys("solvency")
    assert not keys.verifier.verify(payment_proof.proof, list(payment_proof.public_inputs) + [0])


@pytest.mark.parametrize("evidence, stmt, message", [
    (lambda: _attestation(balance_paisa=2_849_999), SOLVENCY, "balance is below the fiat due"),
    (lambda: _attestation(timestamp=T0 - 1), SOLVENCY, "older than the time bound"),
    (lambda: _attestation(wallet_pubkey=OTHER_WALLET), SOLVENCY, "different wallet"),
    (lambda: replace(_attestation(), attestation=replace(_attestation().attestation,
                                                         balance_paisa=9_999_999)),
     SOLVENCY, "notary signature is invalid"),
    (lambda: _attestation(), SolvencyStatement(WALLET, 2**64, T0, 0, reservation_tag(PAYER)), "fiat_due"),
    (lambda: _attestation(), replace(SOLVENCY, reserved_paisa=150_001), "plus what is already reserved"),
    (lambda: _attestation(), replace(SOLVENCY, account_tag=reservation_tag(PAYEE)), "another rail account"),
])
def test_false_solvency_statements_are_refused_before_proving(prover, evidence, stmt,
                                                              message) -> None:
    with pytest.raises(StatementError, match=message):
        prover.prove_solvency(evidence(), stmt)


@pytest.mark.parametrize("evidence, stmt, message", [
    (lambda: _receipt(payee_commitment=PAYEE + 1), PAYMENT,
     "receipt payee does not match the order"),
    (lambda: _receipt(amount_paisa=2_849_999), PAYMENT, "amount is below the fiat due"),
    (lambda: _receipt(timestamp=T0 - 1), PAYMENT, "before the order was matched"),
    (lambda: replace(_receipt(), signature=(1, 2, 3)), PAYMENT, "notary signature is invalid"),
    (lambda: _receipt(order_ref=order_reference(MARKET, 42, BUYER)), PAYMENT,
     "the receipt pays for another order"),
    (lambda: _receipt(order_ref=order_reference(MARKET, 41, MARKET)), PAYMENT,
     "the receipt pays for another order"),
    (lambda: _receipt(order_ref=order_reference(BUYER, 41, BUYER)), PAYMENT,
     "the receipt pays for another order"),
    (lambda: _receipt(order_ref=0), PAYMENT, "carries no order reference"),
    (lambda: replace(_receipt(), receipt=replace(_receipt().receipt, version=1)), PAYMENT,
     "receipt format version 1 is not accepted"),
])
def test_false_payment_statements_are_refused_before_proving(prover, evidence, stmt,
                                                             message) -> None:
    with pytest.raises(StatementError, match=message):
        prover.prove_payment(evidence(), stmt)


def test_unregistered_notary_is_refused() -> None:
    signed = _attestation()
    with pytest.raises(StatementError, match="not registered"):
        solvency_inputs(signed, SOLVENCY, registered_notaries={12345})
    other = sign_payment_receipt(OTHER_NOTARY, _receipt().receipt)
    registered = {notary_key_hash(_receipt().notary_public_key)}
    with pytest.raises(StatementError, match="not registered"):
        payment_inputs(other, PAYMENT, registered_notaries=registered)


def test_circuit_rejects_inputs_that_skip_the_python_checks(prover) -> None:
    """Even if the Python checks were bypassed, the witness fails fast (no proof)."""
    ci = solvency_inputs(_attestation(), SOLVENCY)
    lying = dict(ci.inputs, fiatDue=3_000_001)
    job = prover.start(CircuitInputs("solvency", lying, tuple(lying[n] for n in (
        "notaryKeyHash", "walletHi", "walletLo", "minTimestamp", "fiatDue", "reservedSoFar", "accountTag"))))
    with pytest.raises(ProverError, match="rejected the inputs: balance is below the fiat due"):
        job.result(timeout=60)
    for name, value, meaning in (("reservedSoFar", 150_001, "plus what is already reserved"),
                                 ("accountTag", reservation_tag(PAYEE), "account tag is not the attested")):
        lying = dict(ci.inputs, **{name: value})
        job = prover.start(CircuitInputs("solvency", lying, tuple(lying[n] for n in (
            "notaryKeyHash", "walletHi", "walletLo", "minTimestamp", "fiatDue", "reservedSoFar", "accountTag"))))
        with pytest.raises(ProverError, match=meaning):
            job.result(timeout=60)
    forged = dict(ci.inputs, balance=2_999_999)  # not what the notary signed
    job = prover.start(CircuitInputs("solvency", forged, ci.public_inputs))
    with pytest.raises(ProverError, match="notary signature is invalid"):
        job.result(timeout=60)
    # a receipt claimed for another order: its signed reference is not the public one
    pi = payment_inputs(_receipt(), PAYMENT)
    other_ref = order_reference(MARKET, 42, BUYER)
    redirected = dict(pi.inputs, orderRef=other_ref)
    job = prover.start(CircuitInputs("payment", redirected,
                                     (pi.public_inputs[0], other_ref) + pi.public_inputs[2:]))
    with pytest.raises(ProverError, match="notary signature is invalid"):
        job.result(timeout=60)


def test_cancel_between_stages(prover) -> None:
    holder = {}

    def progress(stage: str, i: int, n: int) -> None:
        if stage == "witness":
            holder["job"].cancel()

    ci = solvency_inputs(_attestation(), SOLVENCY)
    gate = threading.Event()

    def progress_gated(stage: str, i: int, n: int) -> None:
        gate.wait(10)
        progress(stage, i, n)

    holder["job"] = prover.start(ci, progress_gated)
    gate.set()
    with pytest.raises(ProofCancelled, match="before prove"):
        holder["job"].result(timeout=60)


def test_offline_request_and_proof_files(tmp_path, payment_proof) -> None:
    from wallet.cli import main

    keys = load_keys("payment")
    req = ProofRequest("payment", PAYMENT, _receipt(), keys.vk_sha256)
    assert parse_request(req.to_json()) == req
    req_path, out = tmp_path / "req.json", tmp_path / "proof.json"
    req_path.write_text(req.to_json())
    assert main(["prove", str(req_path), "-o", str(out), "-q"]) == 0
    imported = load_proof_file(out.read_text())
    assert imported.statement == PAYMENT and imported.proof.circuit == "payment"
    assert main(["prover", "verify", str(out)]) == 0
    # the wallet names the order from the verified statement (the proof itself carries only
    # the order's reference)
    from wallet.core.events import EventBus
    from wallet.core.proof_jobs import ProofJobService
    assert ProofJobService(EventBus()).payment_order_id(out) == 41

    good = json.loads(out.read_text())

    def refused(mutate, needle: str) -> None:
        obj = json.loads(json.dumps(good))
        mutate(obj)
        with pytest.raises(ProofFileError, match=needle):
            load_proof_file(json.dumps(obj))

    refused(lambda o: o["statement"].update(order_id="42"), "do not match the statement")
    refused(lambda o: o["statement"].update(buyer=o["statement"]["market"]),
            "do not match the statement")
    refused(lambda o: o["statement"].update(market=o["statement"]["buyer"]),
            "do not match the statement")
    # a proof file from before receipts were order-bound names no market or buyer
    refused(lambda o: [o["statement"].pop(k) for k in ("market", "buyer")],
            "predates order-bound receipts")
    refused(lambda o: o.update(public_inputs=o["public_inputs"][:-1] + ["5"]),
            "do not match the statement")
    refused(lambda o: o["derived"].update(nullifier="5"), "do not match the statement")

    def consistent_but_false(o: dict) -> None:  # statement and public inputs agree, proof not
        o["derived"]["nullifier"] = "5"
        o["public_inputs"][5] = "5"
    refused(consistent_but_false, "does not verify")
    refused(lambda o: o.update(verifying_key_sha256="0" * 64), "different payment key")
    refused(lambda o: o.update(circuit="transfer"), "unknown circuit")
    # a payment proof relabelled as solvency is named as such, not as missing/unknown fields
    refused(lambda o: o.update(circuit="solvency"), "^this file is a payment proof, expected solvency")
    with pytest.raises(ProofFileError, match="^this file is a payment proof, expected solvency$"):
        load_proof_file(json.dumps(good), expected="solvency")
    assert load_proof_file(json.dumps(good), expected="payment").proof.circuit == "payment"
    refused(lambda o: o.update(version=2), "version")
    refused(lambda o: o.update(type="anomi.proof-request"), "not a anomi.proof file")
    sol = bytearray(bytes.fromhex(good["proof"]["solana"]))
    sol[255] ^= 1
    refused(lambda o: o["proof"].update(solana=bytes(sol).hex()), "different proofs")
    # a proof for this order, relabelled as another order with a consistent snarkjs part
    other = json.loads(proof_file_json(payment_proof, replace(PAYMENT, order_id=42)))
    with pytest.raises(ProofFileError):
        load_proof_file(json.dumps(other))

    # false statement and wrong key in a request: clear CLI errors, no output written
    bad = ProofRequest("payment", replace(PAYMENT, fiat_due_paisa=2_850_001), _receipt(),
                       keys.vk_sha256)
    req_path.write_text(bad.to_json())
    out2 = tmp_path / "p2.json"
    assert main(["prove", str(req_path), "-o", str(out2), "-q"]) == 2 and not out2.exists()
    req_path.write_text(replace(req, verifying_key_sha256="ab" * 32).to_json())
    assert main(["prove", str(req_path), "-o", str(out2), "-q"]) == 2 and not out2.exists()


def test_request_for_the_wrong_circuit_is_named(tmp_path, capsys) -> None:
    from wallet.cli import main

    keys = load_keys("payment")
    req = ProofRequest("payment", PAYMENT, _receipt(), keys.vk_sha256)
    with pytest.raises(ProofFileError, match="^this file is a payment request, expected solvency$"):
        parse_request(req.to_json(), expected="solvency")
    assert parse_request(req.to_json(), expected="payment") == req
    relabelled = json.loads(req.to_json())
    relabelled["circuit"] = "solvency"
    with pytest.raises(ProofFileError, match="^this file is a payment request, expected solvency: its circuit tag"):
        parse_request(json.dumps(relabelled))
    sol = json.loads(ProofRequest("solvency", SOLVENCY, _attestation(), keys.vk_sha256).to_json())
    sol["circuit"] = "payment"
    with pytest.raises(ProofFileError, match="^this file is a solvency request, expected payment"):
        parse_request(json.dumps(sol))
    path, out = tmp_path / "req.json", tmp_path / "proof.json"
    path.write_text(json.dumps(relabelled))
    capsys.readouterr()
    assert main(["prove", str(path), "-o", str(out), "-q"]) == 2 and not out.exists()
    assert "this file is a payment request, expected solvency" in capsys.readouterr().err


def test_proof_files_of_the_retired_solvency_circuit_are_refused_by_name(solvency_run) -> None:
    """A solvency proof made before reservations (5 public inputs) names its problem on import."""
    import json

    from prover.files import ProofFileError, load_proof_file, proof_file_json
    proof, _ = solvency_run
    doc = json.loads(proof_file_json(proof, SOLVENCY))
    assert load_proof_file(doc).statement == SOLVENCY
    for key in ("reserved_paisa", "account_tag"):
        del doc["statement"][key]
    doc["public_inputs"] = doc["public_inputs"][:5]
    with pytest.raises(ProofFileError, match="retired solvency circuit"):
        load_proof_file(doc)
