"""Cross-checks against the JavaScript reference implementations (test peers, never needed at
run time): snarkjs verifies our proofs under our exported verifying keys, and circomlibjs agrees
with our Poseidon and EdDSA-Poseidon on random values."""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from protocol import babyjub_public_key, eddsa_poseidon_sign, eddsa_poseidon_verify, poseidon
from protocol.attestation import (
    BalanceAttestation, PaymentReceipt, account_commitment, sign_balance_attestation, sign_payment_receipt)
from protocol.poseidon import FIELD_MODULUS
from prover.artifacts import artifacts_dir, load_manifest
from prover.engine import Prover
from prover.statements import PaymentStatement, SolvencyStatement

PEERS = Path(__file__).resolve().parents[1] / "peers"
NODE = shutil.which("node")
# In CI the peers are part of the set-up (`make test` installs them): a missing peer there is a
# broken set-up and must fail, never quietly turn the cross-checks into skips.
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing_peer(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: the test set-up must install it)", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


if NODE is None or not (PEERS / "node_modules" / "snarkjs").is_dir() or not (
        PEERS / "node_modules" / "circomlibjs").is_dir():
    _missing_peer("npm test peers not installed (run `bash tests/peers/install.sh`)")


def _node(script: str, payload: object) -> object:
    proc = subprocess.run([NODE, "-e", script], input=json.dumps(payload), cwd=PEERS,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


_SNARKJS_VERIFY = """
const snarkjs = require("snarkjs");
let s = ""; process.stdin.on("data", d => s += d).on("end", async () => {
  const {vk, cases} = JSON.parse(s);
  const out = [];
  for (const c of cases) out.push(await snarkjs.groth16.verify(vk, c.public, c.proof, {info(){}, debug(){}, warn(){}, error(){}}));
  console.log(JSON.stringify(out)); process.exit(0);
});
"""


def test_snarkjs_verifies_our_proofs_under_our_exported_key(tmp_path: Path) -> None:
    wallet = bytes(range(32))
    att = BalanceAttestation(12345, 9_000_000, 1_700_000_500, wallet)
    signed = sign_balance_attestation(bytes(range(3, 35)), att)
    proof = Prover().prove_solvency(signed, SolvencyStatement.for_attestation(
        signed, 8_000_000, 1_700_000_000)).result(120)
    vk = json.loads((artifacts_dir() / "solvency" / "verification_key.json").read_text())
    tampered = proof.snarkjs_public()
    tampered[4] = str(int(tampered[4]) + 1)
    result = _node(_SNARKJS_VERIFY, {"vk": vk, "cases": [
        {"public": proof.snarkjs_public(), "proof": proof.snarkjs_proof()},
        {"public": tampered, "proof": proof.snarkjs_proof()},
    ]})
    assert result == [True, False]


def test_snarkjs_verifies_our_payment_proof_and_refuses_tampering() -> None:
    """The payment circuit's exported key, too: the valid proof verifies; a changed nullifier,
    another order's reference, or a changed proof point does not."""
    payee = account_commitment("0345-1234567", 777)
    stmt = PaymentStatement(market=bytes(range(1, 33)), order_id=41, buyer=bytes(range(33, 65)),
                            payee_commitment=payee, fiat_due_paisa=2_850_000,
                            matched_at=1_700_000_000)
    receipt = sign_payment_receipt(bytes(range(7, 39)), PaymentReceipt(
        payer_commitment=account_commitment("0300-1111111", 555), payee_commitment=payee,
        amount_paisa=2_850_000, payment_id=123456789, timestamp=1_700_000_100,
        order_ref=stmt.order_ref))
    proof = Prover().prove_payment(receipt, stmt).result(120)
    vk = json.loads((artifacts_dir() / "payment" / "verification_key.json").read_text())
    public = proof.snarkjs_public()
    other_order = list(public)
    other_order[1] = str(replace(stmt, order_id=42).order_ref)  # orderRef of another order
    other_nullifier = list(public)
    other_nullifier[5] = str(int(public[5]) + 1)      # nullifier
    bent = json.loads(json.dumps(proof.snarkjs_proof()))
    bent["pi_c"] = list(proof.snarkjs_proof()["pi_a"])  # a valid curve point, the wrong one
    result = _node(_SNARKJS_VERIFY, {"vk": vk, "cases": [
        {"public": public, "proof": proof.snarkjs_proof()},
        {"public": other_order, "proof": proof.snarkjs_proof()},
        {"public": other_nullifier, "proof": proof.snarkjs_proof()},
        {"public": public, "proof": bent},
    ]})
    assert result == [True, False, False, False]


_CIRCOMLIBJS = """
const {buildPoseidon, buildEddsa} = require("circomlibjs");
let s = ""; process.stdin.on("data", d => s += d).on("end", async () => {
  const req = JSON.parse(s);
  const poseidon = await buildPoseidon(); const eddsa = await buildEddsa();
  const F = poseidon.F;
  const hashes = req.hashes.map(xs => F.toObject(poseidon(xs.map(BigInt))).toString());
  const sigs = req.sigs.map(({key, msg}) => {
    const prv = Buffer.from(key, "hex");
    const A = eddsa.prv2pub(prv);
    const sig = eddsa.signPoseidon(prv, eddsa.F.e(BigInt(msg)));
    return {A: A.map(a => eddsa.F.toObject(a).toString()),
            R8: sig.R8.map(a => eddsa.F.toObject(a).toString()), S: sig.S.toString()};
  });
  console.log(JSON.stringify({hashes, sigs})); process.exit(0);
});
"""


def test_circomlibjs_agrees_on_random_values() -> None:
    rng = random.Random(20240501)
    hashes = [[rng.randrange(FIELD_MODULUS) for _ in range(n)] for n in (1, 2, 5, 7, 12, 16)]
    sigs = [{"key": rng.randbytes(32).hex(), "msg": str(rng.randrange(FIELD_MODULUS))}
            for _ in range(3)]
    out = _node(_CIRCOMLIBJS, {"hashes": [[str(x) for x in h] for h in hashes], "sigs": sigs})
    assert out["hashes"] == [str(poseidon(h)) for h in hashes]
    for req, theirs in zip(sigs, out["sigs"]):
        key, msg = bytes.fromhex(req["key"]), int(req["msg"])
        pub = babyjub_public_key(key)
        assert [str(v) for v in pub] == theirs["A"]
        sig = eddsa_poseidon_sign(key, msg)
        assert [str(sig[0]), str(sig[1])] == theirs["R8"] and str(sig[2]) == theirs["S"]
        assert eddsa_poseidon_verify(pub, msg, sig)


@pytest.mark.parametrize("circuit", ["solvency", "payment"])
def test_committed_r1cs_and_wasm_are_what_the_sources_compile_to(circuit: str,
                                                                 tmp_path: Path) -> None:
    from prover.setup import compile_circuit

    if not (PEERS / "node_modules" / "circom2").is_dir():
        _missing_peer("circom2 test peer not installed (run `bash tests/peers/install.sh`)")
    r1cs, wasm, constraints = compile_circuit(circuit, tmp_path, log=lambda m: None)
    d = artifacts_dir() / circuit
    assert r1cs.read_bytes() == (d / f"{circuit}.r1cs").read_bytes()
    assert wasm.read_bytes() == (d / f"{circuit}.wasm").read_bytes()
    assert constraints == load_manifest()["circuits"][circuit]["constraints"]
