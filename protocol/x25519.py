"""X25519 key agreement as Arcium's client uses it (SPEC §1.2).

Why a module of its own: the shared secret is the *raw* RFC 7748 output (no hashing), and
both the wallet (client side) and the MXE node (MXE side) must compute exactly the same 32
bytes before the Rescue KDF runs. PyNaCl's ``crypto_scalarmult`` is bit-identical to the
@noble/curves implementation the Arcium SDK uses, including clamping of the secret and
masking of the public key's top bit.
"""
from __future__ import annotations

import os

from nacl.bindings import crypto_scalarmult, crypto_scalarmult_base
from nacl.exceptions import RuntimeError as NaclRuntimeError

KEY_LEN = 32


class X25519Error(ValueError):
    """A key of the wrong size, or a peer key that yields the all-zero shared secret."""


def _check_len(name: str, value: bytes) -> bytes:
    value = bytes(value)
    if len(value) != KEY_LEN:
        raise X25519Error(f"{name} must be {KEY_LEN} bytes, got {len(value)}")
    return value


def x25519_generate_secret_key() -> bytes:
    """32 random bytes (clamping happens inside every scalar multiplication)."""
    return os.urandom(KEY_LEN)


def x25519_public_key(secret_key: bytes) -> bytes:
    """The RFC 7748 public key X25519(secret, 9)."""
    return crypto_scalarmult_base(_check_len("secret key", secret_key))


def x25519_shared_secret(secret_key: bytes, public_key: bytes) -> bytes:
    """Raw X25519(secret_key, public_key): the 32-byte input of the Rescue KDF.

    A low-order peer key makes the result all zero; libsodium and noble both refuse it, and so
    do we, because such a "secret" is known to everyone.
    """
    sk = _check_len("secret key", secret_key)
    pk = _check_len("public key", public_key)
    try:
        out = crypto_scalarmult(sk, pk)
    except NaclRuntimeError as exc:
        raise X25519Error("peer public key gives an all-zero shared secret (low-order point)") from exc
    if out == bytes(KEY_LEN):
        raise X25519Error("peer public key gives an all-zero shared secret (low-order point)")
    return out
