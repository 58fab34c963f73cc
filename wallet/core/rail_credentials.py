"""The rail credential of a wallet, derived from its seed so that the phrase alone recovers it.

Why derived, not random: the credential is the only login to the wallet's fiat-rail account.
A random one lived only in the keystore file; losing the file (or restoring the wallet from its
seed phrase on a new machine) lost the rail account for good, while its PKR stayed behind it.
Derived, `anomi rail open --handle H` after a restore recomputes the same credential, the rail
answers `account_exists`, the credential logs in, and the account is linked again.

Derivation (documented so other implementations can reproduce it):

    ikm        = BIP39 seed (64 bytes) of the wallet's first seed phrase, or, for a wallet of
                 imported keys only, the 32-byte ed25519 secret of the trading account
    credential = base64url(HKDF-SHA256(ikm, salt = b"anomi/rail",
                                       info = b"anomi/rail-credential/v1" || digits(handle),
                                       length = 24))    (32 characters, no padding)

``digits(handle)`` keeps only the digits, so "0345-1234567" and "03451234567" (the rail's two
spellings of one handle) give one credential. The label domain keeps it unrelated to the
wallet's signing keys and x25519 identities of the same seed.
"""
from __future__ import annotations

import base64
import re

from .identities import hkdf_sha256
from .keystore import Keystore

HKDF_SALT = b"anomi/rail"
HKDF_INFO = b"anomi/rail-credential/v1"


def handle_digits(handle: str) -> str:
    return re.sub(r"[^0-9]", "", handle)


def rail_credential_from(ikm: bytes, handle: str) -> str:
    raw = hkdf_sha256(ikm, HKDF_SALT, HKDF_INFO + handle_digits(handle).encode(), 24)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def rail_credential(keystore: Keystore, handle: str, account: str | None = None) -> str:
    """The credential for ``handle`` of this wallet (see the module docstring)."""
    if keystore.seed_ids():
        ikm = keystore.seed_bytes()
    else:
        ikm = bytes(keystore.keypair(account))[:32]
    return rail_credential_from(ikm, handle)
