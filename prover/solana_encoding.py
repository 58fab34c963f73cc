"""Groth16 proofs and verifying keys in the byte layout Solana's alt_bn128 syscalls take, and an
independent pairing check in py_ecc over exactly those bytes.

Why: the on-chain verifier (the market and order-processor programs) checks proofs with the
alt_bn128 syscalls as Solana programs do (groth16-solana style): G1 = x ‖ y (32-byte big-endian
each, 64 B), G2 = x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 (imaginary part first, 128 B), scalars 32-byte
big-endian, and proof A negated so that one pairing call checks
    e(−A, B) · e(α, β) · e(vk_x, γ) · e(C, δ) = 1,   vk_x = IC₀ + Σ inputᵢ · IC_{i+1}.
`verify_with_py_ecc` performs that check step by step on the same bytes with an unrelated
implementation (py_ecc), so the programs engineer can port it syscall by syscall.

Layouts:
- proof (256 B): −A (64) ‖ B (128) ‖ C (64)
- public input i: 32-byte big-endian, must be < r (the BN254 scalar field)
- verifying key: α (64) ‖ β (128) ‖ γ (128) ‖ δ (128) ‖ n_public (u32 LE) ‖ IC₀..IC_n (64 each)
"""
from __future__ import annotations

import json
import struct
from typing import Sequence

from py_ecc.optimized_bn128 import (
    FQ, FQ2, FQ12, add, b, b2, curve_order, field_modulus, final_exponentiate, is_inf,
    is_on_curve, multiply, normalize, pairing)

Q = field_modulus  # base field of G1/G2
R = curve_order    # scalar field: public inputs live here

PROOF_LEN = 256
G1_LEN, G2_LEN = 64, 128


class EncodingError(ValueError):
    pass


# ---------------------------------------------------------------- encoders


def g1_bytes(x: int, y: int) -> bytes:
    return x.to_bytes(32, "big") + y.to_bytes(32, "big")


def g2_bytes(x_c0: int, x_c1: int, y_c0: int, y_c1: int) -> bytes:
    return b"".join(v.to_bytes(32, "big") for v in (x_c1, x_c0, y_c1, y_c0))


def negate_g1(point: bytes) -> bytes:
    x = int.from_bytes(point[:32], "big")
    y = int.from_bytes(point[32:64], "big")
    if x == 0 and y == 0:
        return point
    return g1_bytes(x, (Q - y) % Q)


def proof_to_solana(eth_proof: bytes) -> bytes:
    """groth16py's proof blob (A ‖ B ‖ C, EIP-197 layout) → Solana's (−A ‖ B ‖ C)."""
    if len(eth_proof) != PROOF_LEN:
        raise EncodingError(f"a Groth16 proof is {PROOF_LEN} bytes, got {len(eth_proof)}")
    return negate_g1(eth_proof[:64]) + eth_proof[64:]


def proof_from_solana(solana_proof: bytes) -> bytes:
    """Inverse of `proof_to_solana` (negation is an involution)."""
    return proof_to_solana(solana_proof)


def public_inputs_to_solana(inputs: Sequence[int]) -> list[bytes]:
    out = []
    for v in inputs:
        if not isinstance(v, int) or not 0 <= v < R:
            raise EncodingError(f"public input is not a scalar-field element: {v!r}")
        out.append(v.to_bytes(32, "big"))
    return out


def verifying_key_to_solana(vk: str | dict) -> bytes:
    """A snarkjs `verification_key.json` (str or dict) → the documented byte layout."""
    obj = json.loads(vk) if isinstance(vk, str) else vk
    if obj.get("protocol") != "groth16" or obj.get("curve") != "bn128":
        raise EncodingError("not a groth16/bn128 verifying key")

    def g1(p: list) -> bytes:
        return g1_bytes(int(p[0]), int(p[1]))

    def g2(p: list) -> bytes:
        return g2_bytes(int(p[0][0]), int(p[0][1]), int(p[1][0]), int(p[1][1]))

    ic = obj["IC"]
    if len(ic) != int(obj["nPublic"]) + 1:
        raise EncodingError("IC length does not match nPublic")
    return (g1(obj["vk_alpha_1"]) + g2(obj["vk_beta_2"]) + g2(obj["vk_gamma_2"])
            + g2(obj["vk_delta_2"]) + struct.pack("<I", len(ic) - 1)
            + b"".join(g1(p) for p in ic))


# ---------------------------------------------------------------- decoders (py_ecc points)


def _decode_g1(data: bytes):
    x, y = int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")
    if x >= Q or y >= Q:
        raise EncodingError("G1 coordinate not reduced")
    if x == 0 and y == 0:
        return (FQ(1), FQ(1), FQ(0))  # point at infinity
    p = (FQ(x), FQ(y), FQ(1))
    if not is_on_curve(p, b):
        raise EncodingError("G1 point not on the curve")
    return p


def _decode_g2(data: bytes):
    x_c1, x_c0, y_c1, y_c0 = (int.from_bytes(data[i:i + 32], "big") for i in range(0, 128, 32))
    if max(x_c1, x_c0, y_c1, y_c0) >= Q:
        raise EncodingError("G2 coordinate not reduced")
    if x_c1 == x_c0 == y_c1 == y_c0 == 0:
        return (FQ2([1, 0]), FQ2([1, 0]), FQ2([0, 0]))
    p = (FQ2([x_c0, x_c1]), FQ2([y_c0, y_c1]), FQ2([1, 0]))
    if not is_on_curve(p, b2):
        raise EncodingError("G2 point not on the curve")
    if not is_inf(multiply(p, R)):
        raise EncodingError("G2 point not in the prime-order subgroup")
    return p


def _encode_g1(p) -> bytes:
    if is_inf(p):
        return bytes(64)
    x, y = normalize(p)
    return g1_bytes(int(x.n), int(y.n))


def parse_verifying_key(data: bytes) -> dict:
    if len(data) < 64 + 3 * 128 + 4:
        raise EncodingError("verifying key too short")
    off = 64 + 3 * 128
    (n,) = struct.unpack_from("<I", data, off)
    if len(data) != off + 4 + 64 * (n + 1):
        raise EncodingError("verifying key length does not match its n_public")
    return {"alpha": data[:64], "beta": data[64:192], "gamma": data[192:320],
            "delta": data[320:448], "n_public": n,
            "ic": [data[off + 4 + 64 * i: off + 4 + 64 * (i + 1)] for i in range(n + 1)]}


def compute_vk_x(vk: dict, public_inputs: Sequence[bytes]) -> bytes:
    """IC₀ + Σ inputᵢ·IC_{i+1}: what the program computes with alt_bn128 mul/add syscalls."""
    if len(public_inputs) != vk["n_public"]:
        raise EncodingError(f"expected {vk['n_public']} public inputs, got {len(public_inputs)}")
    acc = _decode_g1(vk["ic"][0])
    for raw, ic in zip(public_inputs, vk["ic"][1:]):
        if len(raw) != 32:
            raise EncodingError("a public input is 32 bytes")
        s = int.from_bytes(raw, "big")
        if s >= R:
            raise EncodingError("public input not below the scalar field modulus")
        acc = add(acc, multiply(_decode_g1(ic), s))
    return _encode_g1(acc)


def pairing_input(vk_bytes: bytes, solana_proof: bytes, public_inputs: Sequence[bytes]) -> bytes:
    """The 4 × 192 bytes a program hands to the alt_bn128 pairing syscall."""
    if len(solana_proof) != PROOF_LEN:
        raise EncodingError(f"a proof is {PROOF_LEN} bytes")
    vk = parse_verifying_key(vk_bytes)
    vk_x = compute_vk_x(vk, public_inputs)
    neg_a, b_, c = solana_proof[:64], solana_proof[64:192], solana_proof[192:]
    return (neg_a + b_ + vk["alpha"] + vk["beta"] + vk_x + vk["gamma"] + c + vk["delta"])


def pairing_check(data: bytes) -> bool:
    """alt_bn128 pairing semantics: True iff Π e(G1ᵢ, G2ᵢ) = 1 over k × 192-byte pairs."""
    if len(data) % 192:
        raise EncodingError("pairing input is a multiple of 192 bytes")
    acc = FQ12.one()
    for i in range(0, len(data), 192):
        p1 = _decode_g1(data[i:i + 64])
        p2 = _decode_g2(data[i + 64:i + 192])
        if is_inf(p1) or is_inf(p2):
            continue
        acc = acc * pairing(p2, p1, final_exponentiate=False)
    return final_exponentiate(acc) == FQ12.one()


def verify_with_py_ecc(vk_bytes: bytes, solana_proof: bytes,
                       public_inputs: Sequence[bytes]) -> bool:
    """Independent Groth16 check on exactly the bytes a Solana program sees. Malformed input
    (bad lengths, off-curve points, unreduced scalars) is simply not a valid proof."""
    try:
        return pairing_check(pairing_input(vk_bytes, solana_proof, public_inputs))
    except EncodingError:
        return False

