"""Arcium's client crypto computed INSIDE MPC (MPyC, Shamir over GF(2^255−19)): key agreement
from DKG shares, the Rescue-Prime KDF and Rescue-CTR decryption, on secret-shared values.

Why: for a cluster in which no node sees a plaintext, the shared secret with a client, the
client's Rescue key and the decrypted inputs must exist only as Shamir shares. Each node feeds
in its partial agreement ``s_i·(8·P)`` (``dkg.partial_agreement``) as a secret-shared Edwards
point; the MPC adds the points (secure inversions), maps to the Montgomery u-coordinate (the
RFC 7748 shared secret, ``Z``), runs the Rescue-Prime sponge on ``[1, Z, 5]`` and the cipher key
schedule and keystream on the resulting secret key, and subtracts the keystream from the public
ciphertexts. Nothing is opened but uniformly masked values:

* x^(1/5) (the inverse S-box) by masking: for a fresh secret random r, open c = x·r^5 (uniform
  when x ≠ 0), then x^(1/5) = c^(1/5)·r^(−1) (5 is invertible mod p−1, so fifth roots are unique);
* reciprocals by MPyC's masked inversion (open a·r).

This module runs inside an MPyC party process (``mpc_party.py``); importing it imports
``mpyc.runtime``, which reads its options from ``sys.argv``.

Status: the building block of the MPC compute mode, tested against the plaintext reference
(``tests/unit/test_mxe_mpc_crypto.py``); the node's computations use it through ``mpc_program.py``.
"""
from __future__ import annotations

from mpyc.runtime import mpc

from protocol.rescue import (
    CIPHER_ROUNDS,
    CIPHER_WIDTH,
    HASH_DIGEST_LEN,
    HASH_RATE,
    HASH_ROUNDS,
    HASH_WIDTH,
    P,
    rescue_field,
)

D = (-121665 * pow(121666, -1, P)) % P  # edwards25519: -x^2 + y^2 = 1 + d x^2 y^2
secfld = mpc.SecFld(P)
FIELD = rescue_field(P)


def edwards_xy(point: bytes) -> tuple[int, int]:
    """Affine (x, y) of a 32-byte Edwards encoding (RFC 8032 decoding)."""
    enc = int.from_bytes(point, "little")
    y, sign = enc & ((1 << 255) - 1), enc >> 255
    xx = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * pow(2, (P - 1) // 4, P) % P
    if (x * x - xx) % P:
        raise ValueError("not a curve point")
    if x & 1 != sign:
        x = P - x
    return x, y


def pow5(xs: list) -> list:
    x2 = mpc.schur_prod(xs, xs)
    x4 = mpc.schur_prod(x2, x2)
    return mpc.schur_prod(x4, xs)


def root_masks(n: int) -> tuple[list, list]:
    """(r^5, r^(−1)) for n fresh secret random r: data-independent, so a caller may draw all it
    needs up front and MPyC computes them in the rounds of earlier work."""
    rs = [mpc._random(secfld) for _ in range(n)]
    return pow5(rs), [mpc.reciprocal(r) for r in rs]


async def fifth_root(xs: list, masks: tuple[list, list] | None = None) -> list:
    """x^(1/5) element-wise: open x·r^5 for secret random r, multiply its public root by r^(−1)."""
    r5, r_inv = masks if masks is not None else root_masks(len(xs))
    masked = await mpc.output(mpc.schur_prod(list(xs), r5))
    roots = [pow(int(c.value), FIELD.alpha_inv, P) for c in masked]
    return [ri * root for ri, root in zip(r_inv, roots)]


def mds_add(mds: list[list[int]], state: list, key: list) -> list:
    return [mpc.sum([row[j] * state[j] for j in range(len(state))]) + key[i] for i, row in enumerate(mds)]


async def cipher_steps(state: list, subkeys: list[list]) -> list[list]:
    """The 21 states of the Rescue cipher permutation (α⁻¹ on even steps) on secret values."""
    s = [x + k for x, k in zip(state, subkeys[0])]
    states = [s]
    for r in range(2 * CIPHER_ROUNDS):
        s = await fifth_root(s) if r % 2 == 0 else pow5(s)
        s = mds_add(FIELD.cipher_mds, s, subkeys[r + 1])
        states.append(s)
    return states


async def rescue_kdf(z) -> list:
    """RescuePrimeHash([1, Z, 5]) truncated to 5 elements, for a secret Z (SPEC §1.3, §2.6)."""
    message = [secfld(1), z, secfld(CIPHER_WIDTH), secfld(1)]
    message += [secfld(0)] * (HASH_RATE - len(message))
    s = message + [secfld(0)] * (HASH_WIDTH - HASH_RATE)
    d = FIELD.hash_constants
    s = [x + k for x, k in zip(s, d[0])]
    for r in range(2 * HASH_ROUNDS):
        s = pow5(s) if r % 2 == 0 else await fifth_root(s)
        s = mds_add(FIELD.hash_mds, s, d[r + 1])
    return s[:HASH_DIGEST_LEN]


async def edwards_add(p1: tuple, p2: tuple) -> tuple:
    (x1, y1), (x2, y2) = p1, p2
    x1y2, y1x2, y1y2, x1x2 = mpc.schur_prod([x1, y1, y1, x1], [y2, x2, y2, x2])
    t = D * (x1x2 * y1y2)
    inv_plus, inv_minus = mpc.reciprocal(1 + t), mpc.reciprocal(1 - t)
    x3, y3 = mpc.schur_prod([x1y2 + y1x2, y1y2 + x1x2], [inv_plus, inv_minus])
    return x3, y3


async def shared_secret(partials: list[tuple]) -> object:
    """Z = u(Σ partials) as a secret: the RFC 7748 shared secret of the client and the cluster."""
    acc = partials[0]
    for q in partials[1:]:
        acc = await edwards_add(acc, q)
    y = acc[1]
    return (1 + y) * mpc.reciprocal(1 - y)


async def decrypt(key: list, nonce: int, ciphertexts: list[int]) -> list:
    """Rescue-CTR decryption of public ciphertexts under a secret key (SPEC §2.4, §2.5)."""
    round_keys = await cipher_steps(list(key), [[secfld(c) for c in k] for k in FIELD.cipher_constants])
    out = []
    for block in range(0, len(ciphertexts), CIPHER_WIDTH):
        counter = [secfld(nonce), secfld(block // CIPHER_WIDTH), secfld(0), secfld(0), secfld(0)]
        ks = (await cipher_steps(counter, round_keys))[-1]
        out += [c - k for c, k in zip(ciphertexts[block:block + CIPHER_WIDTH], ks)]
    return out
