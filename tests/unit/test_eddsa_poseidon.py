"""EdDSA-Poseidon and BLAKE-512 equal circomlibjs: keys, deterministic signatures, verification."""
from __future__ import annotations

import json

import pytest

from protocol import babyjub_public_key, eddsa_poseidon_sign, eddsa_poseidon_verify
from protocol.babyjub import BASE8, SUBORDER, in_subgroup, is_on_curve, mul
from protocol.blake512 import blake512
from tests.unit.vector_files import vector_path

VECTORS = vector_path("circomlib_vectors.json")  # copy of shared/vectors/ (tests/unit/vector_files.py)
CASES = json.loads(VECTORS.read_text())["eddsa_poseidon"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["private_key_hex"][:8])
def test_matches_circomlibjs_vectors(case: dict) -> None:
    key = bytes.fromhex(case["private_key_hex"])
    msg = int(case["message"])
    pub = (int(case["Ax"]), int(case["Ay"]))
    sig = (int(case["R8x"]), int(case["R8y"]), int(case["S"]))
    assert babyjub_public_key(key) == pub
    assert eddsa_poseidon_sign(key, msg) == sig
    assert eddsa_poseidon_verify(pub, msg, sig) is case["verifies"]


def test_blake512_known_answers() -> None:
    # BLAKE-512 of the empty string (from the BLAKE submission) and padding edge lengths
    # (values from the `blake-hash` npm package that circomlibjs uses).
    assert blake512(b"").hex().startswith("a8cfbbd73726062d")
    assert blake512(b"\x00").hex().startswith("97961587f6d970fa")
    expected = {111: "440fdbb38c1d858d", 112: "889e938c432fe08c", 128: "d249e62b49118ef8",
                129: "823d5187803d7778", 300: "25fba5498c624b47"}
    for n, prefix in expected.items():
        assert blake512(bytes([7]) * n).hex().startswith(prefix), n


def test_wrong_message_key_or_signature_fails() -> None:
    case = CASES[0]
    key = bytes.fromhex(case["private_key_hex"])
    pub = babyjub_public_key(key)
    msg = int(case["message"])
    r8x, r8y, s = eddsa_poseidon_sign(key, msg)
    assert not eddsa_poseidon_verify(pub, msg + 1, (r8x, r8y, s))
    assert not eddsa_poseidon_verify(babyjub_public_key(bytes(32)), msg, (r8x, r8y, s))
    assert not eddsa_poseidon_verify(pub, msg, (r8x, r8y, (s + 1) % SUBORDER))
    assert not eddsa_poseidon_verify(pub, msg, (r8x, r8y, s + SUBORDER))  # malleated S
    assert not eddsa_poseidon_verify(pub, msg, (r8x, r8y + 1, s))  # R8 off the curve
    assert not eddsa_poseidon_verify((1, 2), msg, (r8x, r8y, s))
    assert not eddsa_poseidon_verify(pub, msg, ("x", r8y, s))  # type: ignore[arg-type]
    assert not eddsa_poseidon_verify(pub, -1, (r8x, r8y, s))


def test_curve_basics_and_key_validation() -> None:
    assert is_on_curve(BASE8) and in_subgroup(BASE8)
    assert mul(BASE8, SUBORDER) == (0, 1)
    with pytest.raises(ValueError):
        babyjub_public_key(b"short")
    with pytest.raises(ValueError):
        eddsa_poseidon_sign(bytes(32), -5)
