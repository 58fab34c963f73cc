"""Distributed generation of the MXE x25519 key: additive shares, public commitments, partial agreements.

Why this shape: no node may ever hold the MXE x25519 secret. Each node i draws its own share
``s_i`` (a scalar mod ℓ) and publishes only the commitment ``S_i = s_i·(8·B)`` (an Edwards point).
The MXE secret is ``k = 8·Σ s_i`` and its public key is the Montgomery u-coordinate of
``Σ S_i``, so anyone can check the published key against the cluster config, and nobody learns
``k`` unless every node pools its share.

A client computes ``X25519(c, U) = u(clamp(c)·K)`` with ``K = Σ S_i`` exactly as against a single
node (RFC 7748). For its public key ``P`` the cluster gets the same point as
``Σ s_i·(8·P)``: each node computes its *partial* ``s_i·(8·P)`` from its own share, and only the
sum, formed inside MPC, is the shared secret (the factor 8 clears any small-order component, as
RFC 7748 clamping does). A Montgomery ladder on a secret-shared scalar would cost ~1,000 MPC
rounds; this costs one secure point addition per node.

Arithmetic: PyNaCl's libsodium Edwards25519 primitives (``crypto_core_ed25519_*``,
``crypto_scalarmult_ed25519_*_noclamp``); the Edwards↔Montgomery maps are the birational
``u = (1+y)/(1−y)``, ``y = (u−1)/(u+1)``.
"""
from __future__ import annotations

import os

from nacl import bindings as sodium
from nacl.exceptions import CryptoError

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # order of the prime subgroup


class DkgError(ValueError):
    """A share, commitment or peer point is invalid (not on the curve, small order, zero)."""


def new_share() -> int:
    """A node's secret share: uniform non-zero scalar mod ℓ."""
    while True:
        s = int.from_bytes(os.urandom(64), "little") % L
        if s:
            return s


def _scalar(s: int) -> bytes:
    return (s % L).to_bytes(32, "little")


def commitment(share: int) -> bytes:
    """``S_i = s_i·(8·B)``, the public commitment to a share (32-byte Edwards encoding)."""
    try:
        return sodium.crypto_scalarmult_ed25519_base_noclamp(_scalar(8 * share))
    except (CryptoError, ValueError, TypeError) as exc:
        raise DkgError(f"invalid share: {exc}") from None


def add_points(points: list[bytes]) -> bytes:
    acc = points[0]
    for q in points[1:]:
        try:
            acc = sodium.crypto_core_ed25519_add(acc, q)
        except (CryptoError, ValueError, TypeError) as exc:
            raise DkgError(f"point addition failed: {exc}") from None
    return acc


def edwards_to_u(point: bytes) -> bytes:
    """Montgomery u-coordinate (x25519 public key / shared secret bytes) of an Edwards point."""
    y = int.from_bytes(point, "little") & ((1 << 255) - 1)
    if y == 1:
        raise DkgError("identity point")
    u = (1 + y) * pow(1 - y, P - 2, P) % P
    return u.to_bytes(32, "little")


def u_to_edwards(u_bytes: bytes) -> bytes:
    """An Edwards point with Montgomery coordinate u (sign bit 0; ±P share one u, and so do their
    multiples, so the choice does not change any u-coordinate derived from it)."""
    u = int.from_bytes(u_bytes, "little") & ((1 << 255) - 1)
    if u % P == P - 1:
        raise DkgError("u = -1 has no Edwards image")
    y = (u - 1) * pow(u + 1, P - 2, P) % P
    point = y.to_bytes(32, "little")
    if not sodium.crypto_core_ed25519_is_valid_point(add_points([point, point])):
        raise DkgError("not a point of the curve (twist or small order)")
    return point


def public_key(commitments: list[bytes]) -> bytes:
    """The MXE x25519 public key: u(Σ S_i)."""
    for c in commitments:
        if not sodium.crypto_core_ed25519_is_valid_point(c):
            raise DkgError("a share commitment is not a valid prime-order point")
    return edwards_to_u(add_points(commitments))


def cofactor_cleared(u_bytes: bytes) -> bytes:
    """``8·P`` for the client key with u-coordinate ``u_bytes`` (kills any small-order part)."""
    q = u_to_edwards(u_bytes)
    for _ in range(3):
        q = add_points([q, q])
    if not sodium.crypto_core_ed25519_is_valid_point(q):
        raise DkgError("the client key has no prime-order component")
    return q


def partial_agreement(share: int, client_u: bytes) -> bytes:
    """Node i's partial ``s_i·(8·P)`` for a client key; the shared secret is u(Σ partials).

    Only the sum is the secret: a node must never reveal its partial outside MPC."""
    try:
        return sodium.crypto_scalarmult_ed25519_noclamp(_scalar(share), cofactor_cleared(client_u))
    except DkgError:
        raise
    except (CryptoError, ValueError, TypeError) as exc:
        raise DkgError(f"partial agreement failed: {exc}") from None
