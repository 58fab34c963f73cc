"""The wire contract shared by the wallet and the programs.

Public names that checks outside the test suite import from here are re-exported below as
their modules land (Poseidon / EdDSA-Poseidon, x25519 + Rescue).
"""
from .eddsa_poseidon import babyjub_public_key, eddsa_poseidon_sign, eddsa_poseidon_verify
from .poseidon import poseidon
from .rescue import RescueCipher
from .x25519 import x25519_shared_secret

__all__ = [
    "poseidon",
    "babyjub_public_key",
    "eddsa_poseidon_sign",
    "eddsa_poseidon_verify",
    "RescueCipher",
    "x25519_shared_secret",
]
