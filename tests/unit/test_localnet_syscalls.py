"""Syscall implementations: alt_bn128 against py_ecc, hashes against known vectors, costs."""
from __future__ import annotations

import hashlib

import pytest
from py_ecc import optimized_bn128 as ob

from localnet.runtime import bn254, compute
from localnet.runtime.keccak import keccak256
from localnet.runtime.logs import LOG_MESSAGES_BYTES_LIMIT, LogCollector


def g1b(pt) -> bytes:
    if ob.is_inf(pt):
        return bytes(64)
    x, y = ob.normalize(pt)
    return int(x).to_bytes(32, "big") + int(y).to_bytes(32, "big")


def g2b(pt) -> bytes:
    x, y = ob.normalize(pt)
    return b"".join(int(v).to_bytes(32, "big") for v in (x.coeffs[1], x.coeffs[0], y.coeffs[1], y.coeffs[0]))


def test_addition_and_multiplication_match_py_ecc():
    p, q = ob.multiply(ob.G1, 5), ob.multiply(ob.G1, 9)
    assert bn254.addition(g1b(p) + g1b(q)) == g1b(ob.add(p, q))
    assert bn254.addition(g1b(p) + bytes(64)) == g1b(p)
    assert bn254.addition(g1b(p) + g1b(ob.neg(p))) == bytes(64)
    assert bn254.addition(b"") == bytes(64)
    k = 0x1234567890ABCDEF1234567890ABCDEF
    assert bn254.multiplication(g1b(p) + k.to_bytes(32, "big")) == g1b(ob.multiply(p, k))
    assert bn254.multiplication(g1b(p) + bn254.R.to_bytes(32, "big")) == bytes(64)
    # EIP-196 vector: 2 * G1
    assert bn254.multiplication(g1b(ob.G1) + (2).to_bytes(32, "big")) == g1b(ob.double(ob.G1))


def test_invalid_points_are_refused():
    with pytest.raises(bn254.AltBn128Error):
        bn254.addition((1).to_bytes(32, "big") + (3).to_bytes(32, "big") + bytes(64))
    with pytest.raises(bn254.AltBn128Error):
        bn254.addition(bn254.P.to_bytes(32, "big") + bytes(96))
    with pytest.raises(bn254.AltBn128Error):
        bn254.addition(bytes(129))
    bad_g2 = bytearray(g2b(ob.G2))
    bad_g2[-1] ^= 1
    with pytest.raises(bn254.AltBn128Error):
        bn254.pairing(g1b(ob.G1) + bytes(bad_g2))
    with pytest.raises(bn254.AltBn128Error):
        bn254.pairing(bytes(191))


@pytest.mark.parametrize("pairs", [1, 2, 3, 4, 5])
def test_pairing_fast_path_matches_py_ecc(pairs):
    a, b = 7, 11
    # e(aG1, bG2) * e(-(ab - s)G1, G2) * e(-sG1, G2) ... == 1, then a perturbed copy != 1
    terms = [(ob.multiply(ob.G1, a), ob.multiply(ob.G2, b))]
    rest = a * b
    for i in range(pairs - 1):
        share = rest if i == pairs - 2 else 3 + i
        terms.append((ob.neg(ob.multiply(ob.G1, share)), ob.G2))
        rest -= share
    good = b"".join(g1b(p) + g2b(q) for p, q in terms)
    bad = b"".join(g1b(p) + g2b(q) for p, q in terms[:-1]) + g1b(ob.G1) + g2b(ob.G2)
    expected_good = pairs > 1
    for data, expected in ((good, expected_good), (bad, False)):
        parsed = [pr for pr in bn254._pairs(data) if pr[0] is not None]
        assert bn254.pairing_py_ecc(parsed) is expected
        assert bn254.pairing(data) == (1 if expected else 0).to_bytes(32, "big")
        if len(parsed) <= 4:
            assert bn254.pairing_groth16py(parsed) is expected


def test_pairing_with_infinity_and_empty_input():
    assert bn254.pairing(b"") == (1).to_bytes(32, "big")
    assert bn254.pairing(bytes(64) + g2b(ob.G2)) == (1).to_bytes(32, "big")


def test_hashes_and_costs():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
    long = bytes(range(256)) * 3
    assert len(keccak256(long)) == 32 and keccak256(long) != keccak256(long[:-1])
    assert compute.hash_cost([b"a" * 64]) == 85 + 32
    assert compute.hash_cost([b"a"]) == 85 + 10
    assert compute.poseidon_cost(2) == 61 * 4 + 542
    assert compute.pairing_cost(4) == 36_364 + 3 * 12_121
    assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")


def test_log_truncation():
    logs = LogCollector()
    line = "x" * 999
    for _ in range(12):
        logs.log(line)
    assert logs.messages.count("Log truncated") == 1
    assert logs.bytes_written < LOG_MESSAGES_BYTES_LIMIT
    logs.log("short")
    assert logs.messages[-1] == "short"
