"""Bitcoin-alphabet base58, as Solana uses it for keys, signatures, hashes and binary data.

The one implementation in the project (the cluster's RPC, its runtime logs and the wallet's memcmp
filters all import it). Why our own: solders parses base58 only into fixed-size types (Pubkey, Signature, Hash), while
the RPC also carries arbitrary-length base58 (legacy account data, memcmp filter bytes,
base58-encoded transactions), and the error must name the offending character the way Agave's
``bs58`` Debug output does (``InvalidCharacter { character: 'l', index: 3 }``).
"""
from __future__ import annotations

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


class Base58Error(ValueError):
    """Not base58; ``str()`` is the Rust Debug form Agave puts into its messages."""


def b58encode(data: bytes) -> str:
    """Base58 of any byte string; each leading zero byte becomes a leading ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(ALPHABET[r])
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """The bytes of a base58 string; raises :class:`Base58Error` naming the first bad character."""
    n = 0
    for i, c in enumerate(text):
        v = _INDEX.get(c)
        if v is None:
            raise Base58Error(f"InvalidCharacter {{ character: {c!r}, index: {i} }}")
        n = n * 58 + v
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body
