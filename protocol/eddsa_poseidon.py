"""EdDSA-Poseidon on BabyJubJub, exactly circomlibjs's `eddsa.prv2pub` / `signPoseidon` /
`verifyPoseidon` (and so circomlib's `EdDSAPoseidonVerifier` circuit).

Why this exact construction: the fiat-rail notary signs with it, our circuits verify it, and a key
or signature produced by circomlibjs must mean the same here. Meaning of a private key (as in
circomlibjs): 32 raw bytes; h = BLAKE-512(key); the low 32 bytes of h, pruned (clear the low 3
bits, clear bit 255, set bit 254), read little-endian, are the scalar s; the public key is
A = (s >> 3)·BASE8. Signing a field element m: r = BLAKE-512(h[32:64] ‖ m_bytes) read
little-endian mod the subgroup order, where m_bytes is m as 32 bytes little-endian (circomlibjs
`F.toRprLE`); R8 = r·BASE8;
hm = Poseidon([R8x, R8y, Ax, Ay, m]); S = (r + hm·s) mod subgroup order. Verification checks
S·BASE8 = R8 + (8·hm)·A.
"""
from __future__ import annotations

from .babyjub import BASE8, SUBORDER, Point, add, in_subgroup, is_on_curve, mul
from .blake512 import blake512
from .poseidon import FIELD_MODULUS, poseidon


def _check_private_key(private_key: bytes) -> bytes:
    if not isinstance(private_key, (bytes, bytearray)) or len(private_key) != 32:
        raise ValueError("an EdDSA-Poseidon private key is exactly 32 bytes")
    return bytes(private_key)


def _secret_scalar(h: bytes) -> int:
    s = bytearray(h[:32])
    s[0] &= 0xF8
    s[31] &= 0x7F
    s[31] |= 0x40
    return int.from_bytes(s, "little")


def babyjub_public_key(private_key: bytes) -> tuple[int, int]:
    """The public key (Ax, Ay) of a 32-byte private key (circomlibjs `prv2pub`)."""
    h = blake512(_check_private_key(private_key))
    return mul(BASE8, _secret_scalar(h) >> 3)


def eddsa_poseidon_sign(private_key: bytes, message: int) -> tuple[int, int, int]:
    """Sign a field element; returns (R8x, R8y, S) (circomlibjs `signPoseidon`)."""
    if not isinstance(message, int) or not 0 <= message < FIELD_MODULUS:
        raise ValueError("the signed message must be a field element (0 <= m < p)")
    h = blake512(_check_private_key(private_key))
    s = _secret_scalar(h)
    a = mul(BASE8, s >> 3)
    m_bytes = message.to_bytes(32, "little")
    r = int.from_bytes(blake512(h[32:] + m_bytes), "little") % SUBORDER
    r8 = mul(BASE8, r)
    hm = poseidon([r8[0], r8[1], a[0], a[1], message])
    return r8[0], r8[1], (r + hm * s) % SUBORDER


def eddsa_poseidon_verify(public_key: Point, message: int,
                          signature: tuple[int, int, int]) -> bool:
    """True iff `signature` is a valid EdDSA-Poseidon signature of `message` by `public_key`.

    Never raises on malformed input: anything that is not a well-formed key/signature is
    simply not valid. Like circomlibjs it requires S below the subgroup order (no malleability)
    and both points on the curve; it additionally refuses a public key outside the prime-order
    subgroup, which circomlib's circuit also excludes (it rejects small-order keys).
    """
    try:
        r8x, r8y, s = signature
        ax, ay = public_key
        if not (isinstance(message, int) and 0 <= message < FIELD_MODULUS):
            return False
        if not (isinstance(s, int) and 0 <= s < SUBORDER):
            return False
        r8, a = (r8x, r8y), (ax, ay)
        if not is_on_curve(r8) or not in_subgroup(a):
            return False
        hm = poseidon([r8x, r8y, ax, ay, message])
        left = mul(BASE8, s)
        right = add(r8, mul(a, 8 * hm))
        return left == right
    except (TypeError, ValueError):
        return False
