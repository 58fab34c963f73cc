"""alt_bn128 (BN254) group operations with the encodings of Solana's syscalls.

Encodings (big-endian, as ``sol_alt_bn128_group_op`` takes them, identical to EIP-196/197):
G1 = x(32) ‖ y(32), the all-zero 64 bytes is the point at infinity; G2 = x_im ‖ x_re ‖ y_im ‖
y_re (32 bytes each), all-zero is infinity. Inputs shorter than the fixed size are zero-padded
on the right; longer ones are refused.

Why two pairing engines: ``py_ecc.optimized_bn128`` is correct but takes seconds per pairing
check in pure Python, which would make a Groth16 verification (4 pairs) unusable on the
cluster. groth16py (arkworks, Rust) exposes no raw pairing, but its Groth16 verifier checks
exactly ``e(-A,B)·e(α,β)·e(IC0,γ)·e(C,δ) == 1`` for a key with no public inputs, so any product
of at most four pairings can be checked by placing the pairs into a throw-away verifying key
and proof. Points are validated here first (on curve, G2 in the prime-order subgroup, as
arkworks does in Solana), so both engines see the same inputs; more than four pairs fall back
to py_ecc. ``tests/unit/test_localnet_syscalls.py`` checks both engines agree.
"""
from __future__ import annotations

import json
from functools import lru_cache

from py_ecc import optimized_bn128 as ob

P = ob.field_modulus
R = ob.curve_order
G1_LEN = 64
G2_LEN = 128
ADDITION_INPUT_LEN = 128
MULTIPLICATION_INPUT_LEN = 96
PAIRING_ELEMENT_LEN = G1_LEN + G2_LEN


class AltBn128Error(ValueError):
    """Invalid input to an alt_bn128 syscall (bad length, coordinate ≥ p, not on the curve)."""


def _coord(b: bytes) -> int:
    v = int.from_bytes(b, "big")
    if v >= P:
        raise AltBn128Error("coordinate is not a field element")
    return v


def decode_g1(b: bytes) -> tuple[int, int] | None:
    """Affine ints, or None for infinity; raises AltBn128Error if not on the curve."""
    x, y = _coord(b[:32]), _coord(b[32:64])
    if x == 0 and y == 0:
        return None
    if (y * y - x * x * x - 3) % P:
        raise AltBn128Error("G1 point is not on the curve")
    return x, y


def encode_g1(pt: tuple[int, int] | None) -> bytes:
    if pt is None:
        return bytes(64)
    return pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def _to_ob_g1(pt: tuple[int, int] | None):
    if pt is None:
        return ob.Z1
    return (ob.FQ(pt[0]), ob.FQ(pt[1]), ob.FQ(1))


def _from_ob_g1(pt) -> tuple[int, int] | None:
    if ob.is_inf(pt):
        return None
    x, y = ob.normalize(pt)
    return int(x), int(y)


def decode_g2(b: bytes) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((x_re, x_im), (y_re, y_im)) or None for infinity; checks curve and subgroup membership."""
    x_im, x_re, y_im, y_re = (_coord(b[i:i + 32]) for i in range(0, 128, 32))
    if x_im == x_re == y_im == y_re == 0:
        return None
    pt = (ob.FQ2([x_re, x_im]), ob.FQ2([y_re, y_im]), ob.FQ2.one())
    if not ob.is_on_curve(pt, ob.b2):
        raise AltBn128Error("G2 point is not on the curve")
    if not _g2_in_subgroup(x_re, x_im, y_re, y_im):
        raise AltBn128Error("G2 point is not in the prime-order subgroup")
    return (x_re, x_im), (y_re, y_im)


@lru_cache(maxsize=256)
def _g2_in_subgroup(x_re: int, x_im: int, y_re: int, y_im: int) -> bool:
    """r·Q == O. Cached because verifying keys reuse the same G2 points on every call."""
    pt = (ob.FQ2([x_re, x_im]), ob.FQ2([y_re, y_im]), ob.FQ2.one())
    return ob.is_inf(ob.multiply(pt, R))


def addition(data: bytes) -> bytes:
    if len(data) > ADDITION_INPUT_LEN:
        raise AltBn128Error("addition input longer than 128 bytes")
    data = data.ljust(ADDITION_INPUT_LEN, b"\0")
    a, b = decode_g1(data[:64]), decode_g1(data[64:128])
    return encode_g1(_from_ob_g1(ob.add(_to_ob_g1(a), _to_ob_g1(b))))


def multiplication(data: bytes) -> bytes:
    if len(data) > MULTIPLICATION_INPUT_LEN:
        raise AltBn128Error("multiplication input longer than 96 bytes")
    data = data.ljust(MULTIPLICATION_INPUT_LEN, b"\0")
    a = decode_g1(data[:64])
    k = int.from_bytes(data[64:96], "big")
    if a is None or k % R == 0:
        return bytes(64)
    return encode_g1(_from_ob_g1(ob.multiply(_to_ob_g1(a), k % R)))


def _pairs(data: bytes):
    if len(data) % PAIRING_ELEMENT_LEN:
        raise AltBn128Error("pairing input length is not a multiple of 192")
    out = []
    for off in range(0, len(data), PAIRING_ELEMENT_LEN):
        g1 = decode_g1(data[off:off + 64])
        g2 = decode_g2(data[off + 64:off + 192])
        out.append((g1, g2))
    return out


def pairing_py_ecc(pairs) -> bool:
    """Π e(P_i, Q_i) == 1 with py_ecc (one final exponentiation for the whole product)."""
    acc = ob.FQ12.one()
    for g1, g2 in pairs:
        if g1 is None or g2 is None:
            continue
        q = (ob.FQ2(list(g2[0])), ob.FQ2(list(g2[1])), ob.FQ2.one())
        acc = acc * ob.pairing(q, _to_ob_g1(g1), final_exponentiate=False)
    return ob.final_exponentiate(acc) == ob.FQ12.one()


_G2_GEN = ((int(ob.G2[0].coeffs[0]), int(ob.G2[0].coeffs[1])), (int(ob.G2[1].coeffs[0]), int(ob.G2[1].coeffs[1])))


def _snark_g1(pt) -> list[str]:
    return ["0", "1", "0"] if pt is None else [str(pt[0]), str(pt[1]), "1"]


def _snark_g2(pt) -> list[list[str]]:
    (xr, xi), (yr, yi) = pt
    return [[str(xr), str(xi)], [str(yr), str(yi)], ["1", "0"]]


def pairing_groth16py(pairs) -> bool:
    """Π e(P_i, Q_i) == 1 for ≤ 4 pairs through groth16py's arkworks Groth16 verifier."""
    import groth16py

    live = [(g1, g2) for g1, g2 in pairs if g1 is not None and g2 is not None]
    if not live:
        return True
    if len(live) > 4:
        raise ValueError("groth16py path checks at most four pairs")
    # e(O, Q) = 1: pad with the G1 point at infinity if arkworks accepts it; otherwise use
    # (P, Q), (-P, Q) which multiply to one.
    while len(live) < 4:
        if len(live) <= 2:
            g = (1, 2)
            live += [(g, _G2_GEN), ((1, P - 2), _G2_GEN)]
        else:
            live.append(None)
    if live[3] is None:
        # three live pairs: split the third pair's G1 point as P = P' + P'' with P' = G
        g1, g2 = live[2]
        s = ob.add(_to_ob_g1(g1), ob.neg(ob.G1))
        first = _from_ob_g1(s)
        if first is None:  # g1 == G: e(G, Q) = e(2G, Q) * e(-G, Q)
            live[2] = (_from_ob_g1(ob.double(ob.G1)), g2)
            live[3] = ((1, P - 2), g2)
        else:
            live[2] = (first, g2)
            live[3] = ((1, 2), g2)
    (a, b), (alpha, beta), (ic0, gamma), (c, delta) = live
    vk = {
        "protocol": "groth16", "curve": "bn128", "nPublic": 0,
        "vk_alpha_1": _snark_g1(alpha), "vk_beta_2": _snark_g2(beta),
        "vk_gamma_2": _snark_g2(gamma), "vk_delta_2": _snark_g2(delta),
        "vk_alphabeta_12": [], "IC": [_snark_g1(ic0)],
    }
    neg_a = (a[0], (P - a[1]) % P)
    proof = {"pi_a": _snark_g1(neg_a), "pi_b": _snark_g2(b), "pi_c": _snark_g1(c), "protocol": "groth16", "curve": "bn128"}
    verifier = groth16py.Verifier(groth16py.VerifyingKey.from_snarkjs(json.dumps(vk)))
    return bool(verifier.verify_snarkjs(json.dumps(proof), "[]"))


def pairing(data: bytes) -> bytes:
    """The ``sol_alt_bn128_pairing`` result: 32-byte big-endian 1 or 0."""
    pairs = _pairs(data)
    live = [p for p in pairs if p[0] is not None and p[1] is not None]
    ok = pairing_groth16py(live) if len(live) <= 4 else pairing_py_ecc(live)
    return (1 if ok else 0).to_bytes(32, "big")
