"""Account credentials: argon2id hashes at rest, and a keyed in-memory cache of good logins.

Why argon2id with moderate parameters: the rail stores only ``$argon2id$...`` strings (the
parameters travel inside each string, so they can be raised later without a migration). The
sandbox uses OWASP's minimum recommendation (t=2, m=19 MiB, p=1; ~15 ms per verify here) rather
than libsodium's "sensitive" preset so that a test suite can open dozens of accounts quickly.

Why a cache: every request carries the credential (HTTP Basic), and hashing each one would cap
the rail at ~60 requests/s per core. After one successful argon2id verification the server keeps
HMAC-SHA256(process_key, handle || credential) in memory, where process_key is 32 random bytes
that never leave the process. A later request matching that tag (constant-time compare) skips the
hash; anything else, including a wrong password, pays for a full argon2id verification. The cache
holds no password and no unkeyed hash of one, and vanishes when the process exits.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

import nacl.exceptions
import nacl.pwhash.argon2id as argon2id

SANDBOX_OPSLIMIT = 2
SANDBOX_MEMLIMIT = 19 * 1024 * 1024


def hash_credential(credential: str) -> str:
    """Return the argon2id string (random salt, parameters embedded) for storage."""
    return argon2id.str(
        credential.encode("utf-8"), opslimit=SANDBOX_OPSLIMIT, memlimit=SANDBOX_MEMLIMIT
    ).decode("ascii")


class CredentialChecker:
    """Verifies credentials against stored hashes, remembering good ones under a process key."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._good: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def _tag(self, handle: str, credential: str) -> bytes:
        message = handle.encode("utf-8") + b"\x00" + credential.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def verify(self, handle: str, credential: str, stored_hash: str) -> bool:
        tag = self._tag(handle, credential)
        with self._lock:
            known = self._good.get(handle)
        if known is not None and hmac.compare_digest(known, tag):
            return True
        try:
            ok = argon2id.verify(stored_hash.encode("ascii"), credential.encode("utf-8"))
        except nacl.exceptions.InvalidkeyError:
            ok = False
        if ok:
            with self._lock:
                self._good[handle] = tag
        return bool(ok)
