"""BIP39 seed phrases and SLIP-0010 ed25519 derivation along Phantom's path.

Why our own SLIP-0010: the derivation is a dozen lines of HMAC-SHA512, and owning it keeps
the wallet's most sensitive code path small and auditable (no extra dependency). The same
phrase must give the same addresses as Phantom (m/44'/501'/N'/0'); the vectors in
shared/vectors/phantom_vectors.json, generated with the npm packages Phantom uses, check it.

ed25519 under SLIP-0010 supports hardened children only, so every path segment is hardened.
"""
from __future__ import annotations

import hashlib
import hmac
import struct
import unicodedata

from mnemonic import Mnemonic
from solders.keypair import Keypair

from .keystore_file import KeystoreError

HARDENED = 0x8000_0000
_ED25519_CURVE = b"ed25519 seed"
_WORDLIST = Mnemonic("english")
# Word counts BIP39 defines (128..256 bits of entropy).
VALID_WORD_COUNTS = (12, 15, 18, 21, 24)


class InvalidMnemonic(KeystoreError, ValueError):
    """The words are not a valid English BIP39 phrase (unknown word, wrong count or checksum)."""


def generate_mnemonic(words: int = 24) -> str:
    """A fresh phrase from the OS CSPRNG (the `mnemonic` package uses os.urandom)."""
    if words not in VALID_WORD_COUNTS:
        raise InvalidMnemonic(f"a seed phrase has 12, 15, 18, 21 or 24 words, not {words}")
    return _WORDLIST.generate(strength=words * 32 // 3)


def normalize_mnemonic(phrase: str) -> str:
    """Canonical form: NFKD, lower case, single spaces. Raises InvalidMnemonic with the reason."""
    words = unicodedata.normalize("NFKD", phrase).lower().split()
    if len(words) not in VALID_WORD_COUNTS:
        raise InvalidMnemonic(
            f"a seed phrase has 12, 15, 18, 21 or 24 words; this one has {len(words)}")
    unknown = [w for w in words if w not in _WORDLIST.wordlist]
    if unknown:
        raise InvalidMnemonic(f"not in the BIP39 English word list: {', '.join(unknown[:3])}")
    canonical = " ".join(words)
    if not _WORDLIST.check(canonical):
        raise InvalidMnemonic("the seed phrase checksum does not match (a word is wrong or misplaced)")
    return canonical


def mnemonic_to_seed(phrase: str, passphrase: str = "") -> bytes:
    """BIP39 seed: PBKDF2-HMAC-SHA512, 2048 rounds, salt "mnemonic"+passphrase (64 bytes)."""
    return Mnemonic.to_seed(normalize_mnemonic(phrase), passphrase)


def parse_path(path: str) -> list[int]:
    """Parse "m/44'/501'/0'/0'" into hardened indices; unhardened segments are refused."""
    parts = path.strip().split("/")
    if not parts or parts[0] != "m":
        raise ValueError(f"derivation path must start with 'm/': {path!r}")
    out = []
    for part in parts[1:]:
        if not part.endswith("'") or not part[:-1].isdigit():
            raise ValueError(f"ed25519 derivation needs hardened segments like 44': {part!r}")
        index = int(part[:-1])
        if index >= HARDENED:
            raise ValueError(f"path segment out of range: {part!r}")
        out.append(index + HARDENED)
    return out


def slip10_ed25519(seed: bytes, path: str) -> bytes:
    """The 32-byte ed25519 private seed at `path` (SLIP-0010, ed25519 curve)."""
    digest = hmac.new(_ED25519_CURVE, seed, hashlib.sha512).digest()
    key, chain = digest[:32], digest[32:]
    for index in parse_path(path):
        data = b"\x00" + key + struct.pack(">I", index)
        digest = hmac.new(chain, data, hashlib.sha512).digest()
        key, chain = digest[:32], digest[32:]
    return key


def phantom_path(account: int) -> str:
    """Phantom's (and Solflare's default) path for account N."""
    if account < 0 or account >= HARDENED:
        raise ValueError(f"account index out of range: {account}")
    return f"m/44'/501'/{account}'/0'"


def phantom_keypair(seed: bytes, account: int) -> Keypair:
    """The Solana keypair Phantom shows as account N+1 for this BIP39 seed."""
    return Keypair.from_seed(slip10_ed25519(seed, phantom_path(account)))
