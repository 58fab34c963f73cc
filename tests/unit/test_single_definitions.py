"""Constants and codecs the whole system must agree on are written once (issue 12).

Why a test: copies of the BN254 primes or of a base58 codec drift silently (a typo in one of five
77-digit literals still "works" until a proof or a salt lands outside the other copy's field).
This scans the project's own sources and fails when a second definition appears.
"""
from __future__ import annotations

from pathlib import Path

from protocol.base58 import Base58Error, b58decode, b58encode
from protocol.bn254 import BASE_FIELD, SCALAR_FIELD

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("wallet", "localnet", "protocol", "prover", "tests", "bench")
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def sources_containing(text: str) -> list[str]:
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "node_modules" in path.parts or path == Path(__file__).resolve():
                continue
            if text in path.read_text(encoding="utf-8", errors="replace"):
                found.append(str(path.relative_to(ROOT)))
    return found


def test_bn254_moduli_are_defined_once() -> None:
    assert sources_containing(str(SCALAR_FIELD)) == ["protocol/bn254.py"]
    assert sources_containing(str(BASE_FIELD)) == ["protocol/bn254.py"]
    # The published primes (r and q of alt_bn128 / EIP-196), by their hex form.
    assert SCALAR_FIELD == 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001
    assert BASE_FIELD == 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47


def test_base58_is_implemented_once() -> None:
    assert sources_containing(ALPHABET) == ["protocol/base58.py"]
    # Leading zeros, a known vector (Solana's system program id) and the Agave-style error.
    assert b58encode(bytes(32)) == "11111111111111111111111111111111"
    assert b58decode("11111111111111111111111111111111") == bytes(32)
    assert b58encode(b"hello world") == "StV1DL6CwTryKyV"
    try:
        b58decode("abl1")
    except Base58Error as e:
        assert str(e) == "InvalidCharacter { character: 'l', index: 2 }"
    else:
        raise AssertionError("an 'l' is not base58")
